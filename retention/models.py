"""Each run of the retention policy and what it removed (counts only, never content)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RetentionRun(models.Model):
    """One run of ``retention.services.retention_purge`` (the daily task or the command)."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    narratives = models.PositiveIntegerField(_("narratives purged"), default=0)
    source_references = models.PositiveIntegerField(_("source references erased"), default=0)
    notifications = models.PositiveIntegerField(_("notifications deleted"), default=0)
    refused_access = models.PositiveIntegerField(_("refused-access audit rows removed"), default=0)
    # The policy in force for this run: days per kind and the batch (retention.policy).
    policy = models.JSONField(_("policy"), default=dict)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.total} removed"

    @property
    def total(self) -> int:
        return self.narratives + self.source_references + self.notifications + self.refused_access
