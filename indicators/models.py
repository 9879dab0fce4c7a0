"""Indicators, field reports with their readings, and the risk assessments made from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField
from simple_history.models import HistoricalRecords

from ewers.choices import HandlingLevel, RegionLevel, RiskLevel, Role
from ewers.i18n import localized, localized_labels
from ewers.models import Organisation, Region, Theme, User, code_validator
from indicators.choices import (
    AssessmentCause,
    Category,
    InformationCredibility,
    Polarity,
    ReportStatus,
    SourceReliability,
    Verification,
)
from indicators.hooks import alerting
from indicators.scoring import IndicatorSettings


class Indicator(models.Model):
    """An observable sign of risk (or of resilience) with its scale, weight and thresholds.

    Weight, thresholds and half-life are changed only through
    ``indicators.services.indicator_update_settings``, which records an
    ``IndicatorVersion`` so that every past score can be explained with the settings
    it was made with.
    """

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The Malay texts (named as django-modeltranslation would name them): an indicator
    # framework (indicators.frameworks) carries both languages.
    name_ms = models.CharField(_("name (Malay)"), max_length=200, blank=True)
    description_ms = models.TextField(_("description (Malay)"), blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("theme"))
    polarity = models.CharField(_("polarity"), max_length=16, choices=Polarity.choices, default=Polarity.RISK)
    weight = models.FloatField(_("weight"), help_text=_("Relative importance, greater than 0."))
    scale_min = models.FloatField(_("lowest value"), default=0)
    scale_max = models.FloatField(_("highest value"), default=4)
    scale_labels = models.JSONField(
        _("value labels"),
        default=dict,
        blank=True,
        help_text=_('What each value means, e.g. {"0": "none", "4": "severe"}.'),
    )
    scale_labels_ms = models.JSONField(
        _("value labels (Malay)"),
        default=dict,
        blank=True,
        help_text=_('The same in Malay, e.g. {"0": "tiada", "4": "teruk"}.'),
    )
    threshold_moderate = models.FloatField(_("moderate threshold"))
    threshold_high = models.FloatField(_("high threshold"))
    threshold_critical = models.FloatField(_("critical threshold"))
    half_life_days = models.FloatField(
        _("half-life (days)"), help_text=_("Days after which a reading counts half as much.")
    )
    version = models.PositiveIntegerField(_("settings version"), default=1, editable=False)
    # Who may read the narrative and readings of a report that records this indicator; a
    # report takes the highest level of its indicators, and its analyst may raise it.
    handling_level = models.CharField(
        _("handling level"),
        max_length=16,
        choices=HandlingLevel.choices,
        default=HandlingLevel.PARTNERS,
        help_text=_("Who may read the narrative and readings of reports that record this indicator."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.CheckConstraint(name="indicator_category_valid", condition=Q(category__in=Category.values)),
            models.CheckConstraint(
                name="indicator_handling_level_valid", condition=Q(handling_level__in=HandlingLevel.values)
            ),
            models.CheckConstraint(name="indicator_polarity_valid", condition=Q(polarity__in=Polarity.values)),
            models.CheckConstraint(name="indicator_weight_positive", condition=Q(weight__gt=0)),
            models.CheckConstraint(name="indicator_half_life_positive", condition=Q(half_life_days__gt=0)),
            models.CheckConstraint(name="indicator_scale_ordered", condition=Q(scale_min__lt=F("scale_max"))),
            models.CheckConstraint(
                name="indicator_thresholds_ordered_within_scale",
                condition=Q(
                    threshold_moderate__gte=F("scale_min"),
                    threshold_moderate__lte=F("threshold_high"),
                    threshold_high__lte=F("threshold_critical"),
                    threshold_critical__lte=F("scale_max"),
                ),
                violation_error_message=_(
                    "Thresholds must rise from moderate to high to critical and lie within the scale."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.local_name}"

    @property
    def local_name(self) -> str:
        """The name in the current language (ewers.i18n)."""
        return str(localized(self, "name"))

    @property
    def local_description(self) -> str:
        return str(localized(self, "description"))

    @property
    def local_scale_labels(self) -> dict[str, str]:
        """What each value means, in the current language, value by value."""
        return localized_labels(self, "scale_labels")

    @property
    def thresholds(self) -> dict[str, float]:
        return {
            RiskLevel.MODERATE: self.threshold_moderate,
            RiskLevel.HIGH: self.threshold_high,
            RiskLevel.CRITICAL: self.threshold_critical,
        }

    def scoring_settings(self) -> IndicatorSettings:
        """The settings the pure scorer reads (live scoring and backtests alike)."""
        return IndicatorSettings(
            id=self.pk,
            code=self.code,
            category=self.category,
            polarity=self.polarity,
            weight=self.weight,
            scale_min=self.scale_min,
            scale_max=self.scale_max,
            threshold_critical=self.threshold_critical,
            half_life_days=self.half_life_days,
            version=self.version,
        )


class IndicatorVersion(models.Model):
    """An indicator's weight, thresholds and half-life as they stood from ``changed_at`` on."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="versions", verbose_name=_("indicator")
    )
    version = models.PositiveIntegerField(_("version"))
    weight = models.FloatField(_("weight"))
    threshold_moderate = models.FloatField(_("moderate threshold"))
    threshold_high = models.FloatField(_("high threshold"))
    threshold_critical = models.FloatField(_("critical threshold"))
    half_life_days = models.FloatField(_("half-life (days)"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["indicator", "-version"]
        verbose_name = _("indicator version")
        verbose_name_plural = _("indicator versions")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "version"], name="indicator_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} v{self.version}"


class FieldReportQuerySet(models.QuerySet["FieldReport"]):
    def visible_to(self, user: User) -> FieldReportQuerySet:
        """Need-to-know for field reports (PRODUCT.md, "Who sees what").

        Analysts see their own organisation's reports; coordinators every report from
        the communities their organisation covers; responders the reports behind the
        alerts assigned to their organisation. Administrators manage the structure and
        see no reports here. Seeing a report does not mean seeing its source
        reference: that is ``FieldReport.source_reference_visible_to``.
        """
        if user.role == Role.ANALYST:
            # Their own organisation's reports, and (four eyes) those of other organisations
            # from the communities their organisation covers, which they may verify; the
            # content of those is subject to the handling level (``content_visible_to``).
            covered = Region.objects.covered_by(user).values("pk")
            return self.filter(Q(organisation=user.organisation_id) | Q(community__in=covered))
        if user.role == Role.COORDINATOR:
            return self.filter(community__in=Region.objects.covered_by(user).values("pk"))
        if user.role == Role.RESPONDER:
            # The alerts an organisation holds are the alerting layer's to say (indicators.hooks).
            held = alerting().reports_held(user.organisation_id)
            return self.none() if held is None else self.filter(pk__in=held)
        return self.none()


class FieldReport(models.Model):
    """One observation visit to a community, with its readings and source grading."""

    community = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="field_reports",
        limit_choices_to={"level": RegionLevel.COMMUNITY},
        verbose_name=_("community"),
    )
    observed_at = models.DateTimeField(_("observed at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    source_reliability = models.CharField(_("source reliability"), max_length=1, choices=SourceReliability.choices)
    information_credibility = models.PositiveSmallIntegerField(
        _("information credibility"), choices=InformationCredibility.choices
    )
    narrative = models.TextField(_("narrative"), blank=True)
    narrative_purged_at = models.DateTimeField(_("narrative purged at"), null=True, blank=True, editable=False)
    # Protected: encrypted at rest, shown only to the reporting organisation and
    # coordinators, and never copied into the history tables.
    source_reference = EncryptedCharField(_("source reference"), max_length=500, null=True, blank=True)
    verification = models.CharField(
        _("verification"), max_length=16, choices=Verification.choices, default=Verification.UNVERIFIED
    )
    # The highest of its indicators' handling levels, or higher if the analyst raised it.
    handling_level = models.CharField(
        _("handling level"), max_length=16, choices=HandlingLevel.choices, default=HandlingLevel.PARTNERS
    )
    status = models.CharField(_("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.RECEIVED)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    scoring_attempts = models.PositiveSmallIntegerField(_("scoring attempts"), default=0)
    # When the sweep last queued this report: it queues a report again only after
    # EWERS_SWEEP_REQUEUE_SECONDS, so a worker that falls behind is not flooded.
    queued_at = models.DateTimeField(_("queued by the sweep at"), null=True, blank=True, editable=False)
    # The scorer holding the report (its task's id) since when: claimed reports are left to it
    # (by other scorers and the sweep) for EWERS_SCORING_LEASE_SECONDS; its task's message,
    # coming back after its worker died, claims them again under the same id.
    scoring_claim = models.CharField(  # noqa: DJ001 - NULL: held by no scorer
        _("claimed by scorer"), max_length=64, null=True, blank=True, editable=False
    )
    scoring_claimed_at = models.DateTimeField(_("claimed for scoring at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="field_reports", verbose_name=_("logged by")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="field_reports", verbose_name=_("organisation")
    )
    # NULL when no key was sent, so the per-user uniqueness applies only to real keys.
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=128, null=True, blank=True, editable=False
    )
    # A keyed HMAC of the request that made the report (indicators.services.idempotency):
    # a resend with the same key must be the same request. Keyed, so that it confirms no
    # guess of the encrypted source reference; NULL without a key (and for reports older
    # than the check, whose resends are taken as the same request).
    idempotency_fingerprint = models.CharField(  # noqa: DJ001
        _("idempotency fingerprint"), max_length=64, null=True, blank=True, editable=False
    )

    # Set when the report was saved if the same author had already reported the same
    # community and readings within EWERS_DUPLICATE_WINDOW_MINUTES of its observation (an
    # SMS and a web form for one visit, say): a flag for the coordinator, nothing is merged.
    possible_duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("possible duplicate of"),
    )

    # Its readings as one number (``reports_write.readings_digest``), which possible duplicates
    # are compared by; NULL for reports written before it (their readings are read instead).
    readings_digest = models.BigIntegerField(_("readings digest"), null=True, blank=True, editable=False)

    # The history is read by report (its ``id``) and by time: the indexes its copies of the
    # report's keys would get serve no query, and each cost every report saved a write.
    history = HistoricalRecords(
        excluded_fields=[
            "source_reference",
            "narrative",
            "idempotency_fingerprint",
            "readings_digest",
            "scoring_claim",
            "scoring_claimed_at",
        ],
        no_db_index=["community", "created_by", "organisation", "possible_duplicate_of", "received_at"],
        # A history row's user (the report's author for its creation row, the one who
        # verified it for a later one) is not checked by the database: accounts are
        # deactivated, never deleted, and were one deleted Django would still set it to
        # NULL (SET_NULL, by the ORM); the check cost every report saved one more at the
        # commit (the bulk writers write a creation row for each report).
        user_db_constraint=False,
    )

    objects = FieldReportQuerySet.as_manager()

    class Meta:
        ordering = ["-observed_at", "-id"]
        verbose_name = _("field report")
        verbose_name_plural = _("field reports")
        indexes = [
            models.Index(fields=["community", "observed_at"]),
            models.Index(fields=["organisation", "-observed_at"]),
            # The edge days of surges and silence (learning.windows): a few hours of every community.
            models.Index(fields=["observed_at"], name="report_observed_idx"),
            # The sweep looks for reports left unscored: keep that lookup small.
            models.Index(fields=["received_at"], condition=Q(status=ReportStatus.RECEIVED), name="report_unscored_idx"),
            # Scoring by state adds a community's reports still unscored: one small lookup.
            models.Index(
                fields=["community", "observed_at"],
                condition=Q(status=ReportStatus.RECEIVED),
                name="report_unscored_community_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="report_source_reliability_valid", condition=Q(source_reliability__in=SourceReliability.values)
            ),
            models.CheckConstraint(
                name="report_information_credibility_valid",
                condition=Q(information_credibility__gte=1, information_credibility__lte=6),
            ),
            models.CheckConstraint(name="report_verification_valid", condition=Q(verification__in=Verification.values)),
            models.CheckConstraint(
                name="report_handling_level_valid", condition=Q(handling_level__in=HandlingLevel.values)
            ),
            models.CheckConstraint(name="report_status_valid", condition=Q(status__in=ReportStatus.values)),
            models.CheckConstraint(
                name="report_scored_has_time",
                condition=Q(status=ReportStatus.RECEIVED) | Q(scored_at__isnull=False),
            ),
            # A gateway's resend with the same key must not make a second report.
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="report_idempotency_key_unique_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk} — {self.community_id} @ {self.observed_at:%Y-%m-%d %H:%M}"

    def source_reference_visible_to(self, user: User) -> bool:
        """The source reference is for the reporting organisation's analysts and the
        coordinators covering the community; never for responders or administrators."""
        if user.role == Role.ANALYST:
            return user.organisation_id is not None and user.organisation_id == self.organisation_id
        if user.role == Role.COORDINATOR:
            if FieldReport.community.is_cached(self):
                # The same rule for the place at hand, without reading every community covered.
                return self.community.level == RegionLevel.COMMUNITY and self.community.is_covered_by(user)
            return self.community_id in user.covered_community_ids
        return False

    def content_visible_to(self, user: User) -> bool:
        """Whether ``user`` may read this report's narrative and readings (its handling
        level): the reporting organisation and coordinators always; others when their
        clearance reaches the level. Everyone else sees "withheld" instead, while the
        place's score and its explanation by indicator stay visible."""
        if user.organisation_id is not None and user.organisation_id == self.organisation_id:
            return True
        return HandlingLevel.rank(user.handling_clearance) >= HandlingLevel.rank(self.handling_level)

    def reporter_visible_to(self, user: User) -> bool:
        """The person who logged a report is known to their own organisation and to the
        coordinators only: in this field a name can identify a field monitor."""
        if user.role == Role.COORDINATOR:
            return True
        return user.organisation_id is not None and user.organisation_id == self.organisation_id

    @property
    def grading(self) -> str:
        """The Admiralty grade as it is usually written, e.g. ``B2``."""
        return f"{self.source_reliability}{self.information_credibility}"


class Reading(models.Model):
    """One indicator seen at one strength in one field report."""

    report = models.ForeignKey(FieldReport, on_delete=models.CASCADE, related_name="readings")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="readings")
    value = models.FloatField(_("value"))

    class Meta:
        ordering = ["report", "indicator__code"]
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="reading_one_per_indicator_per_report"),
        ]
        indexes = [models.Index(fields=["indicator", "report"])]

    def __str__(self) -> str:
        return f"{self.indicator_id}={self.value}"


class RiskAssessmentQuerySet(models.QuerySet["RiskAssessment"]):
    def visible_to(self, user: User) -> RiskAssessmentQuerySet:
        """Risk is a signal about places: everyone sees it for the communities they cover."""
        return self.filter(community__in=Region.objects.visible_to(user).values("pk"))


class RiskAssessment(models.Model):
    """A community's risk at one moment: score 0–100, level, and what made it."""

    community = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="assessments",
        limit_choices_to={"level": RegionLevel.COMMUNITY},
    )
    assessed_at = models.DateTimeField(_("assessed at"), default=timezone.now)
    score = models.FloatField(_("score"))
    raw_score = models.FloatField(_("raw score"), help_text=_("The sum of contributions before mapping onto 0–100."))
    level = models.CharField(_("level"), max_length=16, choices=RiskLevel.choices)
    report = models.ForeignKey(
        FieldReport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
        help_text=_("The report whose scoring produced this assessment, if any."),
    )
    cause = models.CharField(_("cause"), max_length=16, choices=AssessmentCause.choices, default=AssessmentCause.REPORT)
    # Names the piece of work that made this assessment ("report:42"): a task run twice
    # finds its first result instead of writing a second one.
    key = models.CharField(_("key"), max_length=128, unique=True, null=True, blank=True, editable=False)
    triggered = models.BooleanField(
        _("triggered"), default=False, help_text=_("A fresh trigger reading at its critical threshold set the level.")
    )

    objects = RiskAssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_at", "-id"]
        get_latest_by = "assessed_at"
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        indexes = [models.Index(fields=["community", "-assessed_at"])]
        constraints = [
            models.CheckConstraint(name="assessment_score_in_range", condition=Q(score__gte=0, score__lte=100)),
            models.CheckConstraint(name="assessment_level_valid", condition=Q(level__in=RiskLevel.values)),
            models.CheckConstraint(name="assessment_cause_valid", condition=Q(cause__in=AssessmentCause.values)),
        ]

    def __str__(self) -> str:
        return f"{self.community_id}: {self.score:.1f} ({self.level})"


class Contribution(models.Model):
    """How much one indicator's readings added to (or, for resilience, took from) an
    assessment, with the report of its largest reading: one row per indicator, however
    many readings the window holds."""

    assessment = models.ForeignKey(
        RiskAssessment, on_delete=models.CASCADE, related_name="contributions", verbose_name=_("assessment")
    )
    # Derived rows, written by the scorer only, naming an indicator (never deleted: retired)
    # and a report (never deleted): Django's PROTECT still guards both, but the database
    # checks no key of theirs. Each check cost ~5 µs a row at the commit, two thirds of
    # storing an alert's evidence (a row per reading of its window), on the way from a
    # report's commit to its alert.
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="+", db_constraint=False, verbose_name=_("indicator")
    )
    indicator_version = models.PositiveIntegerField(_("indicator version"))
    report = models.ForeignKey(
        FieldReport, on_delete=models.PROTECT, related_name="+", db_constraint=False, verbose_name=_("report")
    )
    amount = models.FloatField(_("amount"))

    class Meta:
        ordering = ["assessment", "-amount"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "report", "indicator"], name="contribution_one_per_reading"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} from report {self.report_id}: {self.amount:+.3f}"


# In their own modules for length; imported here so that the app's models are found in one place.
from indicators.risk_models import KEPT_WEEKS as KEPT_WEEKS  # noqa: E402
from indicators.risk_models import CurrentRisk as CurrentRisk  # noqa: E402
from indicators.rollups import ReadingRollup as ReadingRollup  # noqa: E402
from indicators.rollups import ReportRollup as ReportRollup  # noqa: E402
from indicators.scoring_models import ScoringState as ScoringState  # noqa: E402
