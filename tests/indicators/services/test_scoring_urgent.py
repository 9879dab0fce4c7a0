"""Urgent reports first (indicators/services/scoring.py, ``urgent_first``): a claim marks the
reports carrying a trigger reading at its critical threshold, and a waiting task scores
their communities in a batch of their own before the others it claimed with them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.choices import Category, ReportStatus
from indicators.models import FieldReport, RiskAssessment
from indicators.services import reports_waiting_score
from indicators.services import scoring as scoring_service
from indicators.services.scoring import urgent_first
from indicators.services.scoring_claims import claim
from tests import factories
from tests.indicators.services.conftest import report


def _claims(rows: list[tuple[int, bool]]) -> tuple[list[tuple[int, int]], set[int]]:
    return [(n, community) for n, (community, _) in enumerate(rows)], {n for n, (_, u) in enumerate(rows) if u}


@given(st.lists(st.tuples(st.integers(1, 6), st.booleans()), max_size=12).map(_claims))
def test_urgent_first_splits_the_claim_by_community_urgent_ones_first(case):
    claimed, urgent = case
    parts = urgent_first(claimed, urgent)
    # Every claimed report once, in its claimed order within its part; no empty part.
    assert sorted(row for part in parts for row in part) == sorted(claimed)
    assert all(part for part in parts) or parts == [[]]
    assert all(part == [row for row in claimed if row in part] for part in parts)
    # A community's reports in one part only; the urgent communities all in the first.
    owners = [{community for _, community in part} for part in parts]
    assert sum(len(o) for o in owners) == len({community for _, community in claimed})
    urgent_communities = {community for pk, community in claimed if pk in urgent}
    assert urgent_communities <= owners[0]
    assert len(parts) == (2 if urgent_communities and owners[0] != {c for _, c in claimed} else 1)
    if len(parts) == 2:
        assert owners[0] == urgent_communities


@pytest.mark.django_db
def test_a_claim_marks_the_reports_with_a_trigger_at_its_critical_threshold(cast):
    trigger = factories.make_indicator("T01", category=Category.TRIGGER, threshold_critical=3)
    at = report(cast, [trigger], value=3)
    under = report(cast, [trigger], value=2)
    plain = report(cast, [cast.indicator], value=4)
    mixed = report(cast, [cast.indicator, trigger], value=4, community=cast.places["c2"])
    urgent: set[int] = set()
    claimed = claim("task-a", limit=10, urgent=urgent)
    assert sorted(pk for pk, _ in claimed) == sorted(r.pk for r in (at, under, plain, mixed))
    assert urgent == {at.pk, mixed.pk}
    assert claim("task-b", limit=10, urgent=(nothing := set())) == [] and nothing == set()


@pytest.mark.django_db
def test_a_waiting_task_scores_the_urgent_communities_first_then_the_others(cast):
    trigger = factories.make_indicator("T01", category=Category.TRIGGER, threshold_critical=3)
    c1, c2 = cast.places["c1"], cast.places["c2"]
    quiet = report(cast, [cast.indicator], value=2, community=c1)
    beside = report(cast, [cast.indicator], value=1, community=c2)
    alarm = report(cast, [trigger], value=4, community=c2)
    assert reports_waiting_score() == 3
    assert set(FieldReport.objects.values_list("status", "scoring_attempts", "scoring_claim")) == {
        (ReportStatus.SCORED, 1, None)
    }
    # One assessment a community, as in one batch: c2's (both its reports) before c1's.
    first, second = RiskAssessment.objects.order_by("pk")
    assert (first.community_id, first.key, first.triggered) == (c2.pk, f"report:{alarm.pk}", True)
    assert (second.community_id, second.key) == (c1.pk, f"report:{quiet.pk}")
    assert beside.pk < alarm.pk


@pytest.mark.django_db
def test_a_failed_urgent_batch_releases_the_others_claims_too(cast, monkeypatch):
    trigger = factories.make_indicator("T01", category=Category.TRIGGER, threshold_critical=3)
    quiet = report(cast, [cast.indicator], value=2, community=cast.places["c1"])
    alarm = report(cast, [trigger], value=4, community=cast.places["c2"])

    def failing(claimed, token):
        raise RuntimeError("boom")

    monkeypatch.setattr(scoring_service, "_batch_scored", failing)
    with pytest.raises(RuntimeError):
        reports_waiting_score(claim_id="task-a")
    # Both left received, unclaimed (the next scorer takes them at once), the attempt counted.
    assert set(FieldReport.objects.filter(pk__in=[quiet.pk, alarm.pk]).values_list("status", "scoring_claim")) == {
        (ReportStatus.RECEIVED, None)
    }
