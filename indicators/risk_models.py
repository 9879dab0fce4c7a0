"""The dashboard's precomputed risk (``indicators.services.risk``), kept apart from
``indicators.models`` only for length; ``indicators.models`` imports it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ewers.choices import RiskLevel
from ewers.models import Region, User


class CurrentRiskQuerySet(models.QuerySet["CurrentRisk"]):
    def visible_to(self, user: User) -> CurrentRiskQuerySet:
        """The same rule as the assessments it copies: the communities the user covers."""
        return self.filter(community__in=Region.objects.visible_to(user).values("pk"))


# The weeks a community's weekly rollup keeps before the week of its latest assessment:
# more than the heatmap's longest matrix (52 weeks, the current one included).
KEPT_WEEKS = 53


class CurrentRisk(models.Model):
    """A community's current risk (its latest assessment: newest ``assessed_at``, then the
    highest id) and its weekly rollup (the highest score of each UTC week).

    Kept by ``indicators.services.risk`` in the transaction that stores each assessment,
    so the dashboard reads one row per community instead of looking for the latest one
    among all its assessments and aggregating them by week on every request.
    ``risk_rebuild`` recomputes it from the assessments.
    """

    community = models.OneToOneField(
        Region, on_delete=models.CASCADE, primary_key=True, related_name="current_risk", verbose_name=_("community")
    )
    assessment = models.OneToOneField(
        "indicators.RiskAssessment", on_delete=models.CASCADE, related_name="+", verbose_name=_("assessment")
    )
    assessed_at = models.DateTimeField(_("assessed at"))
    score = models.FloatField(_("score"))
    level = models.CharField(_("level"), max_length=16, choices=RiskLevel.choices)
    weekly = models.JSONField(
        _("highest score by week"),
        default=dict,
        help_text=_(
            "The Monday (UTC, ISO date) of each week with an assessment → the highest score that week; "
            "the 53 weeks before the latest assessment's week are kept."
        ),
    )

    objects = CurrentRiskQuerySet.as_manager()

    class Meta:
        verbose_name = _("current risk")
        verbose_name_plural = _("current risks")

    def __str__(self) -> str:
        return f"{self.community_id}: {self.score:.1f} ({self.level})"
