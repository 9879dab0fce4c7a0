"""Analytics pages: the risk heatmap (and its CSV), a community's page, the overview.

Every read goes through ``analytics.selectors``, which starts from the user's share:
coordinators see their coverage, analysts and responders the map of their own coverage;
a community outside it answers 404. The overview is the coordinators' (403 otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from alerts.selectors import community_alert_open
from analytics import figures, selectors
from analytics.choices import LEVEL_BELOW, AreaLevel, Period, Stat
from analytics.exports import heatmap_csv
from analytics.forms import HEATMAP_DEFAULTS, HeatmapForm, OverviewForm, form_data
from analytics.selectors import Heatmap, HeatmapArea, HeatmapQuery
from ewers.api.throttling import throttled_page
from ewers.http import AuthenticatedHttpRequest
from ewers.models import Region, User
from ewers.runtime import collector_paused
from learning.forecast import HORIZON
from learning.selectors import SurgeRow, forecasts_build, stale_community_ids, surges_build

HEATMAP_FIELDS = ["level", "region", "theme", "category", "weeks", "stat"]
AREAS_PER_PAGE = 50
# The page's matrix shows at most this many rows (the highest scores first); the API
# and the CSV export carry every area.
MATRIX_ROWS = 60
# The places without a boundary named under the map; the rest are counted.
NO_BOUNDARY_NAMED = 20
TREND_DAYS = 180


def _heatmap_form(request: AuthenticatedHttpRequest, *, with_choices: bool = True) -> HeatmapForm:
    data = {name: str(value) for name, value in HEATMAP_DEFAULTS.items()} | form_data(request.GET, HEATMAP_FIELDS)
    return HeatmapForm(data, user=request.user, with_choices=with_choices)


def _query_string(query: HeatmapQuery, **changes: Any) -> str:
    params = QueryDict(mutable=True)
    values: dict[str, Any] = {
        "level": query.level,
        "weeks": query.weeks,
        "stat": query.stat,
        "region": query.region.code if query.region else "",
        "theme": query.theme.code if query.theme else "",
        "category": query.category,
    }
    values.update(changes)
    for name, value in values.items():
        if value not in ("", None):
            params[name] = str(value)
    return params.urlencode()


# Codes that a URL carries as they are (code_validator's alphabet: RFC 3986 unreserved).
URL_SAFE_CODE = re.compile(r"[A-Za-z0-9_.-]+")
PLACEHOLDER = "ewers-area-code"


def _area_links(areas: Sequence[HeatmapArea], query: HeatmapQuery) -> list[str]:
    """Where a click on each area leads: a community's page, or the heatmap of the area
    one level down. A community's link is its code put in the reversed URL once (a map
    holds thousands), which is what ``reverse`` gives for a code of the URL-safe alphabet."""
    if query.level != AreaLevel.COMMUNITY:
        below = LEVEL_BELOW[AreaLevel(query.level)]
        page = reverse("analytics:heatmap")
        return [page + "?" + _query_string(query, level=below, region=area.code) for area in areas]
    before, after = reverse("analytics:community", args=[PLACEHOLDER]).split(PLACEHOLDER)
    return [
        before + area.code + after
        if URL_SAFE_CODE.fullmatch(area.code)
        else reverse("analytics:community", args=[area.code])
        for area in areas
    ]


def _by_score(data: Heatmap) -> list[int]:
    """Area indexes, highest score first, unassessed last."""
    return sorted(
        range(len(data.areas)),
        key=lambda i: (data.areas[i].score is None, -(data.areas[i].score or 0), data.areas[i].code),
    )


def _map_legend(query: HeatmapQuery) -> str:
    """What the map's colours show, for its legend."""
    if query.filters_indicators:
        return str(_("Level of the score from the chosen indicators"))
    if query.level == AreaLevel.COMMUNITY:
        return str(_("Level of each community"))
    if query.stat == Stat.MEAN:
        return str(_("Level of the mean score of the communities"))
    return str(_("Level of the highest community"))


def _without_boundary_text(level: str, count: int) -> str:
    """ "3 communities have no boundary:", in the map's level."""
    if level == AreaLevel.COMMUNITY:
        text = ngettext("%(count)d community has no boundary:", "%(count)d communities have no boundary:", count)
    elif level == AreaLevel.DISTRICT:
        text = ngettext("%(count)d district has no boundary:", "%(count)d districts have no boundary:", count)
    else:
        text = ngettext("%(count)d region has no boundary:", "%(count)d regions have no boundary:", count)
    return text % {"count": count}


def _signals_texts(areas: Sequence[HeatmapArea], surges: dict[int, list[SurgeRow]], stale: set[int]) -> None:
    """Each community's hover line on the map for its surges and silence (``signals``;
    "" as it is without any). Each phrase is translated once: a map can hold a thousand surges."""
    surge_phrase = _("Surge: %(theme)s")
    stale_phrase = _("Stale: its usual reporting stopped")
    for area in areas:
        if area.pk in surges or area.pk in stale:
            parts = [surge_phrase % {"theme": surge.theme_name} for surge in surges.get(area.pk, [])]
            if area.pk in stale:
                parts.append(stale_phrase)
            area.signals = "; ".join(parts)


def _forecast_context(user: User, query: HeatmapQuery, data: Heatmap) -> dict[str, Any]:
    """The 4-week forecasts of the districts or regions drawn (two queries), those that beat
    the naive forecast in their backtest only (learning.forecast, docs/forecast.md)."""
    if query.level == AreaLevel.COMMUNITY or query.filters_indicators:
        return {}
    drawn = Region.objects.filter(pk__in=[area.pk for area in data.areas])
    built = forecasts_build(user, level=query.level, areas=drawn)
    shown = [area for area in built if area.forecast is not None and area.forecast.shown]
    return {"forecasts": shown, "forecasts_hidden": len(built) - len(shown), "forecast_horizon": HORIZON}


@login_required
@require_GET
# Thousands of areas, shapes and rows built and rendered: no cyclic collection meanwhile
# (ewers.runtime.collector_paused); the page's context cycle is collected after the request.
@collector_paused()
def heatmap_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The map of the chosen level coloured by risk, the area × week matrix, and a table
    of the areas (the same numbers, usable without JavaScript)."""
    form = _heatmap_form(request)
    context: dict[str, Any] = {"filterset": {"form": form}, "filtered": bool(form_data(request.GET, HEATMAP_FIELDS))}
    if not form.is_valid():
        return render(request, "analytics/heatmap.html", context, status=400)
    query = form.heatmap_query()
    data = selectors.heatmap_build(request.user, query, with_geometry=True)
    links = _area_links(data.areas, query)
    order = _by_score(data)
    shown = order[:MATRIX_ROWS]
    surges: dict[int, list[SurgeRow]] = {}
    stale: set[int] = set()
    if query.level == AreaLevel.COMMUNITY:
        # Two aggregate queries over the communities drawn (those of the map: the share,
        # within the region chosen), whatever their number.
        drawn = selectors.communities_covered(request.user, query.region)
        for surge in surges_build(request.user, communities=drawn):
            surges.setdefault(surge.community_id, []).append(surge)
        stale = stale_community_ids(request.user, communities=drawn)
        _signals_texts(data.areas, surges, stale)
    # The places of the map (the user's share) that have no shape: named under the map.
    link_of = {area.pk: link for area, link in zip(data.areas, links, strict=True)}
    missing = sorted(selectors.areas_without_boundary(data.areas), key=lambda area: area.name)
    # The table's rows of the page asked for only (a map holds thousands of areas).
    page: Any = Paginator(order, AREAS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [
        {
            "area": data.areas[i],
            "link": links[i],
            "surges": surges.get(data.areas[i].pk, []),
            "stale": data.areas[i].pk in stale,
        }
        for i in page.object_list
    ]
    context.update(
        {
            "query": query,
            "heatmap": data,
            "page": page,
            "map_figure": figures.heatmap_map(
                data.areas,
                links,
                legend=str(_map_legend(query)),
                parent=selectors.parent_outline(request.user, query),
            ),
            "without_boundary": len(missing),
            "without_boundary_text": _without_boundary_text(query.level, len(missing)) if missing else "",
            "without_boundary_shown": [
                {"name": area.name, "link": link_of[area.pk]} for area in missing[:NO_BOUNDARY_NAMED]
            ],
            "without_boundary_more": max(0, len(missing) - NO_BOUNDARY_NAMED),
            "map_legend": _map_legend(query),
            "matrix_figure": figures.heatmap_matrix(
                [data.areas[i].name for i in shown], data.weeks, [data.matrix[i] for i in shown]
            )
            if data.areas
            else None,
            "matrix_capped": len(order) > MATRIX_ROWS,
            "matrix_rows": MATRIX_ROWS,
            "export_query": _query_string(query),
            "drills_down": query.level != AreaLevel.COMMUNITY,
            "week_zone": settings.TIME_ZONE,
            **_forecast_context(request.user, query, data),
        }
    )
    return render(request, "analytics/heatmap.html", context)


@login_required
@require_GET
@throttled_page("export")
def heatmap_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The heatmap as CSV, cells of fewer than k reports suppressed (analytics.exports);
    at most EWERS_THROTTLE_EXPORT a minute per user (429 with Retry-After beyond)."""
    form = _heatmap_form(request, with_choices=False)
    if not form.is_valid():
        messages = [f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()]
        return HttpResponse("\n".join(messages), status=400, content_type="text/plain; charset=utf-8")
    query = form.heatmap_query()
    data = selectors.heatmap_build(request.user, query, with_report_counts=True)
    body = heatmap_csv(data, minimum=settings.EWERS_EXPORT_MIN_REPORTS)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    filename = f"ewers-heatmap-{query.level}-{timezone.now():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def community_page(request: AuthenticatedHttpRequest, ref: str) -> HttpResponse:
    """One community in the user's coverage: score trend with alert markers, the current
    explanation, recent reports the user may see, and the open alert. No source
    reference is read or shown here, whoever looks."""
    user = request.user
    found = selectors.community_risk_get(user, ref)
    community, latest = found.community, found.latest
    shares = selectors.community_explanation(latest) if latest is not None else []
    since = timezone.now() - timedelta(days=TREND_DAYS)
    trend = selectors.community_trend(community, days=TREND_DAYS)
    alerts, marks = selectors.community_alert_marks(user, community, since=since)
    open_alert = community_alert_open(community)
    context = {
        "community": community,
        "assessment": latest,
        "shares": shares,
        "reports": selectors.community_reports(user, community),
        "alerts": alerts,
        "open_alert": open_alert,
        # Analysts learn that an alert is open, not the response to it (alerts' visible_to).
        "open_alert_linked": open_alert is not None and any(a.pk == open_alert.pk for a in alerts),
        "trend_figure": figures.community_trend(trend, marks) if trend else None,
        "explanation_figure": figures.community_explanation(shares) if shares else None,
        "trend_days": TREND_DAYS,
        "district_linked": found.district_visible,
        "surges": surges_build(user, communities=Region.objects.filter(pk=community.pk)),
        "stale": community.pk in stale_community_ids(user, communities=Region.objects.filter(pk=community.pk)),
    }
    return render(request, "analytics/community.html", context)


@login_required
@require_GET
def overview_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The coordinator's overview: rising communities, open alerts, response performance
    and alert quality over a period."""
    if not request.user.is_coordinator:
        raise PermissionDenied(_("The overview is for coordinators."))
    form = OverviewForm(
        {"period": str(Period.MONTH.value)} | form_data(request.GET, ["region", "period"]), user=request.user
    )
    context: dict[str, Any] = {
        "filterset": {"form": form},
        "filtered": bool(form_data(request.GET, ["region", "period"])),
    }
    if not form.is_valid():
        return render(request, "analytics/overview.html", context, status=400)
    overview = selectors.overview_build(request.user, days=form.days, region=form.cleaned_data.get("region"))
    levels = list(overview.alerts_by_level)
    context.update(
        {
            "overview": overview,
            "days": form.days,
            "levels_figure": figures.bar_chart(
                [figures.level_label(level) for level in levels],
                list(overview.alerts_by_level.values()),
                [figures.LEVEL_COLOURS[i + 1] for i in range(len(levels))],
            ),
            "regions_figure": figures.bar_chart(
                [name for _code, name, _n in overview.alerts_by_region],
                [n for _code, _name, n in overview.alerts_by_region],
                "#1f4e70",
            )
            if overview.alerts_by_region
            else None,
        }
    )
    return render(request, "analytics/overview.html", context)
