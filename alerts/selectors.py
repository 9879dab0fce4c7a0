"""Reads of the alerts app; every one starts from ``visible_to(user)`` (404 outside it)."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404

from alerts.choices import AlertState
from alerts.models import Alert, AlertEvent, Assignment
from ewers.choices import Role
from ewers.models import User


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


def alert_get(user: User, pk: int | str) -> Alert:
    """One alert the user may see; 404 otherwise."""
    try:
        return alerts_visible(user).get(pk=int(pk))
    except (Alert.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such alert.") from None
