"""Alert quality's arithmetic (learning.quality), pure: known answers on planted
incidents, and properties that hold for any register."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from learning.quality import AlertFact, IncidentFact, quality_by, quality_measure, warned

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = timedelta(days=30)
NOW = T0 + timedelta(days=200)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


ALERTS = [
    AlertFact(1, community=1, opened_at=day(0), level="high", indicators=("P01",)),
    AlertFact(2, community=2, opened_at=day(50), level="moderate", indicators=("P01", "P02")),
    AlertFact(3, community=3, opened_at=day(100), level="high", indicators=("P02",), dismissed=True),
    AlertFact(4, community=4, opened_at=day(190), level="moderate"),  # its window still runs
    AlertFact(5, community=5, opened_at=day(60), level="moderate", outcome="yes"),  # the coordinator's word
]
INCIDENTS = [
    IncidentFact(1, community=1, occurred_at=day(10)),  # 10 days after alert 1: a hit
    IncidentFact(2, community=6, occurred_at=day(120)),  # no alert anywhere near: a miss
    IncidentFact(3, community=2, occurred_at=day(85)),  # 35 days after alert 2: too late to count
    IncidentFact(4, community=3, occurred_at=day(150), alerts=frozenset({3})),  # linked: counts at 50 days
]


def test_it_gives_the_planted_precision_recall_and_lead_time():
    q = quality_measure(ALERTS, INCIDENTS, window=WINDOW, now=NOW)
    assert (q.alerts, q.followed, q.pending, q.dismissed) == (4, 3, 1, 1)
    assert q.precision == 0.75 and q.dismissed_share == 0.2
    assert (q.incidents, q.preceded) == (4, 2)
    assert q.recall == 0.5
    assert q.lead_times == (timedelta(days=10), timedelta(days=50))
    assert q.median_lead == timedelta(days=30) and q.median_lead_days == 30.0


def test_it_groups_by_level_against_every_incident():
    groups = dict(quality_by(ALERTS, INCIDENTS, by="level", window=WINDOW, now=NOW))
    assert set(groups) == {"high", "moderate"}
    high, moderate = groups["high"], groups["moderate"]
    assert (high.precision, high.recall, high.median_lead_days) == (1.0, 0.5, 30.0)
    assert (moderate.alerts, moderate.followed, moderate.pending) == (2, 1, 1)
    assert (moderate.precision, moderate.recall, moderate.median_lead) == (0.5, 0.0, None)


def test_it_groups_by_indicator_named_in_the_explanation():
    groups = dict(quality_by(ALERTS, INCIDENTS, by="indicator", window=WINDOW, now=NOW))
    assert set(groups) == {"P01", "P02"}
    assert (groups["P01"].alerts, groups["P01"].followed) == (2, 1)  # alerts 1 (hit) and 2 (miss)
    assert (groups["P02"].alerts, groups["P02"].followed) == (2, 1)  # alerts 2 (miss) and 3 (linked hit)


def test_it_groups_by_month_matching_across_months():
    alerts = [AlertFact(1, community=1, opened_at=datetime(2026, 1, 25, tzinfo=UTC), level="high")]
    incidents = [IncidentFact(1, community=1, occurred_at=datetime(2026, 2, 3, tzinfo=UTC))]
    groups = dict(quality_by(alerts, incidents, by="period", window=WINDOW, now=NOW))
    # January's alert was followed in February; February's incident was preceded in January.
    assert (groups["2026-01"].alerts, groups["2026-01"].followed, groups["2026-01"].incidents) == (1, 1, 0)
    assert (groups["2026-02"].alerts, groups["2026-02"].incidents, groups["2026-02"].preceded) == (0, 1, 1)
    assert groups["2026-02"].median_lead_days == 9.0


def test_an_incident_before_the_alert_is_not_warned_of_even_when_linked():
    alert = AlertFact(1, community=1, opened_at=day(10), level="high")
    assert not warned(alert, IncidentFact(1, community=1, occurred_at=day(9), alerts=frozenset({1})), WINDOW)
    assert warned(alert, IncidentFact(2, community=1, occurred_at=day(40)), WINDOW)  # the window's last moment
    assert not warned(alert, IncidentFact(3, community=1, occurred_at=day(40.01)), WINDOW)
    assert not warned(alert, IncidentFact(4, community=2, occurred_at=day(11)), WINDOW)


def test_nothing_to_measure_gives_no_figures():
    q = quality_measure([], [], window=WINDOW, now=NOW)
    assert (q.precision, q.recall, q.dismissed_share, q.median_lead) == (None, None, None, None)


# --- Properties -------------------------------------------------------------------------------

alert_facts = st.lists(
    st.builds(
        AlertFact,
        id=st.integers(1, 10_000),
        community=st.integers(1, 5),
        opened_at=st.integers(0, 300).map(day),
        level=st.sampled_from(["moderate", "high", "critical"]),
        dismissed=st.booleans(),
        outcome=st.sampled_from([None, "yes", "no", "unknown"]),
    ),
    max_size=25,
    unique_by=lambda a: a.id,
)
incident_facts = st.lists(
    st.builds(
        IncidentFact,
        id=st.integers(1, 10_000),
        community=st.integers(1, 5),
        occurred_at=st.integers(0, 300).map(day),
        alerts=st.frozensets(st.integers(1, 10_000), max_size=2),
    ),
    max_size=25,
    unique_by=lambda i: i.id,
)


@given(alert_facts, incident_facts)
def test_the_figures_stay_in_bounds(alerts, incidents):
    q = quality_measure(alerts, incidents, window=WINDOW, now=day(400))
    assert 0 <= q.followed <= q.alerts and q.alerts + q.pending == len(alerts)
    assert 0 <= q.preceded <= q.incidents == len(incidents)
    assert len(q.lead_times) == q.preceded and all(lead >= timedelta(0) for lead in q.lead_times)
    for share in (q.precision, q.recall, q.dismissed_share):
        assert share is None or 0 <= share <= 1


@given(alert_facts, st.integers(0, 30))
def test_an_incident_planted_after_every_alert_gives_full_precision_and_recall(alerts, lead_days):
    plain = [AlertFact(a.id, a.community, a.opened_at, a.level) for a in alerts]
    incidents = [
        IncidentFact(n, community=a.community, occurred_at=a.opened_at + timedelta(days=lead_days))
        for n, a in enumerate(plain, 1)
    ]
    q = quality_measure(plain, incidents, window=WINDOW, now=day(400))
    if plain:
        assert q.precision == 1.0 and q.recall == 1.0
        # Each incident counts from its community's first warning: never later than planted.
        assert all(lead >= timedelta(days=lead_days) for lead in q.lead_times)


@given(alert_facts)
def test_incidents_only_before_the_alerts_give_no_recall(alerts):
    plain = [AlertFact(a.id, a.community, a.opened_at + timedelta(days=1000), a.level) for a in alerts]
    incidents = [IncidentFact(n, community=a.community, occurred_at=day(0)) for n, a in enumerate(plain, 1)]
    q = quality_measure(plain, incidents, window=WINDOW, now=day(2000))
    assert q.preceded == 0 and q.followed == 0
