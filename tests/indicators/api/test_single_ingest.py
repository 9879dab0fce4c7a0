"""The single create's cheaper reads (issue 13): the community a report names read with the
user's coverage in one statement, the indicators by a plain statement, the answer's
serializer fields built once per class. The rules they apply stay those of the querysets."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ewers.api.serializers import RegionRefSerializer
from ewers.choices import RegionLevel
from ewers.services import region_upsert
from indicators.api.serializers import ReadingSerializer, ReportSerializer
from indicators.models import FieldReport, Indicator
from indicators.services.reports import indicators_lookup
from tests import factories
from tests.api import token_client

LIST = reverse("api-report-list")


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "community": "T-1-1-1",
        "observed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "readings": [{"indicator": "P01", "value": 3}],
        "source_reliability": "B",
        "information_credibility": 2,
    }
    values.update(overrides)
    return values


def created_in(user: Any, community: Any) -> int:
    response = token_client(user).post(LIST, body(community=community), format="json")
    assert response.status_code == 201, response.content
    return int(response.json()["community"]["id"])


def refused(user: Any, community: Any) -> list[str]:
    response = token_client(user).post(LIST, body(community=community), format="json")
    assert response.status_code == 400, response.content
    return list(response.json()["community"])


def test_a_code_names_the_community_the_user_covers(cast):
    # Codes are unique within a country: the other country has a community with the same code.
    twin, _ = region_upsert(
        code="T-1-1-1", name="U twin", level=RegionLevel.COMMUNITY, parent=cast.other_places["district"]
    )
    assert created_in(cast.analyst, "T-1-1-1") == cast.places["c1"].pk
    assert created_in(cast.other_analyst, "T-1-1-1") == twin.pk


def test_a_code_of_digits_wins_over_the_id_it_spells(cast):
    c2 = cast.places["c2"]
    digits, _ = region_upsert(
        code=str(c2.pk), name="Digits", level=RegionLevel.COMMUNITY, parent=cast.places["district"]
    )
    assert created_in(cast.analyst, str(c2.pk)) == digits.pk
    assert created_in(cast.analyst, c2.pk) == digits.pk
    assert created_in(cast.analyst, c2.code) == c2.pk


def test_a_community_outside_the_coverage_or_no_community_is_unknown(cast):
    outside = cast.other_places["c1"]
    for ref in (outside.code, outside.pk, cast.places["district"].code, "T-9-9-9", "99999999"):
        assert refused(cast.analyst, ref) == ["Unknown community."], ref
    assert refused(cast.coordinator, outside.code) == ["Unknown community."]
    assert FieldReport.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL reads the coverage with the community")
def test_the_community_and_the_coverage_are_read_in_one_statement(cast):
    client = token_client(cast.analyst)  # a user read afresh by each request, as in production
    with CaptureQueriesContext(connection) as captured:
        response = client.post(LIST, body(), format="json")
    assert response.status_code == 201, response.content
    coverage = [q["sql"] for q in captured.captured_queries if "organisation_coverage" in q["sql"]]
    assert len(coverage) == 1
    assert '"ewers_region"."code" = ' in coverage[0]


def test_indicators_are_looked_up_by_id_and_by_code_among_the_active_ones(cast):
    labelled = factories.make_indicator("P02", scale_labels={"0": "none", "4": "many"})
    retired = factories.make_indicator("P03", is_active=False)
    found = indicators_lookup([cast.indicator.pk, "P02", "P03", retired.pk, "P99", 10**15])
    assert found == {cast.indicator.pk: cast.indicator, "P01": cast.indicator, labelled.pk: labelled, "P02": labelled}
    fresh = Indicator.objects.get(pk=labelled.pk)
    for field in Indicator._meta.concrete_fields:
        assert getattr(found["P02"], field.attname) == getattr(fresh, field.attname), field.name
    assert found["P02"].scale_labels == {"0": "none", "4": "many"}
    assert indicators_lookup([]) == {}
    assert indicators_lookup([cast.indicator]) == {}


@pytest.mark.parametrize("serializer_class", [ReportSerializer, ReadingSerializer, RegionRefSerializer])
def test_each_serializer_has_fields_of_its_own(serializer_class):
    first, second = serializer_class(), serializer_class()
    assert list(first.fields) == list(second.fields) == list(serializer_class.Meta.fields)
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second


def test_the_answer_follows_each_readers_rules(cast):
    # Fields built once per class, bound to each answer: each reader's own rules apply.
    report = factories.make_report(
        cast.analyst, cast.places["c1"], cast.indicator, source_reference="Shop owner", enqueue_scoring=False
    )
    answers = {
        user.username: ReportSerializer(report, context={"request": SimpleNamespace(user=user)}).data
        for user in (cast.analyst, cast.police_user, cast.coordinator)
    }
    assert answers["ana"]["created_by"] == answers["coord"]["created_by"] == "ana"
    assert answers["ana"]["source_reference"] == answers["coord"]["source_reference"] == "Shop owner"
    assert answers["pol"]["created_by"] is None
    assert "source_reference" not in answers["pol"]
    reading = {"indicator": "P01", "indicator_name": cast.indicator.local_name, "value": 3.0}
    assert answers["ana"]["readings"] == [reading]
