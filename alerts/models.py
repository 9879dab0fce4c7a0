"""Alerts raised for communities, their timelines, and the assignments that answer them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Case, IntegerField, Q, Value, When
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alerts.choices import (
    ALERT_LEVELS,
    ASSIGNMENT_ACTIVE_STATES,
    ASSIGNMENT_LEFT_STATES,
    AlertEventKind,
    AlertState,
    AssignmentState,
    HandoffState,
    IncidentOutcome,
    NoteAudience,
    NotificationKind,
)
from ewers.choices import RegionLevel, RiskLevel, Role
from ewers.models import Organisation, Region, User
from indicators.models import RiskAssessment


class AlertQuerySet(models.QuerySet["Alert"]):
    def visible_to(self, user: User) -> AlertQuerySet:
        """Coordinators see the alerts of the communities they cover; responders the
        alerts their organisation holds an assignment on (``AssignmentQuerySet.held_by``:
        not one withdrawn or moved elsewhere) — once such an alert is closed, as its closing
        summary only (``alerts.selectors``). Analysts see risk (assessments), not the
        response: an alert's explanation names other organisations' reports."""
        if user.role == Role.COORDINATOR:
            return self.filter(community__in=Region.objects.covered_by(user).values("pk"))
        if user.role == Role.RESPONDER:
            return self.filter(pk__in=Assignment.objects.held_by(user.organisation_id).values("alert"))
        return self.none()


class Alert(models.Model):
    """A warning that a community's risk needs a response; at most one open per community."""

    community = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="alerts",
        limit_choices_to={"level": RegionLevel.COMMUNITY},
        verbose_name=_("community"),
    )
    level = models.CharField(_("level"), max_length=16, choices=RiskLevel.choices)
    state = models.CharField(_("state"), max_length=16, choices=AlertState.choices, default=AlertState.OPEN)
    verified = models.BooleanField(_("verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessment = models.ForeignKey(
        RiskAssessment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
        help_text=_("The assessment that opened or last escalated the alert."),
    )
    # The top contributions when the alert was raised or last escalated, frozen so the
    # alert can always say why it exists, whatever is re-scored later.
    explanation = models.JSONField(_("explanation"), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_note = models.TextField(_("closing note"), blank=True)
    # NULL, not "": "not resolved yet" differs from any answer, and a constraint checks it.
    outcome = models.CharField(  # noqa: DJ001
        _("incident outcome"), max_length=16, choices=IncidentOutcome.choices, null=True, blank=True
    )
    cooldown_until = models.DateTimeField(
        _("cooldown until"),
        null=True,
        blank=True,
        help_text=_("Until then the community does not raise again at this level or lower."),
    )
    # Each theme's share of the positive contribution when the alert was raised or last
    # escalated ({theme code: 0–1}); a theme routes only with a real share (alerts.routing).
    theme_shares = models.JSONField(_("theme shares"), default=dict, blank=True)
    # How it was routed (alerts.services.routing): {"themes": [routed theme codes],
    # "police_at_once": [theme codes], "reached": {theme code: response tier}}. A decline or
    # a missed deadline raises a theme's tier once, bringing the next tier in.
    routing = models.JSONField(_("routing"), default=dict, blank=True)

    history = HistoricalRecords()

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(fields=["state", "level"]),
            models.Index(fields=["community", "-opened_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community"],
                condition=Q(state=AlertState.OPEN),
                name="alert_one_open_per_community",
                violation_error_message=_("This community already has an open alert."),
            ),
            models.CheckConstraint(name="alert_level_valid", condition=Q(level__in=ALERT_LEVELS)),
            models.CheckConstraint(name="alert_state_valid", condition=Q(state__in=AlertState.values)),
            models.CheckConstraint(
                name="alert_outcome_valid", condition=Q(outcome__isnull=True) | Q(outcome__in=IncidentOutcome.values)
            ),
            # Closed alerts carry their closing time; open ones do not.
            models.CheckConstraint(
                name="alert_closed_at_matches_state",
                condition=Q(state=AlertState.OPEN, closed_at__isnull=True)
                | (~Q(state=AlertState.OPEN) & Q(closed_at__isnull=False)),
            ),
            # A resolution records whether an incident followed: thresholds are calibrated on it.
            models.CheckConstraint(
                name="alert_resolved_has_outcome",
                condition=~Q(state=AlertState.RESOLVED) | Q(outcome__isnull=False),
            ),
            models.CheckConstraint(
                name="alert_verified_has_time", condition=Q(verified=False) | Q(verified_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"Alert #{self.pk} {self.level} — {self.community_id} ({self.state})"


class AlertEvent(models.Model):
    """One entry of an alert's timeline; written once, never changed."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=16, choices=AlertEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system acted."),
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    level = models.CharField(_("level"), max_length=16, choices=RiskLevel.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["alert", "at", "id"]
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        constraints = [
            models.CheckConstraint(name="alert_event_kind_valid", condition=Q(kind__in=AlertEventKind.values)),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M}"


# Pending past its deadline, measured by the database's clock (one rule for every query).
OVERDUE_NOW = Q(state=AssignmentState.PENDING, due_at__lt=Now())


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def visible_to(self, user: User) -> AssignmentQuerySet:
        """An organisation sees the assignments it holds; coordinators all those of the
        communities they cover."""
        if user.role == Role.COORDINATOR:
            return self.filter(alert__community__in=Region.objects.covered_by(user).values("pk"))
        if user.role == Role.RESPONDER:
            return self.held_by(user.organisation_id)
        return self.none()

    def held_by(self, organisation_id: int | None) -> AssignmentQuerySet:
        """The organisation's assignments still its own: not withdrawn, not moved or handed
        to another organisation. Need-to-know ends with the share of work (the alert, its
        timeline and the reports behind it are no longer the organisation's to see)."""
        return self.holding().filter(organisation=organisation_id)

    def holding(self) -> AssignmentQuerySet:
        """Assignments whose organisation still holds its alert (not withdrawn, moved or
        handed over): ``held_by`` without the organisation."""
        return self.filter(replaced_by__isnull=True).exclude(state__in=ASSIGNMENT_LEFT_STATES)

    def overdue(self) -> AssignmentQuerySet:
        """Still unacknowledged after the deadline (the rule of ``Assignment.is_overdue``)."""
        return self.filter(OVERDUE_NOW)

    def by_urgency(self) -> AssignmentQuerySet:
        """Most urgent first: overdue, then pending by deadline, then those being worked,
        then declined, then the finished. Each row carries ``overdue``, computed in SQL."""
        return self.annotate(
            overdue=Case(When(OVERDUE_NOW, then=Value(True)), default=Value(False), output_field=BooleanField()),
            urgency=Case(
                When(OVERDUE_NOW, then=Value(0)),
                When(state=AssignmentState.PENDING, then=Value(1)),
                When(state__in=ASSIGNMENT_ACTIVE_STATES, then=Value(2)),
                When(state=AssignmentState.DECLINED, then=Value(3)),
                default=Value(4),
                output_field=IntegerField(),
            ),
        ).order_by("urgency", "due_at", "id")

    def declined_queue(self) -> AssignmentQuerySet:
        """Declined, not yet moved elsewhere, on an alert still open: the coordinators' queue."""
        return self.filter(state=AssignmentState.DECLINED, replaced_by__isnull=True, alert__state=AlertState.OPEN)


class Assignment(models.Model):
    """An alert's share of work for one organisation."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="assignments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="assignments")
    state = models.CharField(
        _("state"), max_length=16, choices=AssignmentState.choices, default=AssignmentState.PENDING
    )
    # The alert level the deadline was set for: an escalation tightens it once per level.
    level = models.CharField(_("level"), max_length=16, choices=RiskLevel.choices)
    # The response tier it was routed at (alerts.routing); empty when a coordinator added it
    # or it was handed over.
    tier = models.PositiveSmallIntegerField(_("tier"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("moved to"),
        help_text=_("The assignment a coordinator moved this one to, or that took it over."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    due_at = models.DateTimeField(_("acknowledge by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("overdue notified at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    reason = models.TextField(_("reason for declining"), blank=True)

    history = HistoricalRecords()

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["organisation", "state", "due_at"]),
            models.Index(fields=["due_at"], condition=Q(state=AssignmentState.PENDING), name="assignment_pending_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["alert", "organisation"], name="assignment_one_per_organisation"),
            models.CheckConstraint(name="assignment_state_valid", condition=Q(state__in=AssignmentState.values)),
            models.CheckConstraint(name="assignment_level_valid", condition=Q(level__in=ALERT_LEVELS)),
            models.CheckConstraint(
                name="assignment_completed_has_outcome",
                condition=~Q(state=AssignmentState.COMPLETED) | ~Q(outcome=""),
                violation_error_message=_("A completed assignment records its outcome."),
            ),
            models.CheckConstraint(
                name="assignment_declined_has_reason",
                condition=~Q(state=AssignmentState.DECLINED) | ~Q(reason=""),
                violation_error_message=_("A declined assignment records its reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"Assignment #{self.pk} alert {self.alert_id} → {self.organisation_id} ({self.state})"

    @property
    def is_overdue(self) -> bool:
        """Still unacknowledged after its deadline (the rule of ``AssignmentQuerySet.overdue``)."""
        return self.state == AssignmentState.PENDING and self.due_at < timezone.now()


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: User) -> NotificationQuerySet:
        """Notifications are personal: each user sees their own only."""
        return self.filter(user=user.pk)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message to one user about an alert (or a monitor's missed check-in): shown in the
    app and sent by e-mail."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    # Empty for a notification about no alert: a monitor's missed check-in (learning.checkins).
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications")
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    handoff = models.ForeignKey(
        "Handoff", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # Names the alert, community, level and deadline only: never a narrative or a source.
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(
        _("e-mailed at"),
        null=True,
        blank=True,
        help_text=_("Empty until sent; stays empty for a user without an address."),
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["created_at"], condition=Q(emailed_at__isnull=True), name="notification_unsent"),
        ]
        constraints = [
            models.CheckConstraint(name="notification_kind_valid", condition=Q(kind__in=NotificationKind.values)),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.subject}"


class AlertNoteQuerySet(models.QuerySet["AlertNote"]):
    def visible_to(self, user: User) -> AlertNoteQuerySet:
        """Each reader sees only the notes addressed to it (PRODUCT.md, "Working together"):

        - the writer's organisation reads every note it wrote;
        - "assigned": every organisation holding the alert, and its coordinators;
        - "coordinators": the coordinators covering the community;
        - "organisation": the writer's organisation only.
        """
        mine = Q(organisation=user.organisation_id)
        if user.role == Role.COORDINATOR:
            covered = Q(alert__community__in=Region.objects.covered_by(user).values("pk"))
            return self.filter(mine | (covered & Q(audience__in=[NoteAudience.ASSIGNED, NoteAudience.COORDINATORS])))
        if user.role == Role.RESPONDER:
            # Notes belong to the work under way: once the alert closes, its former holders
            # keep the closing summary, not the conversation.
            held = Assignment.objects.held_by(user.organisation_id).filter(alert__state=AlertState.OPEN)
            return self.filter(alert__in=held.values("alert")).filter(mine | Q(audience=NoteAudience.ASSIGNED))
        return self.none()


class AlertNote(models.Model):
    """A note on an alert for a chosen audience; written once, never changed (audited)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notes", verbose_name=_("alert"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    # The writer's organisation when it was written: the note stays that organisation's.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    audience = models.CharField(_("audience"), max_length=16, choices=NoteAudience.choices)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    objects = AlertNoteQuerySet.as_manager()

    class Meta:
        ordering = ["alert", "created_at", "id"]
        verbose_name = _("alert note")
        verbose_name_plural = _("alert notes")
        constraints = [
            models.CheckConstraint(name="alert_note_audience_valid", condition=Q(audience__in=NoteAudience.values)),
            models.CheckConstraint(name="alert_note_has_text", condition=~Q(text="")),
        ]

    def __str__(self) -> str:
        return f"Note #{self.pk} on alert {self.alert_id} ({self.audience})"


class HandoffQuerySet(models.QuerySet["Handoff"]):
    def visible_to(self, user: User) -> HandoffQuerySet:
        """The organisations on either side of a handover, and the coordinators covering
        the community (they see both the proposal and the answer)."""
        if user.role == Role.COORDINATOR:
            return self.filter(assignment__alert__community__in=Region.objects.covered_by(user).values("pk"))
        if user.role == Role.RESPONDER:
            return self.filter(Q(from_organisation=user.organisation_id) | Q(to_organisation=user.organisation_id))
        return self.none()


class Handoff(models.Model):
    """A proposal to hand an assignment's follow-up to another organisation, which takes
    it only by accepting."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="handoffs", verbose_name=_("assignment")
    )
    from_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("to"))
    note = models.TextField(_("note"))
    state = models.CharField(_("state"), max_length=16, choices=HandoffState.choices, default=HandoffState.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_note = models.TextField(_("answer"), blank=True)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        constraints = [
            models.CheckConstraint(name="handoff_state_valid", condition=Q(state__in=HandoffState.values)),
            models.CheckConstraint(
                name="handoff_to_another_organisation", condition=~Q(from_organisation=models.F("to_organisation"))
            ),
            # One open proposal per assignment at a time.
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(state=HandoffState.PROPOSED), name="handoff_one_open_per_assignment"
            ),
            models.CheckConstraint(
                name="handoff_answered_has_time",
                condition=Q(state=HandoffState.PROPOSED) | Q(answered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Handover #{self.pk}: assignment {self.assignment_id} → {self.to_organisation_id} ({self.state})"
