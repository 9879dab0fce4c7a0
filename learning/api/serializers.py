"""Serializers of the learning API: they translate, the services decide."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ewers.api.fields import AwareDateTimeField, CodeOrIdField, StrictIdField, TextField
from ewers.choices import RegionLevel
from ewers.lookups import get_by_code_or_id
from learning.choices import DESCRIPTION_MAX_LENGTH, IncidentKind, IncidentSeverity
from learning.forecast import HORIZON, Accuracy
from learning.models import Incident
from learning.selectors import FORECAST_LEVELS, AreaForecast, incident_communities

# More links than this name no real incident's warnings: refuse rather than look them up.
MAX_LINKED_ALERTS = 50


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    community = serializers.CharField(source="community.code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    organisation = serializers.CharField(source="organisation.code", read_only=True)
    alerts = serializers.SerializerMethodField()
    preceded_by_alert = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "community",
            "community_name",
            "occurred_at",
            "kind",
            "severity",
            "description",
            "alerts",
            "preceded_by_alert",
            "organisation",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_alerts(self, incident: Incident) -> list[int]:
        """The linked alerts the reader may see (``incidents_visible`` prefetches them)."""
        return [alert.pk for alert in incident.alerts.all()]

    def get_preceded_by_alert(self, incident: Incident) -> bool:
        """Whether an alert warned of it: one linked, or one of its community opened within
        EWERS_OUTCOME_DAYS before it (``incidents_visible``; docs/learning.md)."""
        return bool(incident.alerts.all()) or bool(getattr(incident, "alert_nearby", False))


class IncidentInputSerializer(serializers.Serializer[Any]):
    """An incident as recorded; the community by id or code, alerts by id."""

    community = CodeOrIdField(help_text=_("The community's id (integer) or code (string)."))
    occurred_at = AwareDateTimeField(help_text=_("When it happened, ISO 8601 with a zone."))
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    severity = serializers.ChoiceField(choices=IncidentSeverity.choices)
    description = TextField(max_length=DESCRIPTION_MAX_LENGTH)
    alerts = serializers.ListField(
        child=StrictIdField(),
        required=False,
        max_length=MAX_LINKED_ALERTS,
        help_text=_("Ids of the alerts that warned of it; leave out when none did."),
    )

    def validate_community(self, value: str | int) -> Any:
        community = get_by_code_or_id(incident_communities(self.context["request"].user), value)
        if community is None:
            raise serializers.ValidationError(_("Unknown community."))
        return community

    def service_arguments(self) -> dict[str, Any]:
        data = self.validated_data
        return {
            "community": data["community"],
            "occurred_at": data["occurred_at"],
            "kind": data["kind"],
            "severity": data["severity"],
            "description": data["description"],
            "alert_ids": data.get("alerts", []),
        }


class ForecastQuerySerializer(serializers.Serializer[Any]):
    """The query of ``GET /api/v1/forecasts/``: the areas forecast."""

    level = serializers.ChoiceField(
        choices=[(level, level) for level in FORECAST_LEVELS],
        default=RegionLevel.DISTRICT,
        help_text=_("district (default) or region."),
    )


def _accuracy_data(accuracy: Accuracy) -> dict[str, Any]:
    return {
        "origins": accuracy.origins,
        "hits": accuracy.hits,
        "hit_rate": round(accuracy.hit_rate, 4),
        "level_error": round(accuracy.level_error, 4),
        "score_error": round(accuracy.score_error, 2),
    }


def forecast_data(area: AreaForecast) -> dict[str, Any]:
    """One area's forecast as the API gives it (docs/forecast.md): the weeks ahead only
    when the forecast is shown (it beat the naive one), the accuracy always."""
    forecast = area.forecast
    body: dict[str, Any] = {"area": area.code, "area_name": area.name}
    if forecast is None:
        return body | {"shown": False, "hidden": "no_data", "now": None, "weeks": [], "accuracy": None}
    measured = forecast.backtest
    return body | {
        "shown": forecast.shown,
        "hidden": forecast.hidden,
        "now": {
            "week": forecast.now_week.isoformat(),
            "score": round(forecast.now_score, 2),
            "level": forecast.now_level,
        },
        "weeks": [{"week": week.week.isoformat(), "score": week.score, "level": week.level} for week in forecast.weeks]
        if forecast.shown
        else [],
        "accuracy": {
            "horizon_weeks": HORIZON,
            "model": _accuracy_data(measured.model),
            "naive": _accuracy_data(measured.naive),
        },
    }
