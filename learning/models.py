"""The incident register: what really happened, with or without a warning before it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert, Assignment
from ewers.choices import RegionLevel, Role
from ewers.models import Organisation, Region, User
from learning.choices import IncidentKind, IncidentSeverity


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
