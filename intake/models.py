"""Messages from the field through a gateway: the numbers monitors registered, and the
triage queue of messages from numbers nobody registered.

A phone number is never stored in clear (docs/sms.md, "Numbers"): only a keyed hash,
for lookups (``intake.senders``), and a mask, for display.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ewers.choices import RegionLevel, Role
from ewers.models import GatewayToken, Region, User
from indicators.choices import InformationCredibility, SourceReliability
from indicators.models import FieldReport
from intake.choices import ReplyLanguage, TriageState


class SenderNumber(models.Model):
    """A phone number registered on a monitor's profile: their messages become their reports."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sender_numbers", verbose_name=_("monitor"))
    # HMAC-SHA256 of the normalised number under a key derived from SECRET_KEY: found again
    # from the number a gateway sends, useless to anyone holding the table without the key.
    digest = models.CharField(max_length=64, unique=True, editable=False)
    masked = models.CharField(_("number"), max_length=32, editable=False)
    language = models.CharField(
        _("reply language"), max_length=8, choices=ReplyLanguage.choices, default=ReplyLanguage.ENGLISH
    )
    created_at = models.DateTimeField(_("registered"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["user", "created_at"]
        verbose_name = _("registered phone number")
        verbose_name_plural = _("registered phone numbers")
        constraints = [
            models.CheckConstraint(name="sender_number_language_valid", condition=Q(language__in=ReplyLanguage.values)),
        ]

    def __str__(self) -> str:
        return self.masked


class TriageItemQuerySet(models.QuerySet["TriageItem"]):
    def visible_to(self, user: User) -> TriageItemQuerySet:
        """Messages from unregistered numbers are for the coordinators whose organisation
        covers the community they name; nobody else sees them (not an administrator,
        whose role keeps them away from cases)."""
        if user.role != Role.COORDINATOR or user.is_administrator:
            return self.none()
        return self.filter(community__in=Region.objects.covered_by(user).values("pk"))


class TriageItem(models.Model):
    """A message from a number no monitor registered, waiting for a coordinator: accepted, it
    becomes a report by that coordinator (who grades it); or it is discarded."""

    gateway = models.ForeignKey(GatewayToken, on_delete=models.PROTECT, related_name="+", verbose_name=_("gateway"))
    message_id = models.CharField(_("gateway's message id"), max_length=128)
    sender_digest = models.CharField(max_length=64, db_index=True, editable=False)
    sender_masked = models.CharField(_("sender"), max_length=32, editable=False)
    language = models.CharField(
        _("reply language"), max_length=8, choices=ReplyLanguage.choices, default=ReplyLanguage.ENGLISH
    )
    received_at = models.DateTimeField(_("received at"))
    community = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": RegionLevel.COMMUNITY},
        verbose_name=_("community"),
    )
    # [[indicator code, value], ...] as the message gave them, checked against the catalogue.
    readings = models.JSONField(_("readings"))
    source_reliability = models.CharField(_("source reliability"), max_length=1, choices=SourceReliability.choices)
    information_credibility = models.PositiveSmallIntegerField(
        _("information credibility"), choices=InformationCredibility.choices
    )
    narrative = models.TextField(_("narrative"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=TriageState.choices, default=TriageState.PENDING)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    report = models.OneToOneField(
        FieldReport, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("report")
    )
    created_at = models.DateTimeField(_("queued at"), default=timezone.now, editable=False)

    objects = TriageItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message for triage")
        verbose_name_plural = _("messages for triage")
        indexes = [models.Index(fields=["state", "-created_at"])]
        constraints = [
            # A gateway's resend of a message queues it once.
            models.UniqueConstraint(fields=["gateway", "message_id"], name="triage_one_per_gateway_message"),
            models.CheckConstraint(name="triage_state_valid", condition=Q(state__in=TriageState.values)),
            models.CheckConstraint(
                name="triage_accepted_has_report",
                condition=~Q(state=TriageState.ACCEPTED) | Q(report__isnull=False),
            ),
            models.CheckConstraint(
                name="triage_decided_has_decider",
                condition=Q(state=TriageState.PENDING) | Q(decided_by__isnull=False, decided_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"T{self.pk}"

    @property
    def reference(self) -> str:
        """How the sender and the coordinators name it: ``T42``."""
        return f"T{self.pk}"

    @property
    def grading(self) -> str:
        return f"{self.source_reliability}{self.information_credibility}"
