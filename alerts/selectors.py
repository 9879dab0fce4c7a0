"""Reads of the alerts app; every one starts from ``visible_to(user)`` (404 outside it)."""

from __future__ import annotations

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest

from alerts.choices import ALERT_LEVELS, ASSIGNMENT_ACTIVE_STATES, AlertState
from alerts.models import Alert, AlertEvent, Assignment, AssignmentQuerySet, Notification, NotificationQuerySet
from alerts.permissions import (
    MAY_NOT_MANAGE,
    MAY_NOT_WORK,
    alert_may_manage,
    assignment_may_work,
)
from ewers.choices import Role
from ewers.models import Organisation, Region, User
from ewers.permissions import permission_require


def _assignments_for(user: User) -> QuerySet[Assignment]:
    """A responder sees only its own organisation's share of an alert."""
    assignments = Assignment.objects.select_related("organisation").order_by("due_at", "id")
    if user.role == Role.RESPONDER:
        return assignments.filter(organisation=user.organisation_id)
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


def community_alert_open(community: Region) -> Alert | None:
    """The community's open alert, if any (at most one: a database constraint)."""
    return Alert.objects.filter(community=community, state=AlertState.OPEN).first()


def alert_get(user: User, pk: int | str) -> Alert:
    """One alert the user may see; 404 otherwise."""
    try:
        return alerts_visible(user).get(pk=int(pk))
    except (Alert.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such alert.") from None


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
        raise Http404("No such assignment.") from None


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


def organisations_assignable(alert: Alert) -> QuerySet[Organisation]:
    """Organisations a coordinator may give the alert to (``alert_assign``, ``assignment_move``):
    active, covering its community, with an active responder."""
    # The community's ids are columns of its row: a loaded ``alert.community`` costs nothing.
    places = alert.community.lineage_ids
    responders = responders_active().filter(organisation=OuterRef("pk"))
    return (
        Organisation.objects.filter(is_active=True, coverage__in=places)
        .filter(Exists(responders))
        .distinct()
        .order_by("name")
    )


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
