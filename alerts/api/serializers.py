"""API v1 serializers of alerts, assignments and notifications: they translate, the
services decide. Input serializers check types and sizes only; every rule of a valid
action is the service's (its ValidationError becomes a 400 with field messages)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.choices import TEXT_MAX_LENGTH, IncidentOutcome, NoteAudience
from alerts.models import Alert, AlertEvent, AlertNote, Assignment, Handoff, Notification
from alerts.selectors import AlertView, alert_corroboration, alert_explanation_shown, alert_view
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
    """An assignment on its alert. A co-responder's (another organisation on the same alert
    that allows being shown) carries only its organisation, state and deadline: the other
    fields are null."""

    id = serializers.IntegerField(read_only=True, allow_null=True)
    organisation = serializers.CharField(source="organisation.code", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True, allow_null=True)
    tier = serializers.IntegerField(read_only=True, allow_null=True)
    co_responder = serializers.BooleanField(
        read_only=True, default=False, help_text=_("Another organisation's assignment on the same alert.")
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "state",
            "due_at",
            "overdue",
            "tier",
            "acknowledged_at",
            "started_at",
            "finished_at",
            "outcome",
            "reason",
            "co_responder",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "acknowledged_at": {"allow_null": True},
            "started_at": {"allow_null": True},
            "finished_at": {"allow_null": True},
            "outcome": {"allow_null": True},
            "reason": {"allow_null": True},
        }


# What a co-responder's assignment shows (AlertView): its organisation, state and deadline.
_CO_RESPONDER_FIELDS = {"organisation", "organisation_name", "state", "due_at", "co_responder"}


def _co_responder(data: dict[str, Any]) -> dict[str, Any]:
    return {key: (value if key in _CO_RESPONDER_FIELDS else None) for key, value in data.items()} | {
        "co_responder": True
    }


class AlertSerializer(serializers.ModelSerializer[Alert]):
    """An alert with why it was raised, what happened since, and who works on it, as its
    reader may see it (``alerts.selectors.alert_view``, the same rule as the page).

    Responders see their own organisation's assignment in full and, of co-responders that
    allow it, only organisation, state and deadline; their timeline leaves out other
    organisations' steps. Once the alert is closed, a former holder gets its closing
    summary (``summary`` true): its own assignment's history and the outcome, nothing else.
    """

    community = RegionRefSerializer(read_only=True)
    explanation = ExplanationEntrySerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField(help_text=_("A former holder's closing summary of a closed alert."))
    corroborated_by = serializers.SerializerMethodField(
        help_text=_("How many distinct organisations' reports stand behind the alert.")
    )
    theme_shares = serializers.DictField(
        child=serializers.FloatField(),
        read_only=True,
        help_text=_("Each theme's share of the positive contribution (0–1) when raised or last escalated."),
    )

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
            "summary",
            "corroborated_by",
            "theme_shares",
            "explanation",
            "timeline",
            "assignments",
        ]
        read_only_fields = fields

    def _view(self, alert: Alert) -> AlertView:
        cache: dict[int, AlertView] = self.context.setdefault("_alert_views", {})
        if alert.pk not in cache:
            cache[alert.pk] = alert_view(self.context["request"].user, alert)
        return cache[alert.pk]

    def to_representation(self, instance: Alert) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if data["summary"]:
            data["explanation"] = []
            data["theme_shares"] = {}
            data["corroborated_by"] = None
        else:
            data["explanation"] = alert_explanation_shown(data["explanation"])
        return data

    @extend_schema_field(serializers.BooleanField())
    def get_summary(self, alert: Alert) -> bool:
        return self._view(alert).summary

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_corroborated_by(self, alert: Alert) -> int | None:
        return alert_corroboration(alert)

    @extend_schema_field(AlertEventSerializer(many=True))
    def get_timeline(self, alert: Alert) -> Any:
        return AlertEventSerializer(self._view(alert).events, many=True).data

    @extend_schema_field(AssignmentSummarySerializer(many=True))
    def get_assignments(self, alert: Alert) -> Any:
        view = self._view(alert)
        own = list(AssignmentSummarySerializer(view.assignments, many=True).data)
        others = [_co_responder(d) for d in AssignmentSummarySerializer(view.co_responders, many=True).data]
        return own + others


class AlertNoteSerializer(serializers.ModelSerializer[AlertNote]):
    organisation = serializers.CharField(source="organisation.code", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = AlertNote
        fields = ["id", "alert", "organisation", "author", "audience", "text", "created_at"]
        read_only_fields = fields


class AlertNoteInputSerializer(serializers.Serializer[Any]):
    text = TextField(max_length=TEXT_MAX_LENGTH, help_text=_("The note; it can never be edited."))
    audience = serializers.ChoiceField(
        choices=NoteAudience.choices,
        help_text=_("Who reads it: the writer's organisation, every organisation on the alert, or the coordinators."),
        error_messages={"invalid_choice": _("Choose who reads it: organisation, assigned or coordinators.")},
    )


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
            "tier",
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
            "tier": {"help_text": _("The response tier it was routed at; null when added or handed over.")},
        }


class HandoffSerializer(serializers.ModelSerializer[Handoff]):
    alert = serializers.IntegerField(source="assignment.alert_id", read_only=True)
    community = RegionRefSerializer(source="assignment.alert.community", read_only=True)
    from_organisation = serializers.CharField(source="from_organisation.code", read_only=True)
    to_organisation = serializers.CharField(source="to_organisation.code", read_only=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "alert",
            "community",
            "assignment",
            "from_organisation",
            "to_organisation",
            "note",
            "state",
            "proposed_at",
            "answered_at",
            "answer_note",
        ]
        read_only_fields = fields


class HandoffInputSerializer(serializers.Serializer[Any]):
    organisation = CodeOrIdField(help_text=_("The organisation to hand over to: id (integer) or code (string)."))
    note = TextField(max_length=TEXT_MAX_LENGTH, help_text=_("What they should take over, and why."))

    def validate_organisation(self, value: str | int) -> Organisation:
        return _organisation(value)


class HandoffDeclineInputSerializer(serializers.Serializer[Any]):
    note = TextField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default="")


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "alert", "assignment", "handoff", "subject", "body", "created_at", "read_at", "read"]
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


def _organisation(value: str | int) -> Organisation:
    organisation = get_by_code_or_id(Organisation.objects.filter(is_active=True), value)
    if organisation is None:
        raise serializers.ValidationError(_("Unknown organisation."))
    return organisation


class OrganisationInputSerializer(serializers.Serializer[Any]):
    organisation = CodeOrIdField(help_text=_("The organisation's id (integer) or code (string)."))
    note = TextField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Needed when its mandate does not cover the alert's themes; it goes into the audit trail."),
    )

    def validate_organisation(self, value: str | int) -> Organisation:
        return _organisation(value)


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
