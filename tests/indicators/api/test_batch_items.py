"""A batch item read without the serializer (indicators/api/batch_items.py) is read exactly
as the serializer reads it, and an item the serializer refuses is never taken: such items
go to the serializer, whose messages answer them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from ewers.models import Region
from indicators.api.batch_items import batch_item_draft, time_zone
from indicators.api.serializers import BatchItemInputSerializer, report_arguments
from indicators.services import ReportDraft

COMMUNITIES = {"T-1": Region(pk=5, code="T-1", level="community"), "5": Region(pk=5, code="T-1", level="community")}
COMMUNITIES["42"] = Region(pk=42, code="42", level="community")
WHEN = "2024-05-01T14:30:00+08:00"

REQUIRED = {
    "community": st.sampled_from(
        ["T-1", " T-1 ", 5, "5", 42, "42", 6, "nowhere", "", "  ", None, True, 1.5, ["T-1"], "T\x00", "x" * 70, 2**70]
    ),
    "observed_at": st.sampled_from(
        [
            WHEN,
            "2024-05-01T06:30:00Z",
            "2024-05-01T06:30:00.123456+00:00",
            "2024-05-01 06:30Z",
            "2024-05-01T14:30:00",
            f" {WHEN}",
            "garbage",
            "",
            None,
            12,
            "0001-01-01T00:00:00+14:00",
        ]
    ),
    "readings": st.sampled_from(
        [
            [{"indicator": "P01", "value": 3}],
            [{"indicator": 1, "value": 2.5}, {"indicator": "A01", "value": 0}],
            [{"indicator": " P01 ", "value": 3, "note": "extra"}],
            [],
            None,
            "P01",
            {"indicator": "P01", "value": 3},
            [{"indicator": "P01"}],
            [{"value": 3}],
            [{"indicator": "P01", "value": True}],
            [{"indicator": "P01", "value": "3"}],
            [{"indicator": "P01", "value": 10**400}],
            [{"indicator": "P01", "value": float("inf")}],
            [{"indicator": "P01", "value": float("nan")}],
            [{"indicator": True, "value": 3}],
            [{"indicator": 0, "value": 3}],
            [{"indicator": "", "value": 3}],
            [{"indicator": "P01", "value": 1}] * 50,
            [{"indicator": "P01", "value": 1}] * 51,
            [1, 2],
            [None],
        ]
    ),
    "source_reliability": st.sampled_from(["A", "F", "G", "a", " A", "", 1, None, True]),
    "information_credibility": st.sampled_from([1, 6, 0, 7, "2", 2.0, 2.5, True, None]),
}
OPTIONAL = {
    "narrative": st.sampled_from(
        ["", "  ", "Leaflets.", " padded ", "x" * 20_001, "a\x00b", None, 12, "naïve", "\ud800"]
    ),
    "source_reference": st.sampled_from([None, "", "Shop owner", "x" * 501, 5, " "]),
    "idempotency_key": st.sampled_from(["", "k1", " k2 ", "x" * 129, 7, None]),
    "handling_level": st.sampled_from(["police", "coordinators", "nope", "", None, 2]),
    "unknown_field": st.just(1),
}
ITEMS = st.fixed_dictionaries(REQUIRED, optional=OPTIONAL) | st.sampled_from(["an item", 5, [], True])


def serializer() -> BatchItemInputSerializer:
    return BatchItemInputSerializer(context={"communities": COMMUNITIES})


def serializer_draft(shared: BatchItemInputSerializer, item: Any) -> ReportDraft | None:
    try:
        data = shared.run_validation(item)
    except ValidationError:
        return None
    return ReportDraft(idempotency_key=data.get("idempotency_key") or None, **report_arguments(data))


@settings(max_examples=600, deadline=None)
@given(ITEMS)
def test_an_item_read_without_the_serializer_is_read_as_the_serializer_reads_it(item):
    shared = serializer()
    draft = batch_item_draft(item, communities=COMMUNITIES, fields=shared.fields)
    if draft is not None:
        assert draft == serializer_draft(shared, item)


@settings(max_examples=600, deadline=None)
@given(ITEMS, st.sampled_from(["UTC", "Asia/Manila", "America/Caracas", "Pacific/Kiritimati"]))
def test_an_item_read_with_the_batchs_zone_is_read_as_the_serializer_reads_it(item, zone_name):
    # The zone found once for a batch (the view's way) gives the serializer's time in the
    # serializer's zone, under whatever zone is current.
    with timezone.override(zone_name):
        shared = serializer()
        zone = time_zone(shared.fields["observed_at"])
        draft = batch_item_draft(item, communities=COMMUNITIES, fields=shared.fields, zone=zone)
        expected = serializer_draft(shared, item)
    if draft is not None:
        assert expected is not None
        assert draft == expected
        assert draft.observed_at.isoformat() == expected.observed_at.isoformat()
        assert draft.observed_at.tzinfo == expected.observed_at.tzinfo


def test_a_plainly_well_formed_item_is_read_without_the_serializer():
    shared = serializer()
    item = {
        "community": "T-1",
        "observed_at": WHEN,
        "readings": [{"indicator": "P01", "value": 3}, {"indicator": 7, "value": 1.5}],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": " Leaflets at the market. ",
        "source_reference": "Shop owner",
        "idempotency_key": "k1",
        "handling_level": "police",
    }
    draft = batch_item_draft(item, communities=COMMUNITIES, fields=shared.fields)
    assert draft is not None
    assert draft == serializer_draft(shared, item)
    assert (draft.community.pk, draft.narrative, draft.handling_level) == (5, "Leaflets at the market.", "police")
    required = ("community", "observed_at", "readings", "source_reliability", "information_credibility")
    bare = {k: item[k] for k in required}
    assert batch_item_draft(bare, communities=COMMUNITIES, fields=shared.fields) == serializer_draft(shared, bare)


def test_an_item_naming_a_community_outside_the_batchs_is_left_to_the_serializer():
    shared = serializer()
    item = {
        "community": "U-1",
        "observed_at": WHEN,
        "readings": [{"indicator": "P01", "value": 3}],
        "source_reliability": "B",
        "information_credibility": 2,
    }
    assert batch_item_draft(item, communities=COMMUNITIES, fields=shared.fields) is None
    assert serializer_draft(shared, item) is None
