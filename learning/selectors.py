"""Reads of the learning app; every one starts from ``visible_to(user)`` (404 outside it)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from alerts.models import Alert
from alerts.selectors import alerts_visible
from ewers.models import Region, User
from learning.models import Incident


def incidents_visible(user: User) -> QuerySet[Incident]:
    """Incidents the user may see, latest first, each with its community, recorder and
    the linked alerts the user may see (a responder does not learn of other alerts)."""
    linked = Alert.objects.visible_to(user).order_by("opened_at", "id")
    return (
        Incident.objects.visible_to(user)
        .select_related("community__district", "organisation", "recorded_by")
        .prefetch_related(Prefetch("alerts", queryset=linked))
        .order_by("-occurred_at", "-id")
    )


def incident_get(user: User, pk: int | str) -> Incident:
    """One incident the user may see; 404 otherwise."""
    try:
        return incidents_visible(user).get(pk=int(pk))
    except (Incident.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such incident.") from None


def incident_communities(user: User) -> QuerySet[Region]:
    """The communities the user may record an incident in: those their organisation covers."""
    return Region.objects.covered_by(user).communities().select_related("district").order_by("code")


def incident_alerts_linkable(user: User) -> QuerySet[Alert]:
    """The alerts the user may link an incident to: those they see (the service also asks
    that the alert be of the incident's community and opened before it)."""
    return alerts_visible(user, with_timeline=False)
