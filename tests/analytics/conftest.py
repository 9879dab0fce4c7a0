"""Assessments with known scores for the analytics tests: a small tree for the heatmap, and
a story of alerts and their response for the overview."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from alerts.choices import AlertState, AssignmentState, IncidentOutcome
from alerts.models import Alert
from analytics import heatmap
from ewers.choices import RegionLevel, RiskLevel
from ewers.models import Region
from ewers.services import region_upsert
from indicators.models import RiskAssessment
from indicators.services import risk_record
from tests import factories

# --- A small tree with known assessments --------------------------------------------------


def monday() -> datetime:
    zone = timezone.get_default_timezone()
    return heatmap.monday_midnight(heatmap.week_start(timezone.now(), zone), zone)


def assess(community: Region, score: float, at: datetime, level: str | None = None) -> RiskAssessment:
    """An assessment with a known score, kept in the precomputed risk as the scorer does."""
    assessment = RiskAssessment.objects.create(
        community=community,
        score=score,
        raw_score=score / 10,
        level=level or heatmap.level_of(score, (25, 50, 75)),
        assessed_at=at,
    )
    risk_record(assessment=assessment)
    return assessment


@pytest.fixture
def tree(cast):
    """T-1-1 (c1, c2) and T-1-2 (c3) in region T-1; T-2-1 (c4, never assessed) in T-2."""
    places = cast.places
    d2, _ = region_upsert(code="T-1-2", name="T district two", level=RegionLevel.DISTRICT, parent=places["region"])
    c3, _ = region_upsert(
        code="T-1-2-1",
        name="T village three",
        level=RegionLevel.COMMUNITY,
        parent=d2,
        boundary=factories.square(101, 1),
    )
    r2, _ = region_upsert(code="T-2", name="T region two", level=RegionLevel.REGION, parent=places["country"])
    d3, _ = region_upsert(code="T-2-1", name="T district three", level=RegionLevel.DISTRICT, parent=r2)
    c4, _ = region_upsert(
        code="T-2-1-1", name="T village four", level=RegionLevel.COMMUNITY, parent=d3, boundary=factories.square(102, 1)
    )
    now = monday()
    c1, c2 = places["c1"], places["c2"]
    # c1: last week 30 then 50; this week 40 (current).
    assess(c1, 30, now - timedelta(days=6))
    assess(c1, 50, now - timedelta(seconds=1))  # Sunday 23:59:59 local time: last week
    latest_c1 = assess(c1, 40, now + timedelta(seconds=1))
    # c2: last week 20; this week 80 (current, critical).
    assess(c2, 20, now - timedelta(days=3))
    assess(c2, 80, now, level=RiskLevel.CRITICAL)  # Monday 00:00 local time: this week
    # c3: two weeks ago 60; this week 10 (current).
    assess(c3, 60, now - timedelta(days=10))
    assess(c3, 10, now + timedelta(seconds=2))
    # Outside the 3-week window: counts for nothing in the matrix.
    assess(c3, 99, now - timedelta(days=22))
    return {**places, "d2": d2, "c3": c3, "r2": r2, "d3": d3, "c4": c4, "latest_c1": latest_c1}


@pytest.fixture
def response_story(cast):
    now = timezone.now()
    c1, c2 = cast.places["c1"], cast.places["c2"]
    t0 = now - timedelta(days=2)
    open_alert = Alert.objects.create(community=c1, level=RiskLevel.CRITICAL, opened_at=t0)

    def closed(state, outcome=None):
        return Alert.objects.create(
            community=c2,
            level=RiskLevel.HIGH,
            state=state,
            outcome=outcome,
            opened_at=now - timedelta(days=5),
            closed_at=now - timedelta(days=1),
        )

    yes = closed(AlertState.RESOLVED, IncidentOutcome.YES)
    closed(AlertState.RESOLVED, IncidentOutcome.NO)
    closed(AlertState.RESOLVED, IncidentOutcome.UNKNOWN)
    closed(AlertState.DISMISSED)
    # Outside the period: not counted.
    old = closed(AlertState.RESOLVED, IncidentOutcome.YES)
    Alert.objects.filter(pk=old.pk).update(closed_at=now - timedelta(days=60))
    # The police acknowledged after 1 h and 3 h and completed one after 5 h; the CSO is late.
    factories.make_assignment(
        alert=open_alert,
        organisation=cast.police,
        level=RiskLevel.CRITICAL,
        state=AssignmentState.COMPLETED,
        created_at=t0,
        due_at=t0 + timedelta(hours=1),
        acknowledged_at=t0 + timedelta(hours=1),
        finished_at=t0 + timedelta(hours=5),
        outcome="Patrols stepped up.",
    )
    factories.make_assignment(
        alert=yes,
        organisation=cast.police,
        level=RiskLevel.HIGH,
        state=AssignmentState.IN_PROGRESS,
        created_at=t0,
        due_at=t0 + timedelta(hours=6),
        acknowledged_at=t0 + timedelta(hours=3),
    )
    factories.make_assignment(
        alert=open_alert, organisation=cast.cso, level=RiskLevel.CRITICAL, created_at=t0, due_at=t0 + timedelta(hours=1)
    )
    # Withdrawn work (a dismissed alert) says nothing about the organisation.
    factories.make_assignment(
        alert=yes,
        organisation=cast.cso,
        level=RiskLevel.HIGH,
        state=AssignmentState.WITHDRAWN,
        created_at=t0,
        due_at=t0,
    )
    # Made before the period and still pending long after its deadline: overdue now.
    factories.make_assignment(
        alert=old,
        organisation=cast.cso,
        level=RiskLevel.HIGH,
        created_at=now - timedelta(days=60),
        due_at=now - timedelta(days=59),
    )
    # Rising: c1 from 10 (31 days ago) and 20 (8 days ago) to 70; c2 from nothing to 30.
    assess(c1, 10, now - timedelta(days=31))
    assess(c1, 20, now - timedelta(days=8))
    assess(c1, 70, now - timedelta(hours=1))
    assess(c2, 30, now - timedelta(hours=2))
    # Another country's community never shows in this coordinator's overview.
    assess(cast.other_places["c1"], 99, now)
