"""The incident register: what really happened, with or without a warning before it."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert, Assignment
from ewers.choices import RegionLevel, Role
from ewers.models import Organisation, Region, User
from learning.choices import CHECK_IN_MAX_DAYS, IncidentKind, IncidentSeverity


class IncidentQuerySet(models.QuerySet["Incident"]):
    def visible_to(self, user: User) -> IncidentQuerySet:
        """Coordinators see the incidents of the communities they cover. A responder's
        share: the incidents its own organisation recorded, and those linked to an alert
        the organisation holds (``AssignmentQuerySet.held_by``). Analysts and administrators
        none: an incident's description is about a response, not a reading."""
        if user.role == Role.COORDINATOR:
            return self.filter(community__in=Region.objects.covered_by(user).values("pk"))
        if user.role == Role.RESPONDER and user.organisation_id is not None:
            held = Assignment.objects.held_by(user.organisation_id).values("alert")
            linked = Incident.alerts.through.objects.filter(alert__in=held).values("incident")
            return self.filter(Q(organisation=user.organisation_id) | Q(pk__in=linked))
        return self.none()


class Incident(models.Model):
    """Something that happened in a community: violence, a plot, a clash; the register
    alert quality is measured against (docs/learning.md)."""

    community = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="incidents",
        limit_choices_to={"level": RegionLevel.COMMUNITY},
        verbose_name=_("community"),
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=IncidentSeverity.choices)
    description = models.TextField(_("description"))
    # The alerts the recorder says warned of it; none when nothing did (a miss).
    alerts = models.ManyToManyField(Alert, blank=True, related_name="incidents", verbose_name=_("linked alerts"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by organisation")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["community", "occurred_at"])]
        constraints = [
            models.CheckConstraint(name="incident_kind_valid", condition=Q(kind__in=IncidentKind.values)),
            models.CheckConstraint(name="incident_severity_valid", condition=Q(severity__in=IncidentSeverity.values)),
            models.CheckConstraint(name="incident_has_description", condition=~Q(description="")),
        ]

    def __str__(self) -> str:
        return f"Incident #{self.pk} {self.kind} — {self.community_id} @ {self.occurred_at:%Y-%m-%d}"


class CheckInExpectation(models.Model):
    """A field monitor is expected to report at least every ``every_days`` days; a missed
    check-in tells their own organisation, and after ``escalate_after_days`` more the
    coordinators of their communities — never a police organisation other than their own
    (``learning.checkins``, docs/learning.md "Missed check-ins"). Administrators set it
    in the admin site."""

    monitor = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="check_in_expectation",
        limit_choices_to={"role": Role.ANALYST},
        verbose_name=_("monitor"),
    )
    every_days = models.PositiveSmallIntegerField(
        _("report at least every (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(CHECK_IN_MAX_DAYS)],
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("tell the coordinators after (further days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(CHECK_IN_MAX_DAYS)],
        help_text=_("Days after a missed check-in, with still no report, before the coordinators are told."),
    )
    communities = models.ManyToManyField(
        Region,
        blank=True,
        related_name="+",
        limit_choices_to={"level": RegionLevel.COMMUNITY},
        verbose_name=_("communities"),
        help_text=_(
            "Only reports on these communities count as a check-in; empty: any report. They also "
            "choose the coordinators told (else the communities the monitor's organisation covers)."
        ),
    )
    starts_at = models.DateTimeField(
        _("counted from"),
        default=timezone.now,
        help_text=_("The first check-in is due this many days after this time, if the monitor has not reported since."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["monitor__username"]
        verbose_name = _("check-in expectation")
        verbose_name_plural = _("check-in expectations")
        constraints = [
            models.CheckConstraint(
                name="check_in_every_days_range", condition=Q(every_days__gte=1, every_days__lte=CHECK_IN_MAX_DAYS)
            ),
            models.CheckConstraint(
                name="check_in_escalate_days_range",
                condition=Q(escalate_after_days__gte=1, escalate_after_days__lte=CHECK_IN_MAX_DAYS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id}: every {self.every_days} days"


class CheckInMiss(models.Model):
    """One missed check-in: the due time that passed without a report. Unique per due time,
    so the daily sweep tells each audience once per missed period, not once a day; a new
    report moves the next due time, and a later silence is a new miss."""

    expectation = models.ForeignKey(
        CheckInExpectation, on_delete=models.CASCADE, related_name="misses", verbose_name=_("expectation")
    )
    due_at = models.DateTimeField(_("due at"))
    notified_at = models.DateTimeField(_("organisation told at"))
    escalated_at = models.DateTimeField(_("coordinators told at"), null=True, blank=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        verbose_name = _("missed check-in")
        verbose_name_plural = _("missed check-ins")
        constraints = [
            models.UniqueConstraint(fields=["expectation", "due_at"], name="check_in_miss_one_per_due_time"),
        ]

    def __str__(self) -> str:
        return f"{self.expectation_id} missed {self.due_at:%Y-%m-%d}"
