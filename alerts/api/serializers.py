"""API v1 serializers of alerts, assignments and notifications: they translate, the
services decide. Input serializers check types and sizes only; every rule of a valid
action is the service's (its ValidationError becomes a 400 with field messages)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.choices import TEXT_MAX_LENGTH, IncidentOutcome
from alerts.models import Alert, AlertEvent, Assignment, Notification
from ewers.api.fields import CodeOrIdField, StrictIdField, TextField
from ewers.api.serializers import RegionRefSerializer
from ewers.choices import RiskLevel
from ewers.lookups import get_by_code_or_id
from ewers.models import Organisation

# The most notification ids one "mark read" request names.
NOTIFICATION_IDS_MAX = 500


class ExplanationEntrySerializer(serializers.Serializer[Any]):
    indicator = serializers.CharField(help_text=_("The indicator's code."))
    indicator_name = serializers.CharField()
    theme = serializers.CharField()
    report = serializers.IntegerField(help_text=_("The field report's id."))
    amount = serializers.FloatField(help_text=_("Its contribution when the alert was raised or escalated."))
    share = serializers.FloatField(help_text=_("Its share of the listed contributions, 0–1."))


class AlertEventSerializer(serializers.ModelSerializer[AlertEvent]):
    level = serializers.ChoiceField(
        choices=RiskLevel.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("The alert's level at the time; empty for steps that carry none (e.g. a withdrawal)."),
    )
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


# --- Assignments: output ------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer[Assignment]):
    """An organisation's share of an alert's work, with what a work list needs of the alert."""

    organisation = serializers.CharField(source="organisation.code", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    # Annotated by alerts.selectors.assignments_visible, through which every answer is read.
    overdue = serializers.BooleanField(read_only=True, help_text=_("Still not acknowledged after its deadline."))
    community = RegionRefSerializer(source="alert.community", read_only=True)
    alert_level = serializers.CharField(source="alert.level", read_only=True, help_text=_("The alert's level now."))
    alert_state = serializers.CharField(source="alert.state", read_only=True)
    alert_verified = serializers.BooleanField(source="alert.verified", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "alert",
            "organisation",
            "organisation_name",
            "state",
            "level",
            "due_at",
            "overdue",
            "created_at",
            "acknowledged_at",
            "started_at",
            "finished_at",
            "outcome",
            "reason",
            "community",
            "alert_level",
            "alert_state",
            "alert_verified",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "alert": {"help_text": _("The alert's id.")},
            "level": {"help_text": _("The alert level its deadline was set for.")},
        }


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "alert", "assignment", "subject", "body", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class MarkedSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text=_("How many notifications were unread and now are read."))


# --- Actions: input -------------------------------------------------------------------------


class AlertResolveInputSerializer(serializers.Serializer[Any]):
    note = TextField(max_length=TEXT_MAX_LENGTH, help_text=_("What was done and why the alert is closed."))
    outcome = serializers.ChoiceField(
        choices=IncidentOutcome.choices,
        help_text=_("Did an incident follow: yes, no or unknown."),
        error_messages={"invalid_choice": _("Say whether an incident followed: yes, no or unknown.")},
    )


class AlertDismissInputSerializer(serializers.Serializer[Any]):
    note = TextField(max_length=TEXT_MAX_LENGTH, help_text=_("Why this was a false alarm."))


class OrganisationInputSerializer(serializers.Serializer[Any]):
    organisation = CodeOrIdField(help_text=_("The organisation's id (integer) or code (string)."))

    def validate_organisation(self, value: str | int) -> Organisation:
        organisation = get_by_code_or_id(Organisation.objects.filter(is_active=True), value)
        if organisation is None:
            raise serializers.ValidationError(_("Unknown organisation."))
        return organisation


class AssignmentCompleteInputSerializer(serializers.Serializer[Any]):
    outcome = TextField(max_length=TEXT_MAX_LENGTH, help_text=_("What the organisation did."))


class AssignmentDeclineInputSerializer(serializers.Serializer[Any]):
    reason = TextField(
        max_length=TEXT_MAX_LENGTH, help_text=_("Why the organisation cannot respond; the coordinators see it.")
    )


class NotificationsReadInputSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=StrictIdField(),
        required=False,
        max_length=NOTIFICATION_IDS_MAX,
        help_text=_("The notifications to mark read; leave it out to mark all of mine read."),
    )
