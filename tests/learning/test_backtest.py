"""Backtests on the database (learning/backtest_service.py, ``manage.py backtest``): a
history built through the real scoring and alerting services, then replayed. With the live
settings the replay opens the live alerts exactly; other settings give other counts; and
nothing in the database changes."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from alerts.choices import AlertEventKind
from alerts.models import AlertEvent
from alerts.services import alert_dismiss
from ewers.choices import RiskLevel
from indicators.models import RiskAssessment
from learning.backtest_service import Trial, _incidents, _live_alerts, backtest_run, indicator_change_backtest
from learning.models import Incident
from learning.quality import quality_measure
from tests.indicators.services.conftest import report
from tests.indicators.test_admin import indicator_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(cast, strong, django_capture_on_commit_callbacks):
    """c1: an alert opens at high, escalates to critical, is dismissed, and its cooldown holds
    back the next rise; c2: moderate first, then an alert at high; one incident in c1."""
    c1, c2 = cast.places["c1"], cast.places["c2"]

    def scored(**kw):
        with django_capture_on_commit_callbacks(execute=True):
            report(cast, strong, **kw)

    scored()  # c1 high: opens
    scored(value=2, community=c2)  # c2 moderate: nothing
    scored()
    scored()  # c1 critical: escalates
    alert = c1.alerts.get()
    alert_dismiss(alert=alert, user=cast.coordinator, note="False alarm")
    scored()  # c1 stays critical: held back
    scored(community=c2)  # c2 high: opens
    Incident.objects.create(
        community=c1,
        occurred_at=alert.opened_at + timedelta(hours=1),
        kind="clash",
        severity="high",
        description="Stones thrown.",
        organisation=cast.desk,
        recorded_by=cast.coordinator,
    )
    return cast


def period():
    today = timezone.localdate()
    since = timezone.make_aware(timezone.datetime.combine(today - timedelta(days=1), timezone.datetime.min.time()))
    return since, since + timedelta(days=3)


def run(**trial):
    since, until = period()
    return backtest_run(since=since, until=until, trial=Trial(**trial), now=timezone.now())


def events(kind):
    rows = AlertEvent.objects.filter(kind=kind, organisation__isnull=True).order_by("at", "id")
    return [(e.alert.community_id, e.at, e.level) for e in rows]


def test_it_reproduces_the_live_alerts_exactly_with_the_live_settings(history):
    opened = events(AlertEventKind.OPENED)
    assert [level for _, _, level in opened] == [RiskLevel.HIGH, RiskLevel.HIGH]
    result = run()
    replayed = result.live.replay
    assert [(a.community, a.opened_at, a.level) for a in replayed.alerts] == opened
    escalations = [(a.community, at, level) for a in replayed.alerts for at, level in a.escalations]
    assert escalations == events(AlertEventKind.ESCALATED)
    assert result.live_alerts == 2
    # The trial without changes is the live replay.
    assert result.trial.replay == replayed


def test_its_quality_with_the_live_settings_is_the_live_alert_quality(history):
    result = run()
    alerts, incidents = _live_facts()
    window = timedelta(days=30)
    live = quality_measure(alerts, incidents, window=window, now=timezone.now())
    assert (result.live.quality.followed, result.live.quality.preceded, result.live.quality.lead_times) == (
        live.followed,
        live.preceded,
        live.lead_times,
    )
    assert (result.live.quality.preceded, result.live.quality.incidents) == (1, 1)
    assert result.live.quality.median_lead == timedelta(hours=1)


def _live_facts():
    since, until = period()
    return _live_alerts(since, until), _incidents(since, until)


def test_a_higher_alerting_level_opens_fewer_alerts(history):
    trial = run(alert_level=RiskLevel.CRITICAL).trial.replay
    # c1 opens when it rises to critical; c2 never gets there.
    assert [(a.community, a.level) for a in trial.alerts] == [(history.places["c1"].pk, RiskLevel.CRITICAL)]


def test_other_levels_bands_and_weights_give_the_expected_counts(history):
    lower = run(alert_level=RiskLevel.MODERATE).trial.replay
    # c2's moderate reading now opens an alert, which the later rise escalates.
    assert len(lower.alerts) == 2
    c2 = [a for a in lower.alerts if a.community == history.places["c2"].pk]
    assert [a.level for a in c2] == [RiskLevel.MODERATE] and c2[0].escalations[0][1] == RiskLevel.HIGH
    none = run(weights={"P01": 0.001, "P02": 0.001, "P03": 0.001}).trial.replay
    assert none.alerts == ()
    # Bands near the top: only c1's piled-up readings reach high, c2's never.
    high_bands = run(bands=(90.0, 95.0, 99.0)).trial.replay
    assert [(a.community, a.level) for a in high_bands.alerts] == [(history.places["c1"].pk, RiskLevel.HIGH)]


def test_the_command_prints_both_replays_and_changes_nothing(history, tmp_path):
    models = [m for m in apps.get_models() if m._meta.managed]
    before = {m._meta.label: m._default_manager.count() for m in models}
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"P02": 0.001, "P03": 0.001}))
    since, until = period()
    out = StringIO()
    call_command(
        "backtest",
        "--from",
        f"{since:%Y-%m-%d}",
        "--to",
        f"{until:%Y-%m-%d}",
        "--alert-level",
        "critical",
        "--bands",
        "30,55,80",
        "--weights",
        str(weights),
        stdout=out,
    )
    after = {m._meta.label: m._default_manager.count() for m in models}
    assert after == before
    text = out.getvalue()
    assert "2 alerts really opened" in text and "1 incidents in the register" in text
    assert "bands 25,50,75, alerts from high" in text and "bands 30,55,80, alerts from critical" in text
    line = next(row for row in text.splitlines() if row.startswith("alerts opened"))
    assert line.split()[-2:] == ["2", "0"]
    assert "Nothing in the database changed." in text


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-13-01", "--to", "2026-03-01"],
        ["--from", "2026-03-02", "--to", "2026-03-01"],
        ["--from", "2026-03-01", "--to", "2026-03-02", "--bands", "50,40,30"],
        ["--from", "2026-03-01", "--to", "2026-03-02", "--bands", "a,b"],
        ["--from", "2026-03-01", "--to", "2026-03-02", "--weights", "/nonexistent.json"],
    ],
)
def test_bad_options_are_refused_plainly(cast, args):
    with pytest.raises(CommandError):
        call_command("backtest", *args, stdout=StringIO())


def test_a_weight_of_zero_or_endless_is_refused(cast, tmp_path):
    weights = tmp_path / "w.json"
    weights.write_text('{"P01": 0, "P02": Infinity, "P03": 1}')
    with pytest.raises(CommandError, match="P01, P02"):
        call_command("backtest", "--from", "2026-03-01", "--to", "2026-03-02", "--weights", str(weights))


def test_an_unknown_indicator_code_in_the_weights_is_refused(cast, tmp_path):
    weights = tmp_path / "w.csv"
    weights.write_text("code,weight\nNOPE,2\n")
    with pytest.raises(CommandError, match="NOPE"):
        call_command("backtest", "--from", "2026-03-01", "--to", "2026-03-02", "--weights", str(weights))


def test_it_reproduces_the_live_alerts_from_any_moment_it_starts(history):
    # Started between any two assessments, the replay takes the live state then (the
    # level, an alert open, a cooldown running) and opens exactly the later live alerts.
    moments = list(RiskAssessment.objects.order_by("assessed_at").values_list("assessed_at", flat=True))
    _, until = period()
    for since in [m + timedelta(microseconds=1) for m in moments]:
        result = backtest_run(since=since, until=until, trial=Trial(), now=timezone.now())
        later = [row for row in events(AlertEventKind.OPENED) if row[1] >= since]
        assert [(a.community, a.opened_at, a.level) for a in result.live.replay.alerts] == later


def test_the_indicator_admin_backtests_a_change_without_saving_it(history, admin_client):
    indicator = history.indicator
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="_backtest"' in page
    data = indicator_form(indicator.theme_id, versions=1, code=indicator.code, name=indicator.name, weight="0.01")
    response = admin_client.post(url, data | {"_backtest": "1"})
    assert response.status_code == 200
    expected = indicator_change_backtest(indicator=indicator, changed={"weight": 0.01}, now=timezone.now())
    assert len(expected.live.replay.alerts) == 2
    text = response.content.decode()
    assert (
        f"would have opened {len(expected.trial.replay.alerts)} alerts instead of 2 "
        f"({expected.trial.quality.followed} instead of {expected.live.quality.followed} followed by an incident)"
    ) in text
    indicator.refresh_from_db()
    assert (indicator.weight, indicator.version) == (1.0, 1)
    # Saved as usual without the button.
    assert admin_client.post(url, data).status_code == 302
    indicator.refresh_from_db()
    assert (indicator.weight, indicator.version) == (0.01, 2)
