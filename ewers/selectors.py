"""Reads of the core domain. Every query that takes a user starts from visible_to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ewers.models import Region, User

RECENT_DAYS = 7


def region_get(user: User, pk: int | str) -> Region:
    """A region in the user's share, by id; 404 otherwise."""
    try:
        return Region.objects.visible_to(user).get(pk=int(pk))
    except (Region.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such region.")) from None


@dataclass
class CoveredRegion:
    region: Region
    communities: int
    reports_recent: int


def regions_covered(user: User) -> list[CoveredRegion]:
    """The regions an organisation covers, each with its communities and recent reports."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    regions = list(Region.objects.filter(organisations=user.organisation_id).order_by("level", "name"))
    if not regions:
        return []
    ids = [r.pk for r in regions]
    # One query for all the counts: each community counted under each covered ancestor.
    rows = (
        Region.objects.communities()
        .within(ids)
        .annotate(recent=Count("field_reports", filter=Q(field_reports__received_at__gte=since)))
        .values_list("pk", "country_id", "region_id", "district_id", "recent")
    )
    communities = dict.fromkeys(ids, 0)
    recent = dict.fromkeys(ids, 0)
    for pk, *ancestors, n in rows:
        for key in (pk, *ancestors):
            if key in communities:
                communities[key] += 1
                recent[key] += n
    return [CoveredRegion(r, communities[r.pk], recent[r.pk]) for r in regions]
