"""The heatmap API's answer (API.md): areas with their scores, and the area × week matrix."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analytics.choices import AreaLevel, Stat
from ewers.choices import RiskLevel


class HeatmapAreaSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(
        choices=RiskLevel.choices, allow_null=True, help_text=_("The risk level of the score; null when not assessed.")
    )
    score = serializers.FloatField(allow_null=True, help_text=_("0–100; null when no community was assessed."))
    communities = serializers.IntegerField(help_text=_("Communities of the area in the user's share."))
    assessed = serializers.IntegerField(help_text=_("Of those, the ones with an assessment."))
    open_alerts = serializers.IntegerField(help_text=_("Open alerts in the area that the user may see."))


class HeatmapMatrixSerializer(serializers.Serializer[Any]):
    areas = serializers.ListField(child=serializers.CharField(), help_text=_("Area codes, one per row."))
    weeks = serializers.ListField(
        child=serializers.DateField(),
        help_text=_("The Mondays of the weeks (weeks start on Monday 00:00 in the server's TIME_ZONE), oldest first."),
    )
    values = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text=_("One row per area, one value per week; null where no community was assessed."),
    )


class HeatmapSerializer(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=AreaLevel.choices)
    weeks = serializers.IntegerField()
    stat = serializers.ChoiceField(choices=Stat.choices)
    areas = HeatmapAreaSerializer(many=True)
    matrix = HeatmapMatrixSerializer()
