"""What the demo shows of forecasts (docs/forecast.md): a district whose tension builds
slowly and steadily, which the forecast reads better than "the level stays as it is".

Sungai Bahagia (``FORECAST_COMMUNITY``), in the district of Kota Lama, gets a visit every three or
four days over the 90 days, each recording a little intercommunal tension (S05 at 1 of 4,
graded B3): a structural signal that fades slowly, so the score climbs week by week from
near 0 to the mid-30s, into moderate about five weeks ago and never near an alert. The
district's other communities are calm, so its weekly series is this climb. Whatever the
weekday the demo is seeded on, the naive forecast misses the crossing into moderate at
every origin before it and the damped trend sees it coming (tests/demo/test_seed.py).

The reports are planned by a pure function, keyed ``demo-fc-N``; the community's calm
visits of ``plan_reports`` (whose resilience readings would blur the climb) are left out
of the plan (``plan_build_up``), every other report stays exactly as it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from demo.reports import DAYS, ReportSpec

FORECAST_COMMUNITY = "HM-04-02-03"
FORECAST_DISTRICT = "HM-04-02"
NARRATIVE = "Routine monitoring round: residents mention a little more friction between neighbourhoods than before."


def plan_build_up(plan: list[ReportSpec], *, now: datetime) -> list[ReportSpec]:
    """The plan with the forecast community's visits replaced by the slow build-up's."""
    kept = [spec for spec in plan if spec.community_code != FORECAST_COMMUNITY]
    return kept + plan_forecast_reports(now=now)


def plan_forecast_reports(*, now: datetime) -> list[ReportSpec]:
    """The slow build-up's visits, oldest first. Pure: same ``now``, same list."""
    plan: list[ReportSpec] = []
    days_ago = DAYS - 2
    while days_ago > 0:
        observed_at = now - timedelta(days=days_ago, hours=3)
        plan.append(
            ReportSpec(
                key=f"demo-fc-{len(plan) + 1}",
                community_code=FORECAST_COMMUNITY,
                reporter="monitor.wanita",
                observed_at=observed_at,
                received_at=observed_at + timedelta(minutes=30),
                readings=[("S05", 1.0)],
                source_reliability="B",
                information_credibility=3,
                narrative=NARRATIVE,
                source_reference=None,
            )
        )
        days_ago -= 3 if len(plan) % 2 else 4
    return plan
