"""The heatmap API's answer on varied data equals a straightforward computation from the
assessments themselves: each community's latest one, the highest score of each local
week, the mean or max of an area's communities, rounded by ``round(x, 2)`` (scores of
three and four places, halves among them, weeks without an assessment, open alerts)."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from alerts.selectors import alerts_visible
from analytics import heatmap
from ewers.choices import RegionLevel, RiskLevel
from ewers.models import Region
from ewers.services import region_upsert
from indicators.models import RiskAssessment
from indicators.services import scoring_config
from tests.analytics.conftest import assess, monday

WEEKS = 6


@pytest.fixture
def varied(cast):
    """Two more districts of 7 communities each beside the cast's, with random scores
    over 8 weeks (some never assessed, some weeks empty, some open alerts)."""
    rng = random.Random(20261206)
    start = monday()
    for d in range(2):
        district, _ = region_upsert(
            code=f"T-1-{d + 5}", name=f"Varied {d}", level=RegionLevel.DISTRICT, parent=cast.places["region"]
        )
        for i in range(7):
            community, _ = region_upsert(
                code=f"T-1-{d + 5}-{i}", name=f"Kampung {d}·{i} — “tepi”", level=RegionLevel.COMMUNITY, parent=district
            )
            if i == 6:
                continue  # never assessed
            for _ in range(rng.randint(1, 9)):
                at = start + timedelta(days=rng.randint(-55, 6), seconds=rng.randint(0, 86_399))
                score = rng.choice([round(rng.uniform(0, 100), 3), round(rng.uniform(0, 100), 4), rng.randint(0, 100)])
                latest = assess(community, score, at, level=rng.choice(RiskLevel.values))
            if i % 3 == 0:
                Alert.objects.create(community=community, level=RiskLevel.HIGH, assessment=latest)


def reference(user, level: str, stat: str) -> dict:
    """The answer computed the plain way, from every assessment of the share."""
    zone = timezone.get_default_timezone()
    weeks = heatmap.week_window(timezone.now(), WEEKS, zone)
    bands = scoring_config().bands
    communities = list(Region.objects.visible_to(user).communities().order_by("code"))
    latest, weekly = {}, defaultdict(dict)
    for c in communities:
        history = list(RiskAssessment.objects.filter(community=c).order_by("-assessed_at", "-id"))
        latest[c.pk] = history[0] if history else None
        for a in history:
            week = heatmap.week_start(a.assessed_at, zone)
            weekly[c.pk][week] = max(a.score, weekly[c.pk].get(week, a.score))
    if level == "community":
        areas = [(c.code, c.name, [c]) for c in communities]
    else:
        parent = "district_id" if level == "district" else "region_id"
        places = Region.objects.visible_to(user).filter(level=level).order_by("code")
        areas = [(p.code, p.name, [c for c in communities if getattr(c, parent) == p.pk]) for p in places]

    def summed(values):
        if not values:
            return None
        return max(values) if stat == "max" else statistics.fmean(values)

    ranks = list(RiskLevel.values)
    body_areas, values = [], []
    for code, name, members in areas:
        scores = [latest[c.pk].score for c in members if latest[c.pk] is not None]
        score = summed(scores)
        if stat == "max":
            levels = [ranks.index(latest[c.pk].level) for c in members if latest[c.pk] is not None]
            area_level = ranks[max(levels)] if levels else None
        else:
            area_level = heatmap.level_of(score, bands)
        body_areas.append(
            {
                "code": code,
                "name": name,
                "level": area_level,
                "score": None if score is None else round(score, 2),
                "communities": len(members),
                "assessed": len(scores),
                # The alerts the user may see (none for analysts: alerts' visible_to).
                "open_alerts": alerts_visible(user, with_timeline=False)
                .filter(community__in=members, state="open")
                .count(),
            }
        )
        row = []
        for week in weeks:
            cell = summed([weekly[c.pk][week] for c in members if week in weekly[c.pk]])
            row.append(None if cell is None else round(cell, 2))
        values.append(row)
    return {
        "level": level,
        "weeks": WEEKS,
        "stat": stat,
        "areas": body_areas,
        "matrix": {"areas": [a["code"] for a in body_areas], "weeks": [w.isoformat() for w in weeks], "values": values},
    }


@pytest.mark.parametrize("level", ["community", "district", "region"])
@pytest.mark.parametrize("stat", ["mean", "max"])
@pytest.mark.parametrize("who", ["coordinator", "analyst"])
def test_it_answers_what_the_assessments_say(client, cast, tree, varied, level, stat, who):
    user = getattr(cast, who)
    client.force_login(user)
    response = client.get(reverse("api-heatmap"), {"level": level, "stat": stat, "weeks": WEEKS})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == reference(user, level, stat)
