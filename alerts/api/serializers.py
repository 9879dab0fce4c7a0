"""API v1 serializers of alerts: read-only; actions on alerts come with routing."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.models import Alert, AlertEvent, Assignment
from ewers.api.serializers import RegionRefSerializer


class ExplanationEntrySerializer(serializers.Serializer[Any]):
    indicator = serializers.CharField(help_text=_("The indicator's code."))
    indicator_name = serializers.CharField()
    theme = serializers.CharField()
    report = serializers.IntegerField(help_text=_("The field report's id."))
    amount = serializers.FloatField(help_text=_("Its contribution when the alert was raised or escalated."))
    share = serializers.FloatField(help_text=_("Its share of the listed contributions, 0–1."))


class AlertEventSerializer(serializers.ModelSerializer[AlertEvent]):
    organisation = serializers.CharField(source="organisation.code", read_only=True, allow_null=True, default=None)
    actor = serializers.CharField(
        source="actor.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("Null when the system acted."),
    )

    class Meta:
        model = AlertEvent
        fields = ["at", "kind", "level", "note", "organisation", "actor"]
        read_only_fields = fields


class AssignmentSummarySerializer(serializers.ModelSerializer[Assignment]):
    organisation = serializers.CharField(source="organisation.code", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "state",
            "due_at",
            "overdue",
            "acknowledged_at",
            "started_at",
            "finished_at",
            "outcome",
            "reason",
        ]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer[Alert]):
    """An alert with why it was raised, what happened since, and who works on it.

    Responders see only their own organisation's assignment (the selector prefetches
    no other) and only the timeline entries that are not about another organisation.
    """

    community = RegionRefSerializer(read_only=True)
    explanation = ExplanationEntrySerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    assignments = AssignmentSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "community",
            "level",
            "state",
            "verified",
            "verified_at",
            "opened_at",
            "escalated_at",
            "closed_at",
            "outcome",
            "explanation",
            "timeline",
            "assignments",
        ]
        read_only_fields = fields

    @extend_schema_field(AlertEventSerializer(many=True))
    def get_timeline(self, alert: Alert) -> Any:
        # alerts_visible prefetches only the events this user may see.
        return AlertEventSerializer(alert.events.all(), many=True).data
