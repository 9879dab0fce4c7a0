"""The scorer's carried state (``indicators.scoring_state``), kept apart from
``indicators.models`` only for length; ``indicators.models`` imports it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ewers.models import Region


class ScoringState(models.Model):
    """A community's decayed sums by indicator, carried forward by the scorer
    (``indicators.scoring_state``) so that a new report costs the same however long the
    community's history. Derived data: deleting a row makes the next scoring rebuild it."""

    community = models.OneToOneField(
        Region, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("community")
    )
    ref_at = models.DateTimeField(_("carried to"))
    window_days = models.FloatField(_("scoring window (days)"))
    sums = models.JSONField(
        _("sums by indicator"),
        default=dict,
        help_text=_("Indicator id → version, decayed total, top reading and readings observed after the moment."),
    )

    class Meta:
        verbose_name = _("scoring state")
        verbose_name_plural = _("scoring states")

    def __str__(self) -> str:
        return f"{self.community_id} at {self.ref_at:%Y-%m-%d %H:%M}"
