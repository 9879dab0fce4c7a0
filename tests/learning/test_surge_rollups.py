"""Surges and silence read from the daily rollups (``learning.windows``) give exactly what
the scan of every reading gave (the reference below is the scan the selectors ran before
the rollups), on seeded random histories written by the single and the batch paths, with
reports disputed and settled, an indicator moved to another theme, and windows ending at
any moment — on an edge day, at an edge to the second, between days."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.db.models import Count, F, Q
from django.utils import timezone

from ewers.choices import RegionLevel
from ewers.models import Region, Theme
from indicators.choices import Polarity, Verification
from indicators.models import FieldReport, Reading, ReadingRollup, ReportRollup
from indicators.rollups import DAY_COLUMNS
from indicators.services import ReadingInput, ReportDraft, field_report_verify, field_reports_create
from indicators.services.rollups import rollups_rebuild
from learning.selectors import stale_community_ids, surges_build
from learning.surges import BASELINE_WEEKS, RECENT_DAYS, is_stale, surge_assess
from learning.windows import report_spans, theme_spans, window_edges
from tests import factories

pytestmark = pytest.mark.django_db


# --- The reference: the scan over every reading (the selectors before the rollups) -----------


def _weekly_counts(at: str, now: datetime, recent_days: int) -> dict[str, Count]:
    recent_start = now - timedelta(days=recent_days)
    counts = {"recent": Count("id", filter=Q(**{f"{at}__gt": recent_start, f"{at}__lte": now}))}
    for week in range(1, BASELINE_WEEKS + 1):
        end = recent_start - timedelta(weeks=week - 1)
        counts[f"w{week}"] = Count("id", filter=Q(**{f"{at}__gt": end - timedelta(weeks=1), f"{at}__lte": end}))
    return counts


def _row(row: dict[str, Any]) -> list[int]:
    return [int(row["recent"]), *(int(row[f"w{week}"]) for week in range(1, BASELINE_WEEKS + 1))]


def scan_theme_counts(now: datetime) -> dict[tuple[int, int], list[int]]:
    start = now - timedelta(days=RECENT_DAYS) - timedelta(weeks=BASELINE_WEEKS)
    rows = (
        Reading.objects.filter(
            report__observed_at__gt=start,
            report__observed_at__lte=now,
            indicator__polarity=Polarity.RISK,
            value__gt=F("indicator__scale_min"),
        )
        .exclude(report__verification=Verification.DISPUTED)
        .order_by()
        .values("report__community", "indicator__theme")
        .annotate(**_weekly_counts("report__observed_at", now, RECENT_DAYS))
    )
    return {(row["report__community"], row["indicator__theme"]): _row(row) for row in rows}


def scan_report_counts(now: datetime, days: int) -> dict[int, list[int]]:
    start = now - timedelta(days=days) - timedelta(weeks=BASELINE_WEEKS)
    rows = (
        FieldReport.objects.filter(observed_at__gt=start, observed_at__lte=now)
        .order_by()
        .values("community")
        .annotate(**_weekly_counts("observed_at", now, days))
    )
    return {row["community"]: _row(row) for row in rows}


# --- Random histories ---------------------------------------------------------------------


def _moment(rng: random.Random, now: datetime) -> datetime:
    """Anywhere in ten weeks, or near a window's edge (on it to the second now and then)."""
    if rng.random() < 0.5:
        return now - timedelta(days=rng.uniform(0, 70))
    edge = rng.choice(window_edges(now, rng.choice((RECENT_DAYS, 14))))
    return min(now, edge + timedelta(seconds=rng.choice((0, 0, -1, 1, rng.randint(-36_000, 36_000)))))


def _history(cast, rng: random.Random, now: datetime) -> list[FieldReport]:
    weapons = factories.make_theme("weapons")
    indicators = [
        cast.indicator,  # risk, tension, from 0
        factories.make_indicator("P02", theme=weapons, scale_min=1, scale_max=5),  # counts above 1 only
        factories.make_indicator("R01", theme=cast.indicator.theme, polarity=Polarity.RESILIENCE),  # never counts
        factories.make_indicator("T01", theme=weapons),
    ]
    communities = [cast.places["c1"], cast.places["c2"]]

    def readings() -> list[ReadingInput]:
        chosen = rng.sample(indicators, rng.randint(1, 3))
        return [ReadingInput(indicator=i, value=i.scale_min + rng.choice((0, 0, 1, 1, 2, 3))) for i in chosen]

    reports = []
    for _ in range(40):  # one by one
        place, at = rng.choice(communities), _moment(rng, now)
        reports.append(factories.make_report(cast.analyst, place, cast.indicator, observed_at=at, readings=readings()))
    drafts = [
        ReportDraft(
            community=rng.choice(communities),
            observed_at=_moment(rng, now),
            readings=readings(),
            source_reliability="B",
            information_credibility=2,
        )
        for _ in range(40)
    ]
    outcomes = field_reports_create(user=cast.analyst, drafts=drafts)  # a batch (as the CSV import)
    reports += list(FieldReport.objects.filter(pk__in=[o.report_id for o in outcomes]))
    return reports


def _assert_same(now: datetime) -> None:
    communities = Region.objects.filter(level=RegionLevel.COMMUNITY)
    for moment in (
        now,
        now - timedelta(days=3, hours=5, seconds=17),
        now - timedelta(days=9, minutes=1),
        datetime.combine((now - timedelta(days=2)).date(), time.min, tzinfo=UTC),  # at midnight
        datetime.combine((now - timedelta(days=1)).date(), time(6, 0), tzinfo=UTC),  # edge days read up to the edge
        datetime.combine((now - timedelta(days=1)).date(), time(18, 30), tzinfo=UTC),  # ... and after it
    ):
        counted = scan_theme_counts(moment)
        _assert_spans(theme_spans, counted, communities, moment, RECENT_DAYS)
        for days in (RECENT_DAYS, 14, 10, 1):  # 1: no whole day inside the recent span
            reported = scan_report_counts(moment, days)
            _assert_spans(report_spans, reported, communities, moment, days)


def _assert_spans(spans, counted, communities, moment, days) -> None:
    """The spans are the windows' counts added up, for every key that may be flagged:
    at least every key that is."""
    if spans is theme_spans:
        for multiple, floor in ((1.0, 1), (2.0, 5), (1.5, 2)):
            found = spans(communities, moment, days, floor=floor, multiple=multiple)
            for key, (recent, baseline) in found.items():
                assert (recent, baseline) == (counted[key][0], sum(counted[key][1:]))
            flagged = {
                k for k, v in counted.items() if surge_assess(v[0], v[1:], multiple=multiple, floor=floor).flagged
            }
            assert flagged <= found.keys()
    else:
        for min_weekly in (0.1, 0.25, 1.5):
            found = spans(communities, moment, days, min_weekly=min_weekly)
            for key, (recent, baseline) in found.items():
                assert (recent, baseline) == (counted[key][0], sum(counted[key][1:]))
            stale = {k for k, v in counted.items() if is_stale(v[0], v[1:], min_weekly=min_weekly)}
            assert stale <= found.keys()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollups_count_what_the_scan_counts_through_any_edits(cast, seed):
    rng = random.Random(seed)
    now = timezone.now()
    reports = _history(cast, rng, now)
    _assert_same(now)
    # Disputed, settled, disputed again: what counts changes, the rollups follow.
    for report in rng.sample(reports, 30):
        verification = rng.choice((Verification.DISPUTED, Verification.VERIFIED, Verification.UNVERIFIED))
        field_report_verify(report=report, user=cast.coordinator, verification=verification)
    _assert_same(now)
    # An indicator moved to another theme takes its readings' counts with it.
    factories.make_indicator("P02", theme=cast.indicator.theme, scale_min=1, scale_max=5)
    _assert_same(now)
    # The rows kept one write at a time are those a rebuild computes at once.
    kept_readings, kept_reports = rollup_rows(ReadingRollup, "theme"), rollup_rows(ReportRollup)
    rollups_rebuild()
    assert rollup_rows(ReadingRollup, "theme") == kept_readings
    assert rollup_rows(ReportRollup) == kept_reports


def rollup_rows(model, *key):
    """The rows that count something (one kept write by write may hold zeros only)."""
    rows = model.objects.values_list("community", *key, "start", *DAY_COLUMNS)
    return {row for row in rows if any(row[2 + len(key) :])}


def test_the_surges_and_the_stale_communities_are_those_of_the_scan(cast, settings):
    """With thresholds low enough to flag some: the same rows, in the same order."""
    settings.EWERS_SURGE_MULTIPLE, settings.EWERS_SURGE_MIN_READINGS = 1.0, 1
    settings.EWERS_STALE_MIN_WEEKLY_REPORTS = 0.1
    rng = random.Random(7)
    now = timezone.now()
    _history(cast, rng, now)
    rows = surges_build(cast.coordinator, now=now)
    themes = dict(Theme.objects.values_list("pk", "code"))
    expected = [
        (community, themes[theme], counts[0])
        for (community, theme), counts in scan_theme_counts(now).items()
        if surge_assess(counts[0], counts[1:], multiple=1.0, floor=1).flagged
    ]
    assert rows
    assert sorted((r.community_id, r.theme_code, r.surge.recent) for r in rows) == sorted(expected)
    later = now + timedelta(days=20)  # every community silent since
    expected_stale = {c for c, v in scan_report_counts(later, settings.EWERS_STALE_DAYS).items() if v[0] == 0}
    assert stale_community_ids(cast.coordinator, now=later) == expected_stale
