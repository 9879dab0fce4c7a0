"""The audit trail: who changed or read what, and who was refused; append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.choices import AuditAction


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def newest_first(self) -> AuditEventQuerySet:
        """Newest first (also the default ordering), ids breaking ties within a second."""
        return self.order_by("-at", "-id")


class AuditEvent(models.Model):
    """One audited step; the database refuses to change or delete it (audit.seal)."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system acted."),
    )
    # Kept as written: the trail still says who acted after a user is renamed.
    actor_username = models.CharField(_("actor's username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=32, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # The ids of several objects one row names (a protected field read across a list).
    object_ids = models.TextField(_("object ids"), blank=True)
    # Short and plain ("pending → acknowledged"): never a protected value or a narrative.
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    # The hash chain (audit.chain): the previous row's hash, and this row's over both.
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["action", "-at"]),
        ]
        constraints = [
            models.CheckConstraint(name="audit_event_action_valid", condition=Q(action__in=AuditAction.values)),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "-"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.object_type} {self.object_id}"


class AuditGap(models.Model):
    """A run of refused-access rows retention removed (audit.chain.Gap): the hash of the
    kept row before them and the hash the next kept row chains to, under the seal row
    (an audit event) whose digest covers every gap of its removal. Append-only (audit.seal)."""

    seal = models.ForeignKey(
        AuditEvent, on_delete=models.PROTECT, related_name="gaps", verbose_name=_("seal"), editable=False
    )
    before_hash = models.CharField(_("hash before"), max_length=64, editable=False)
    after_hash = models.CharField(_("hash after"), max_length=64, editable=False)
    removed = models.PositiveIntegerField(_("rows removed"), editable=False)
    first_id = models.BigIntegerField(_("first row removed"), editable=False)
    last_id = models.BigIntegerField(_("last row removed"), editable=False)

    class Meta:
        ordering = ["first_id"]
        verbose_name = _("audit gap")
        verbose_name_plural = _("audit gaps")

    def __str__(self) -> str:
        return f"{self.removed} rows {self.first_id}–{self.last_id}"
