"""Reads of the indicators app (indicators/selectors.py): each showing of a source reference
is audited, without the value; a batch's communities named as the coverage query names them."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from ewers.choices import RegionLevel
from ewers.lookups import parse_id
from ewers.models import Region, User
from ewers.services import region_upsert
from indicators.selectors import communities_by_ref, community_seen_by
from tests import factories
from tests.api import token_client
from tests.conftest import SOURCE, report


def test_each_showing_of_a_source_reference_is_audited_without_the_value(cast, client):
    shown = report(cast, [cast.indicator], value=1)
    other = factories.make_report(cast.analyst, cast.places["c2"], cast.indicator, source_reference=None)
    client.force_login(cast.coordinator)
    page = client.get(reverse("reports:detail", args=[shown.pk]))
    assert SOURCE in page.content.decode()
    client.get(reverse("reports:detail", args=[other.pk]))  # none given: nothing read
    api = token_client(cast.analyst).get(reverse("api-report-detail", args=[shown.pk]))
    assert api.json()["source_reference"] == SOURCE
    rows = AuditEvent.objects.filter(action=AuditAction.PROTECTED_READ).order_by("id")
    assert list(rows.values_list("actor_username", "object_type", "object_id", "detail", "method")) == [
        ("coord", "report", str(shown.pk), "source_reference", "GET"),
        ("ana", "report", str(shown.pk), "source_reference", "GET"),
    ]
    assert [r.path for r in rows] == [
        reverse("reports:detail", args=[shown.pk]),
        reverse("api-report-detail", args=[shown.pk]),
    ]
    # Those who may not see it read nothing, and nothing is logged for them.
    client.force_login(cast.cso_user)
    client.get(reverse("reports:detail", args=[shown.pk]))
    assert rows.count() == 2


def _communities_by_ref_over_the_queryset(user, refs):
    """``communities_by_ref`` as the rule's own query answers it (``visible_to``)."""
    keys = {key for ref in refs if (key := str(ref).strip()) and key.isprintable()}
    ids = {pk for key in keys if (pk := parse_id(key)) is not None}
    rows = list(Region.objects.visible_to(user).communities().filter(Q(code__in=keys) | Q(pk__in=ids)))
    found = {}
    for key in keys:
        coded = [row for row in rows if row.code == key]
        if len(coded) > 1:
            continue
        named = coded[0] if coded else next((row for row in rows if row.pk == parse_id(key)), None)
        if named is not None:
            found[key] = named.pk
    return found


def test_communities_by_ref_names_what_the_coverage_query_names(cast):
    # A code in both countries, a code of digits spelling another community's id, a district,
    # communities outside, unknown and unprintable references.
    twin, _ = region_upsert(
        code="T-1-1-1", name="Twin", level=RegionLevel.COMMUNITY, parent=cast.other_places["district"]
    )
    c2 = cast.places["c2"]
    digits, _ = region_upsert(
        code=str(c2.pk), name="Digits", level=RegionLevel.COMMUNITY, parent=cast.places["district"]
    )
    places = [*cast.places.values(), *cast.other_places.values(), twin, digits]
    refs = [ref for place in places for ref in (place.code, place.pk, str(place.pk), f" {place.code} ")]
    refs += ["T-9-9-9", "99999999", "", "  ", "T-1\x00", 10**15]
    users = [cast.analyst, cast.other_analyst, cast.police_user, cast.cso_user, cast.coordinator, cast.admin]
    for user in users:
        fresh = User.objects.get(pk=user.pk)  # its coverage not read yet, as in a request
        named = {key: community.pk for key, community in communities_by_ref(fresh, refs).items()}
        assert named == _communities_by_ref_over_the_queryset(user, refs), user.username
        for ref in refs:
            one = {key: community.pk for key, community in communities_by_ref(fresh, [ref]).items()}
            assert one == _communities_by_ref_over_the_queryset(user, [ref]), (user.username, ref)
        # Each community answered is known to be in the user's coverage without a query.
        assert all(community_seen_by(fresh, c) for c in communities_by_ref(fresh, refs).values())
