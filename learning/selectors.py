"""Reads of the learning app; every one starts from ``visible_to(user)`` (404 outside it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import DateTimeField, Exists, ExpressionWrapper, OuterRef, Prefetch, QuerySet, Value
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.choices import AlertState
from alerts.models import Alert
from alerts.selectors import alerts_visible
from ewers.choices import RegionLevel
from ewers.i18n import localized_column
from ewers.lookups import get_by_code_or_id
from ewers.models import Region, Theme, User
from ewers.versions import RISK, ROLLUPS
from indicators.models import CurrentRisk
from indicators.services import scoring_config
from indicators.services.risk import week_of
from learning.forecast import Forecast, forecast_area
from learning.kept import kept
from learning.models import Incident
from learning.quality import AlertFact, IncidentFact, Quality, month_of, quality_by, quality_measure
from learning.surges import BASELINE_WEEKS, RECENT_DAYS, Surge, is_stale_total, surge_of_total
from learning.windows import report_spans, theme_spans


def incidents_visible(user: User) -> QuerySet[Incident]:
    """Incidents the user may see, latest first, each with its community, recorder and
    the linked alerts the user may see (a responder does not learn of other alerts)."""
    linked = Alert.objects.visible_to(user).order_by("opened_at", "id")
    # An alert of its community opened within EWERS_OUTCOME_DAYS before it warned of it too
    # (learning.quality.warned), linked or not; only alerts the user sees are looked at.
    window = timedelta(days=settings.EWERS_OUTCOME_DAYS)
    nearby = Alert.objects.visible_to(user).filter(
        community=OuterRef("community"),
        opened_at__lte=OuterRef("occurred_at"),
        opened_at__gte=ExpressionWrapper(OuterRef("occurred_at") - window, output_field=DateTimeField()),
    )
    return (
        Incident.objects.visible_to(user)
        .select_related("community__district", "organisation", "recorded_by")
        .prefetch_related(Prefetch("alerts", queryset=linked))
        .annotate(alert_nearby=Exists(nearby))
        .order_by("-occurred_at", "-id")
    )


def incident_get(user: User, pk: int | str) -> Incident:
    """One incident the user may see; 404 otherwise."""
    try:
        return incidents_visible(user).get(pk=int(pk))
    except (Incident.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such incident.")) from None


def incident_communities(user: User) -> QuerySet[Region]:
    """The communities the user may record an incident in: those their organisation covers."""
    return Region.objects.covered_by(user).communities().select_related("district").order_by("code")


def incident_alerts_linkable(user: User) -> QuerySet[Alert]:
    """The alerts the user may link an incident to: those they see (the service also asks
    that the alert be of the incident's community and opened before it)."""
    return alerts_visible(user, with_timeline=False)


# --- Alert quality ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityReport:
    """Alert quality over a span: overall and per level, indicator and month."""

    since: datetime
    window_days: int
    overall: Quality
    by_level: list[tuple[str, Quality]]
    by_indicator: list[tuple[str, Quality]]
    by_period: list[tuple[str, Quality]]


def alert_quality_facts(
    user: User, *, since: datetime, communities: QuerySet[Region] | None = None
) -> tuple[list[AlertFact], list[IncidentFact]]:
    """The alerts opened and the incidents that occurred since ``since`` in the user's
    share (in ``communities`` when given), as plain facts for ``learning.quality``."""
    alerts = Alert.objects.visible_to(user).filter(opened_at__gte=since)
    incidents = Incident.objects.visible_to(user).filter(occurred_at__gte=since)
    if communities is not None:
        alerts = alerts.filter(community__in=communities.values("pk"))
        incidents = incidents.filter(community__in=communities.values("pk"))
    alert_facts = [
        AlertFact(
            id=row["pk"],
            community=row["community_id"],
            opened_at=row["opened_at"],
            level=row["level"],
            indicators=tuple(dict.fromkeys(str(c.get("indicator", "")) for c in row["explanation"] or [])),
            dismissed=row["state"] == AlertState.DISMISSED,
            outcome=row["outcome"],
        )
        for row in alerts.order_by().values(
            "pk", "community_id", "opened_at", "level", "state", "outcome", "explanation"
        )
    ]
    links: dict[int, set[int]] = defaultdict(set)
    through = Incident.alerts.through.objects.filter(incident__in=incidents.values("pk"))
    for incident_id, alert_id in through.values_list("incident_id", "alert_id"):
        links[incident_id].add(alert_id)
    incident_facts = [
        IncidentFact(id=pk, community=community, occurred_at=at, alerts=frozenset(links.get(pk, ())))
        for pk, community, at in incidents.order_by().values_list("pk", "community_id", "occurred_at")
    ]
    return alert_facts, incident_facts


def alert_quality_report(
    user: User,
    *,
    since: datetime,
    now: datetime | None = None,
    communities: QuerySet[Region] | None = None,
    level: str | None = None,
    indicator: str | None = None,
    period: str | None = None,
) -> QualityReport:
    """Alert quality in the user's share since ``since``, matched within
    ``EWERS_OUTCOME_DAYS``; ``level``, ``indicator`` and ``period`` (a month, "2026-03")
    narrow the alerts (and, for the period, the incidents) measured."""
    now = now or timezone.now()
    window = timedelta(days=settings.EWERS_OUTCOME_DAYS)
    alerts, incidents = alert_quality_facts(user, since=since, communities=communities)
    pool_incidents = incidents
    if level:
        alerts = [a for a in alerts if a.level == level]
    if indicator:
        alerts = [a for a in alerts if indicator in a.indicators]
    # The alerts that may have warned: of the level and indicator asked, in any month.
    pool_alerts = alerts
    if period:
        alerts = [a for a in alerts if month_of(a.opened_at) == period]
        incidents = [i for i in incidents if month_of(i.occurred_at) == period]
    overall = quality_measure(
        alerts, incidents, window=window, now=now, alerts_pool=pool_alerts, incidents_pool=pool_incidents
    )
    return QualityReport(
        since=since,
        window_days=settings.EWERS_OUTCOME_DAYS,
        overall=overall,
        by_level=quality_by(alerts, incidents, by="level", window=window, now=now),
        by_indicator=quality_by(alerts, incidents, by="indicator", window=window, now=now),
        by_period=quality_by(alerts, incidents, by="period", window=window, now=now),
    )


T = TypeVar("T")

# --- Surges and silence -----------------------------------------------------------------------


@dataclass(frozen=True)
class SurgeRow:
    """A community and theme whose last 7 days of readings surged over its baseline."""

    community_id: int
    community_code: str
    community_name: str
    theme_code: str
    theme_name: str
    surge: Surge


def _surge_names(community_ids: set[int]) -> tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str]]]:
    """The codes and names of the communities given and of every theme (a short catalogue),
    in one query whether or not anything surged."""
    communities = (
        Region.objects.filter(pk__in=community_ids)
        .order_by()
        .annotate(kind=Value("c"))
        .values_list("kind", "pk", "code", "name")
    )
    themes = (
        Theme.objects.order_by()
        .annotate(kind=Value("t"), shown=localized_column("name"))
        .values_list("kind", "pk", "code", "shown")
    )
    names: dict[str, dict[int, tuple[str, str]]] = {"c": {}, "t": {}}
    for kind, pk, code, name in communities.union(themes, all=True):
        names[kind][pk] = (code or "", name or "")
    return names["c"], names["t"]


def surges_build(
    user: User, *, now: datetime | None = None, communities: QuerySet[Region] | None = None
) -> list[SurgeRow]:
    """The surges in the user's coverage (in ``communities`` when given), largest first.

    Counts the readings of risk indicators above their scale's minimum (something was
    seen) from reports not disputed, per community and theme: an aggregate over every
    organisation's reports, like the risk score the coverage already sees. The counts
    come from the daily rollups (``learning.windows``: two queries whatever the number
    of communities), the names from one more. As of now (no ``now`` given), what was flagged
    may come from the cache (``learning.kept``)."""
    if communities is None:
        communities = Region.objects.visible_to(user).communities()
    multiple, floor = settings.EWERS_SURGE_MULTIPLE, settings.EWERS_SURGE_MIN_READINGS
    drawn = communities  # narrowed to a QuerySet for the function below

    def flag(at: datetime) -> list[tuple[int, int, Surge]]:
        spans = theme_spans(drawn, at, RECENT_DAYS, floor=floor, multiple=multiple)
        surges = (
            (community_id, theme_id, surge_of_total(recent, baseline, BASELINE_WEEKS, multiple=multiple, floor=floor))
            for (community_id, theme_id), (recent, baseline) in spans.items()
        )
        return [surge for surge in surges if surge[2].flagged]

    flagged = _counted("surges", now, communities, (RECENT_DAYS, floor, multiple), flag)
    places, themes = _surge_names({c for c, _t, _s in flagged})
    result = [
        SurgeRow(
            community_id=community_id,
            community_code=places[community_id][0],
            community_name=places[community_id][1],
            theme_code=themes[theme_id][0] or "",
            theme_name=themes[theme_id][1] or "",
            surge=surge,
        )
        for community_id, theme_id, surge in flagged
    ]
    return sorted(result, key=lambda r: (-(r.surge.recent - r.surge.baseline), r.community_code, r.theme_code))


def stale_community_ids(
    user: User, *, now: datetime | None = None, communities: QuerySet[Region] | None = None
) -> set[int]:
    """The communities of the user's coverage whose usual reporting stopped: none in the
    last EWERS_STALE_DAYS, after a weekly mean of at least EWERS_STALE_MIN_WEEKLY_REPORTS
    over the 8 weeks before (``learning.surges.is_stale``); counted from the daily
    rollups (``learning.windows``)."""
    if communities is None:
        communities = Region.objects.visible_to(user).communities()
    min_weekly, days = settings.EWERS_STALE_MIN_WEEKLY_REPORTS, settings.EWERS_STALE_DAYS
    drawn = communities  # narrowed to a QuerySet for the function below

    def stale(at: datetime) -> set[int]:
        spans = report_spans(drawn, at, days, min_weekly=min_weekly)
        return {
            community_id
            for community_id, (recent, baseline) in spans.items()
            if is_stale_total(recent, baseline, BASELINE_WEEKS, min_weekly=min_weekly)
        }

    return _counted("stale", now, communities, (days, min_weekly), stale)


def _counted(
    kind: str,
    now: datetime | None,
    communities: QuerySet[Region],
    parameters: tuple[Any, ...],
    count: Callable[[datetime], T],
) -> T:
    """What ``count`` finds at ``now``; as of now (None), maybe kept in the cache."""
    if now is not None:
        return count(now)
    return kept(kind, [ROLLUPS], communities, parameters, lambda: count(timezone.now()))


# The places a forecast is made for: districts (the issue's) and regions.
FORECAST_LEVELS = (RegionLevel.DISTRICT, RegionLevel.REGION)


@dataclass(frozen=True)
class AreaForecast:
    """An area the user sees, with its forecast (None: no community of it assessed yet)."""

    pk: int
    code: str
    name: str
    forecast: Forecast | None


def forecasts_build(
    user: User,
    *,
    level: str = RegionLevel.DISTRICT,
    now: datetime | None = None,
    areas: QuerySet[Region] | None = None,
) -> list[AreaForecast]:
    """Every district (or region) of the user's share, by code, with its 4-week forecast
    and backtest (``learning.forecast``; docs/forecast.md), in two queries whatever the
    number of areas: the areas, then their weekly values (``areas_weekly``, from their
    communities' weekly rollups kept by the scorer: never the assessments); as of now (no
    ``now`` given), the forecasts may come from the cache (``learning.kept``). ``areas``
    narrows the areas (still within the share). An area the user sees lies inside their
    coverage, and so do all its communities."""
    if level not in FORECAST_LEVELS:
        raise ValueError(f"no forecasts by {level!r}")
    listed = Region.objects.visible_to(user).filter(level=level)
    if areas is not None:
        listed = listed.filter(pk__in=areas.values("pk"))
    rows = list(listed.order_by("code").values_list("pk", "code", "name"))
    area_ids = [pk for pk, _code, _name in rows]
    current = week_of(now or timezone.now())
    bands = scoring_config().bands

    def forecast() -> dict[int, Forecast | None]:
        values = areas_weekly(user, level, area_ids)
        return {pk: forecast_area(values.get(pk, {}), current, bands) for pk in area_ids}

    if now is None:  # as of now: maybe kept (learning.kept), for these areas' covered communities
        covered = _covered(user, level, area_ids)
        forecasts = kept("forecasts", [RISK], covered, (level, tuple(area_ids), current, bands), forecast)
    else:
        forecasts = forecast()
    return [AreaForecast(pk=pk, code=code, name=name, forecast=forecasts[pk]) for pk, code, name in rows]


def _parent(level: str) -> str:
    """The field of a place naming its area of ``level`` (a district or a region)."""
    return "district" if level == RegionLevel.DISTRICT else "region"


def _covered(user: User, level: str, area_ids: list[int]) -> QuerySet[Region]:
    """The places the user covers inside the areas of ``level`` given."""
    return Region.objects.visible_to(user).filter(**{f"{_parent(level)}__in": area_ids})


def areas_weekly(user: User, level: str, area_ids: list[int]) -> dict[int, dict[date, float]]:
    """Each area's weekly value (``learning.forecast``: the highest of its communities'
    weekly highest scores, ``CurrentRisk.weekly``), for the areas of ``level`` given, from
    the communities of them the user covers: {area: {Monday: value}}.

    Aggregated by the database, a row per area and week: each community's rollup holds up
    to 53 weeks, and decoding them all in Python for a country's districts cost more than
    the rest of the heatmap page. One statement written out (the ORM has no rows of a JSON
    object's members); the communities come from the share's query."""
    if not area_ids:
        return {}
    parent = _parent(level)
    covered_sql, covered_params = _covered(user, level, area_ids).order_by().values("pk").query.sql_with_params()
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":
        members, value = "jsonb_each_text(cr.weekly) AS w(key, value)", "CAST(w.value AS double precision)"
    else:  # SQLite's JSON1: the members' values come as numbers (a JSON null as NULL)
        members, value = "json_each(cr.weekly) AS w", "w.value"
    sql = (
        f"SELECT c.{q(parent + '_id')}, w.key, MAX({value}) FROM {q(CurrentRisk._meta.db_table)} cr "  # noqa: S608 - names only
        f"JOIN {q(Region._meta.db_table)} c ON c.id = cr.community_id, {members} "
        f"WHERE cr.community_id IN ({covered_sql}) GROUP BY 1, 2"
    )
    result: dict[int, dict[date, float]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, covered_params)
        for area_id, week, top in cursor.fetchall():
            if top is not None:
                result.setdefault(area_id, {})[date.fromisoformat(week)] = float(top)
    return result


def forecast_get(
    user: User, ref: object, *, level: str = RegionLevel.DISTRICT, now: datetime | None = None
) -> AreaForecast:
    """One district's (or region's) forecast, named by id or code; 404 outside the share."""
    area = get_by_code_or_id(Region.objects.visible_to(user).filter(level=level), ref)
    if area is None:
        raise Http404
    return forecasts_build(user, level=level, now=now, areas=Region.objects.filter(pk=area.pk))[0]
