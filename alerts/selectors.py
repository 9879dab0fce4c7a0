"""Reads of the alerts app; every one starts from ``visible_to(user)`` (404 outside it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from alerts.choices import (
    ALERT_LEVELS,
    ASSIGNMENT_ACTIVE_STATES,
    ASSIGNMENT_LEFT_STATES,
    AlertEventKind,
    AlertState,
    HandoffState,
)
from alerts.models import (
    Alert,
    AlertEvent,
    AlertNote,
    Assignment,
    AssignmentQuerySet,
    Handoff,
    Notification,
    NotificationQuerySet,
)
from alerts.permissions import (
    ASSIGNMENT_REOPENABLE_STATES,
    MAY_NOT_ANSWER_HANDOFF,
    MAY_NOT_MANAGE,
    MAY_NOT_WORK,
    alert_may_manage,
    assignment_may_work,
    handoff_may_answer,
)
from ewers.choices import Role
from ewers.i18n import content_language
from ewers.models import Organisation, Region, User
from ewers.permissions import permission_require
from indicators.models import Contribution, Indicator


def _assignments_for(user: User) -> QuerySet[Assignment]:
    """A responder sees its own organisation's share of an alert in full and, of the other
    organisations holding it, those that allow it (``Organisation.shown_to_co_responders``):
    ``alert_view`` keeps only their organisation, state and deadline."""
    assignments = Assignment.objects.select_related("organisation").order_by("due_at", "id")
    if user.role == Role.RESPONDER:
        co_responders = Q(organisation__shown_to_co_responders=True, replaced_by__isnull=True) & ~Q(
            state__in=ASSIGNMENT_LEFT_STATES
        )
        return assignments.filter(Q(organisation=user.organisation_id) | co_responders)
    return assignments


def _events_for(user: User) -> QuerySet[AlertEvent]:
    """A responder's timeline leaves out other organisations' steps (their assignment,
    acknowledgement or refusal is theirs to know)."""
    events = AlertEvent.objects.select_related("actor", "organisation")
    if user.role == Role.RESPONDER:
        return events.filter(Q(organisation__isnull=True) | Q(organisation=user.organisation_id))
    return events


def alerts_visible(user: User, *, with_timeline: bool = True) -> QuerySet[Alert]:
    """Alerts the user may see, open ones first, then newest; with their timeline and
    assignments prefetched (only those this user may see) unless told not to."""
    alerts = Alert.objects.visible_to(user).select_related("community__district", "community__region", "verified_by")
    if with_timeline:
        alerts = alerts.prefetch_related(
            Prefetch("events", queryset=_events_for(user)),
            Prefetch("assignments", queryset=_assignments_for(user)),
        )
    return alerts.annotate(
        open_first=Case(When(state=AlertState.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("open_first", "-opened_at", "-id")


@dataclass
class AlertView:
    """What one user sees of an alert, for the page and the API alike."""

    alert: Alert
    # A former holder's closing summary of a closed alert: its own assignment's history up
    # to its end and the outcome; no explanation, reports, notes or co-responders.
    summary: bool
    # In full: the responder's own organisation's, or every one for a coordinator.
    assignments: list[Assignment]
    # For a responder, the other organisations holding the alert that allow being shown:
    # their organisation, state and deadline only.
    co_responders: list[Assignment]
    events: list[AlertEvent]


# The closing steps every former holder sees in its summary.
_CLOSING_KINDS = (AlertEventKind.RESOLVED, AlertEventKind.DISMISSED)


def alert_view(user: User, alert: Alert) -> AlertView:
    """The user's view of an alert read through ``alerts_visible`` (its prefetched events and
    assignments already follow need-to-know); no further query."""
    assignments = list(alert.assignments.all())
    events = list(alert.events.all())
    if user.role != Role.RESPONDER:
        return AlertView(alert, False, assignments, [], events)
    own = [a for a in assignments if a.organisation_id == user.organisation_id]
    if alert.state != AlertState.OPEN:
        # Nothing added after the organisation's assignment ended, but how the alert ended.
        ends = [a.finished_at for a in own if a.finished_at is not None]
        end = max(ends) if ends else alert.closed_at
        kept = [e for e in events if e.kind in _CLOSING_KINDS or end is None or e.at <= end]
        return AlertView(alert, True, own, [], kept)
    others = [a for a in assignments if a.organisation_id != user.organisation_id]
    return AlertView(alert, False, own, others, events)


def alert_corroboration(alert: Alert) -> int:
    """How many distinct organisations' reports stand behind the alert (raised its score)."""
    if alert.assessment_id is None:
        return 0
    return (
        Contribution.objects.filter(assessment=alert.assessment_id, amount__gt=0)
        .values("report__organisation")
        .distinct()
        .count()
    )


def alert_notes(user: User, alert: Alert) -> QuerySet[AlertNote]:
    """The notes on the alert addressed to the user (``AlertNote.objects.visible_to``)."""
    return AlertNote.objects.visible_to(user).filter(alert=alert).select_related("author", "organisation")


def community_alert_open(community: Region) -> Alert | None:
    """The community's open alert, if any (at most one: a database constraint)."""
    return Alert.objects.filter(community=community, state=AlertState.OPEN).first()


def alert_get(user: User, pk: int | str) -> Alert:
    """One alert the user may see; 404 otherwise."""
    try:
        return alerts_visible(user).get(pk=int(pk))
    except (Alert.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such alert.")) from None


def alert_get_to_manage(user: User, pk: int | str) -> Alert:
    """An alert the user may manage (verify, resolve, dismiss, add an organisation): 404
    outside the user's share, 403 for one they see but may not manage."""
    alert = alert_get(user, pk)
    permission_require(alert_may_manage(user, alert), MAY_NOT_MANAGE)
    return alert


def assignments_visible(user: User) -> QuerySet[Assignment]:
    """Assignments the user may see, most urgent first (``AssignmentQuerySet.by_urgency``),
    each with its alert, community and organisation (one query for a page)."""
    return (
        Assignment.objects.visible_to(user)
        .select_related("alert__community__district", "organisation", "replaced_by__organisation")
        .by_urgency()
    )


def assignment_get(user: User, pk: int | str) -> Assignment:
    """One assignment the user may see; 404 otherwise."""
    try:
        return assignments_visible(user).get(pk=int(pk))
    except (Assignment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such assignment.")) from None


def assignment_get_to_work(user: User, pk: int | str) -> Assignment:
    """An assignment the user answers for (acknowledge, start, complete, decline): 404
    outside the user's share, 403 unless they respond for its organisation."""
    assignment = assignment_get(user, pk)
    permission_require(assignment_may_work(user, assignment), MAY_NOT_WORK)
    return assignment


def assignment_get_to_manage(user: User, pk: int | str) -> Assignment:
    """An assignment whose alert the user manages (to move it): 404 outside the share,
    403 for one they see but may not manage."""
    assignment = assignment_get(user, pk)
    permission_require(alert_may_manage(user, assignment.alert), MAY_NOT_MANAGE)
    return assignment


def handoffs_visible(user: User) -> QuerySet[Handoff]:
    """Handovers the user may see, newest first, with what a row shows."""
    return Handoff.objects.visible_to(user).select_related(
        "assignment__alert__community", "from_organisation", "to_organisation", "proposed_by", "answered_by"
    )


def handoff_get(user: User, pk: int | str) -> Handoff:
    """One handover the user may see; 404 otherwise."""
    try:
        return handoffs_visible(user).get(pk=int(pk))
    except (Handoff.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such handover.")) from None


def handoff_get_to_answer(user: User, pk: int | str) -> Handoff:
    """A handover the user may accept or decline: 404 outside the share, 403 unless they
    respond for the organisation it is proposed to."""
    handoff = handoff_get(user, pk)
    permission_require(handoff_may_answer(user, handoff), MAY_NOT_ANSWER_HANDOFF)
    return handoff


def handoffs_waiting(user: User) -> QuerySet[Handoff]:
    """Handovers proposed to the user's organisation and not answered yet."""
    return handoffs_visible(user).filter(to_organisation=user.organisation_id, state=HandoffState.PROPOSED)


@dataclass(frozen=True)
class LeftShare:
    """Why an alert the user was told about is no longer theirs to open."""

    alert_id: int
    state: str  # the organisation's assignment's last state (withdrawn, moved), or ""
    at: datetime | None


def alert_left_share(user: User, alert_id: int) -> LeftShare:
    """For an alert the user was notified about but may no longer see: what became of
    their organisation's share. 404 when the user was never told about it (nothing leaks
    beyond what their own notifications already said)."""
    if not Notification.objects.visible_to(user).filter(alert=alert_id).exists():
        raise Http404(_("No such alert."))
    assignment = (
        Assignment.objects.filter(alert=alert_id, organisation=user.organisation_id)
        .order_by("-finished_at", "-id")
        .only("state", "finished_at")
        .first()
    )
    if assignment is None:
        return LeftShare(alert_id=alert_id, state="", at=None)
    return LeftShare(alert_id=alert_id, state=assignment.state, at=assignment.finished_at)


def notifications_for(user: User) -> NotificationQuerySet:
    """The user's own notifications, newest first, with their alert's community."""
    return Notification.objects.visible_to(user).select_related("alert__community", "assignment__organisation")


def notifications_unread_count(request: HttpRequest, user: User) -> int:
    """How many of the user's notifications are unread, counted once a request: the
    navigation and the notifications page both show it."""
    count: int | None = getattr(request, "_notifications_unread", None)
    if count is None:
        count = Notification.objects.visible_to(user).unread().count()
        request._notifications_unread = count  # type: ignore[attr-defined]
    return count


def responders_active() -> QuerySet[User]:
    """The users who answer for an organisation: active responders of an active one. The
    one definition of "an organisation with responders", for routing and for coordinators."""
    return User.objects.filter(role=Role.RESPONDER, is_active=True, organisation__is_active=True)


@dataclass(frozen=True)
class Candidate:
    """An organisation as a coordinator's *Add* and *Move* lists show it: ``reason`` says why
    it cannot be chosen (None: it can); outside its mandate it can, with a note."""

    organisation: Organisation
    reason: str | None
    mandate_fits: bool


def assignment_candidates(alert: Alert, *, exclude: int | None = None) -> list[Candidate]:
    """Every active organisation, for a coordinator to give the alert to: those covering the
    community with responders and not holding it already are selectable (those whose
    mandate meets the alert's themes first), the others listed with the reason they are not.

    ``exclude``: the assignment being moved (its organisation is listed as holding it).
    Four queries, whatever the number of organisations.
    """
    places = alert.community.lineage_ids  # its ids are columns of its row: no query
    themes = set((alert.routing or {}).get("themes", [])) or set(alert.theme_shares or {})
    covering = set(
        Organisation.coverage.through.objects.filter(region_id__in=places).values_list("organisation_id", flat=True)
    )
    responding = set(responders_active().values_list("organisation_id", flat=True).distinct())
    holding = set(
        Assignment.objects.filter(alert=alert)
        .exclude(state__in=ASSIGNMENT_REOPENABLE_STATES)
        .values_list("organisation_id", flat=True)
    )
    if exclude is not None:
        holding |= set(Assignment.objects.filter(pk=exclude).values_list("organisation_id", flat=True))
    candidates = []
    for organisation in Organisation.objects.filter(is_active=True).prefetch_related("mandate").order_by("name"):
        reason: str | None = None
        if organisation.pk not in covering:
            reason = str(_("outside its coverage"))
        elif organisation.pk in holding:
            reason = str(_("it already holds this alert"))
        elif organisation.pk not in responding:
            reason = str(_("it has no active responders"))
        fits = bool(themes & {theme.code for theme in organisation.mandate.all()})
        candidates.append(Candidate(organisation=organisation, reason=reason, mandate_fits=fits))
    candidates.sort(key=lambda c: (c.reason is not None, not c.mandate_fits, c.organisation.name))
    return candidates


# --- The response desks (the responders' and coordinators' home pages) -----------------


def assignments_active(user: User) -> AssignmentQuerySet:
    """Assignments still owed by an organisation, most urgent first (overdue, then pending
    by deadline, then those being worked: ``AssignmentQuerySet.by_urgency``)."""
    return (
        Assignment.objects.visible_to(user)
        .filter(state__in=ASSIGNMENT_ACTIVE_STATES)
        .select_related("alert__community", "organisation")
        .by_urgency()
    )


def assignments_declined(user: User) -> AssignmentQuerySet:
    """Declined assignments waiting for a coordinator to move them, the oldest first."""
    return (
        Assignment.objects.visible_to(user)
        .declined_queue()
        .select_related("alert__community", "organisation")
        .order_by("finished_at", "id")
    )


def assignments_overdue(user: User) -> AssignmentQuerySet:
    """Assignments of open alerts still unacknowledged after their deadline, the oldest first."""
    return (
        Assignment.objects.visible_to(user)
        .overdue()
        .filter(alert__state=AlertState.OPEN)
        .select_related("alert__community", "organisation")
        .order_by("due_at", "id")
    )


def alerts_open_for_review(user: User) -> QuerySet[Alert]:
    """Open alerts as a coordinator works through them: unverified first, then the most
    severe, then the newest."""
    severity = Case(
        *(When(level=level, then=Value(rank)) for rank, level in enumerate(reversed(ALERT_LEVELS))),
        default=Value(len(ALERT_LEVELS)),
        output_field=IntegerField(),
    )
    return (
        Alert.objects.visible_to(user)
        .filter(state=AlertState.OPEN)
        .select_related("community__district")
        .annotate(severity=severity)
        .order_by("verified", "severity", "-opened_at", "-id")
    )


def alerts_open_by_level(user: User) -> dict[str, int]:
    """Open alerts by level, most severe first; empty when there are none."""
    counts = dict(
        Alert.objects.visible_to(user)
        .filter(state=AlertState.OPEN)
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    if not counts:
        return {}
    return {level: counts.get(level, 0) for level in reversed(ALERT_LEVELS)}


def alert_explanation_shown(explanation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An alert's frozen explanation with each indicator named in the current language
    (the English name was frozen with it): one query, and none in English."""
    if not content_language() or not explanation:
        return explanation
    codes = {str(line.get("indicator", "")) for line in explanation}
    names = {i.code: i.local_name for i in Indicator.objects.filter(code__in=codes)}
    return [
        {**line, "indicator_name": names.get(str(line.get("indicator", "")), line.get("indicator_name", ""))}
        for line in explanation
    ]
