"""The core domain: the region hierarchy, themes, organisations and their users."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField
from knox.models import AbstractAuthToken
from simple_history.models import HistoricalRecords

from ewers.choices import LANGUAGES, SECTOR_CLEARANCE, HandlingLevel, RegionLevel, RiskLevel, Role, Sector
from ewers.geojson import validate_boundary
from ewers.i18n import localized

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    _("Use letters, digits, '.', '_' and '-' only, starting with a letter or digit."),
)


# The most covered regions ``RegionQuerySet.covered_by`` writes into a statement as ids.
COVERAGE_IDS_MAX = 1000


def covered_region_ids(user: User) -> models.QuerySet[Region, Any]:
    """The ids of the regions the user's organisation covers, as a subquery."""
    return Region.objects.filter(organisations=user.organisation_id).values("pk")


class RegionQuerySet(models.QuerySet["Region"]):
    def visible_to(self, user: User) -> RegionQuerySet:
        """Need-to-know for places: administrators see the whole tree; everyone else
        the regions their organisation covers and everything below them."""
        if user.is_administrator:
            return self
        return self.covered_by(user)

    def covered_by(self, user: User) -> RegionQuerySet:
        """The regions the user's organisation covers and everything below them.

        The covered regions are read once per user object (``User.coverage_region_ids``:
        once per request) and written into the condition as ids. As a subquery, repeated in
        each of ``within``'s four branches, every statement of a request planned and ran
        it four times, and building it cost more than the rest of the queryset (the
        heatmap API: two such statements, 7–8 ms of 45). An organisation covering more than
        ``COVERAGE_IDS_MAX`` places keeps the subquery: each statement's text (and its
        parameters, which SQLite limits) would otherwise grow with its coverage, four times."""
        covered = user.coverage_region_ids
        return self.within(sorted(covered) if len(covered) <= COVERAGE_IDS_MAX else covered_region_ids(user))

    def communities(self) -> RegionQuerySet:
        return self.filter(level=RegionLevel.COMMUNITY)

    def within(self, regions: models.QuerySet[Region] | list[int]) -> RegionQuerySet:
        """Rows that are one of ``regions`` or lie below one of them.

        One SQL condition over the denormalised ancestor columns: no recursion; ``regions``
        are ids (an organisation's coverage, ``covered_by``) or a subquery of them.
        """
        return self.filter(Q(pk__in=regions) | Q(country__in=regions) | Q(region__in=regions) | Q(district__in=regions))


class Region(models.Model):
    """A place in the hierarchy country → region → district → community."""

    # Unique within a country (the constraints below), not across countries: neighbours'
    # official codes ("01", "1") overlap.
    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    # Ancestors at each level, kept by ewers.services.region_upsert so that "everything
    # inside these regions" is one indexed condition (RegionQuerySet.within).
    country = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    region = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    district = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    boundary = models.JSONField(
        _("boundary"),
        null=True,
        blank=True,
        validators=[validate_boundary],
        help_text=_("A GeoJSON Polygon or MultiPolygon geometry, longitude/latitude (WGS 84)."),
    )
    # The boundary simplified for drawing (ewers.geometry.boundary_outline), so a map of
    # thousands of places stays light in the browser; derived, never typed in.
    outline = models.JSONField(
        _("outline"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_boundary],
        help_text=_("The boundary simplified for maps (GeoJSON, coordinates rounded to 5 decimals)."),
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [models.Index(fields=["level", "name"]), models.Index(fields=["code"], name="region_code_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "code"],
                name="region_code_unique_in_country",
                violation_error_message=_("Another place of this country has this code."),
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(country__isnull=True),
                name="region_country_code_unique",
                violation_error_message=_("Another country has this code."),
            ),
            # The shape of the hierarchy holds in the database, whatever writes the row.
            models.CheckConstraint(
                name="region_ancestors_match_level",
                condition=(
                    Q(
                        level=RegionLevel.COUNTRY,
                        parent__isnull=True,
                        country__isnull=True,
                        region__isnull=True,
                        district__isnull=True,
                    )
                    | Q(
                        level=RegionLevel.REGION,
                        parent__isnull=False,
                        parent=models.F("country"),
                        country__isnull=False,
                        region__isnull=True,
                        district__isnull=True,
                    )
                    | Q(
                        level=RegionLevel.DISTRICT,
                        parent__isnull=False,
                        parent=models.F("region"),
                        country__isnull=False,
                        region__isnull=False,
                        district__isnull=True,
                    )
                    | Q(
                        level=RegionLevel.COMMUNITY,
                        parent__isnull=False,
                        parent=models.F("district"),
                        country__isnull=False,
                        region__isnull=False,
                        district__isnull=False,
                    )
                ),
                violation_error_message=_("A region's parent must be one level above it."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def is_covered_by(self, user: User) -> bool:
        """``Region.objects.covered_by(user)`` for this one place (``RegionQuerySet.within``:
        one of the covered regions or below one), with no query once the user's coverage
        is read (``User.coverage_region_ids``)."""
        return not user.coverage_region_ids.isdisjoint(self.lineage_ids)

    def is_visible_to(self, user: User) -> bool:
        """``Region.objects.visible_to(user)`` for this one place."""
        return user.is_administrator or self.is_covered_by(user)

    @property
    def country_scope_id(self) -> int | None:
        """The country this place belongs to (itself for a country): codes are unique within it."""
        return self.country_id if self.country_id is not None else self.pk

    @property
    def lineage_ids(self) -> frozenset[int]:
        """Its own id and its ancestors' (the denormalised columns): an organisation covering
        any of them covers this place."""
        ids = (self.pk, self.country_id, self.region_id, self.district_id)
        return frozenset(i for i in ids if i is not None)


class Theme(models.Model):
    """A theme of violent extremism that indicators measure and mandates cover."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The Malay texts, named as django-modeltranslation would name them, so that a later
    # move to it keeps these columns (indicator frameworks carry both languages).
    name_ms = models.CharField(_("name (Malay)"), max_length=200, blank=True)
    description_ms = models.TextField(_("description (Malay)"), blank=True)
    # Weapons, specific threats, travel to fight: the police are assigned at once, whatever
    # the tiers say; for other themes they are the reserve a decline or a missed deadline
    # brings in (alerts.routing).
    police_at_once = models.BooleanField(
        _("police assigned at once"),
        default=False,
        help_text=_("For themes of imminent violence: alerts go to the police at once as well as to the first tier."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.local_name

    @property
    def local_name(self) -> str:
        """The name in the current language (ewers.i18n)."""
        return str(localized(self, "name"))

    @property
    def local_description(self) -> str:
        return str(localized(self, "description"))


class ThemeTier(models.Model):
    """A sector's response tier for one theme: the lowest tier with a fitting organisation
    answers an alert first (least coercive first); sectors without a row keep
    ``ewers.choices.DEFAULT_TIERS``."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("theme"))
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    tier = models.PositiveSmallIntegerField(
        _("tier"), help_text=_("1 answers first; a higher tier is brought in when a lower one declines or is late.")
    )

    class Meta:
        ordering = ["theme", "tier", "sector"]
        verbose_name = _("response tier")
        verbose_name_plural = _("response tiers")
        constraints = [
            models.UniqueConstraint(fields=["theme", "sector"], name="theme_tier_one_per_sector"),
            models.CheckConstraint(name="theme_tier_sector_valid", condition=Q(sector__in=Sector.values)),
            models.CheckConstraint(name="theme_tier_positive", condition=Q(tier__gte=1, tier__lte=9)),
        ]

    def __str__(self) -> str:
        return f"{self.theme_id} {self.sector}: {self.tier}"


class Organisation(models.Model):
    """A partner — police unit, agency, CSO, institute — with its coverage and mandate."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    coverage = models.ManyToManyField(
        Region,
        related_name="organisations",
        blank=True,
        verbose_name=_("coverage"),
        help_text=_("The regions it works in; a region covers everything below it."),
    )
    mandate = models.ManyToManyField(
        Theme,
        related_name="organisations",
        blank=True,
        verbose_name=_("mandate"),
        help_text=_("The themes it responds to."),
    )
    min_alert_level = models.CharField(
        _("lowest alert level received"),
        max_length=16,
        choices=RiskLevel.choices,
        default=RiskLevel.HIGH,
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # Partners on one alert see each other by default (working together); an organisation
    # may ask not to be named to the others. Coordinators always see every assignment.
    shown_to_co_responders = models.BooleanField(
        _("shown to co-responders"),
        default=True,
        help_text=_("Other organisations on the same alert see this organisation, its state and deadline."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(name="organisation_sector_valid", condition=Q(sector__in=Sector.values)),
            # Low alerts are never routed: the lowest level an organisation may ask for is moderate.
            models.CheckConstraint(
                name="organisation_min_alert_level_valid",
                condition=Q(min_alert_level__in=RiskLevel.at_least(RiskLevel.MODERATE)),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]  # ApiToken.user: knox declares it
    """A person using EWERS: one organisation, one role."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ANALYST)
    # The language the user chose (the header's switcher); blank: the browser's, or the
    # sign-in page's choice, which becomes theirs at sign-in (ewers.middleware.UserLanguageMiddleware).
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES, blank=True, default="")

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined,misc]
        constraints = [
            models.CheckConstraint(name="user_role_valid", condition=Q(role__in=Role.values)),
            # Only a bootstrap superuser may stand outside every organisation.
            models.CheckConstraint(
                name="user_has_organisation",
                condition=Q(organisation__isnull=False) | Q(is_superuser=True),
                violation_error_message=_("Every user except a superuser belongs to an organisation."),
            ),
        ]

    @cached_property
    def coverage_region_ids(self) -> frozenset[int]:
        """The regions the user's organisation covers (``covered_region_ids``), read once
        per user object (once per request): with ``Region.is_covered_by`` one place is
        checked against the coverage rule without a query of its own."""
        return frozenset(covered_region_ids(self).values_list("pk", flat=True))

    @cached_property
    def covered_community_ids(self) -> frozenset[int]:
        """The communities the user's organisation covers, read once per user object
        (once per request), for checks made row by row in lists."""
        return frozenset(Region.objects.covered_by(self).communities().values_list("pk", flat=True))

    @cached_property
    def handling_clearance(self) -> str:
        """The highest handling level of report content this user may read: coordinators
        all, others by their organisation's sector (``ewers.choices.SECTOR_CLEARANCE``)."""
        if self.role == Role.COORDINATOR:
            return HandlingLevel.COORDINATORS
        if self.organisation is None:
            return HandlingLevel.PARTNERS
        return SECTOR_CLEARANCE.get(self.organisation.sector, HandlingLevel.PARTNERS)

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class ApiToken(AbstractAuthToken):  # type: ignore[misc]
    """A user's API token from one sign-in (django-rest-knox): kept only as its digest,
    expiring, and valid only under the password it was issued with."""

    # The user's session hash when the token was issued (the HMAC of the password hash
    # that Django's sessions carry): a changed password, whatever changed it, voids it.
    password_fingerprint: models.CharField[str, str] = models.CharField(max_length=128, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class GatewayToken(models.Model):
    """A long-lived named token an administrator issues to a gateway (SMS, a partner
    system); kept only as its digest, shown once, and limited to creating reports."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="gateway_tokens",
        verbose_name=_("acts as"),
        help_text=_("The account its reports are filed under (its organisation and coverage apply)."),
    )
    # SHA-256 of the token: the token is 256 random bits, so no salt or slow hash is needed
    # for it to be unguessable from the digest.
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters, so that an operator can tell tokens apart in logs and lists.
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("issued"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("issued by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    # A gateway that signs its requests (docs/sms.md, "Signature"): the HMAC key, which
    # must be kept itself to check a signature, so encrypted at rest; shown once when set.
    signing_secret = EncryptedCharField(_("signing secret"), max_length=128, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("gateway token")
        verbose_name_plural = _("gateway tokens")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def signs(self) -> bool:
        return bool(self.signing_secret)


class BoundaryImport(models.Model):
    """One boundary import that wrote something (ewers.boundary_import): who, when, which
    file, what it did, and what it takes to undo it (docs/boundaries.md, "Undo")."""

    created_at = models.DateTimeField(_("imported at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("imported by")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    # The country the import was bound to; its code is kept should the country itself be undone.
    country = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("country")
    )
    country_code = models.CharField(_("country code"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    moved_count = models.PositiveIntegerField(_("moved"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    # The ids of the places it created (undo deletes them) and, by id, what the places it
    # changed held before (undo puts it back): name, parent id, boundary, outline.
    created_ids = models.JSONField(_("places created"), default=list, editable=False)
    previous = models.JSONField(_("places before"), default=dict, editable=False)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True, editable=False)
    undone_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("undone by")
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("boundary import")
        verbose_name_plural = _("boundary imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.country_code}, {self.level})"
