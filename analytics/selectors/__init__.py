"""Reads of the analytics pages: the heatmap, the community page and the overview.

Every read starts from the user's share (``visible_to``); the arithmetic over the rows
is ``analytics.heatmap`` (pure).
"""

from __future__ import annotations

from analytics.selectors.community import (
    AlertMark,
    CommunityRisk,
    IndicatorShare,
    community_alert_marks,
    community_explanation,
    community_reports,
    community_risk_get,
    community_trend,
)
from analytics.selectors.heatmap import (
    Heatmap,
    HeatmapArea,
    HeatmapQuery,
    communities_covered,
    heatmap_build,
)
from analytics.selectors.overview import overview_build, response_performance
from analytics.selectors.places import (
    REGION_FILTER_LEVELS,
    areas_without_boundary,
    parent_outline,
    region_filter_choices,
)

__all__ = [
    "REGION_FILTER_LEVELS",
    "AlertMark",
    "CommunityRisk",
    "Heatmap",
    "HeatmapArea",
    "HeatmapQuery",
    "IndicatorShare",
    "areas_without_boundary",
    "communities_covered",
    "community_alert_marks",
    "community_explanation",
    "community_reports",
    "community_risk_get",
    "community_trend",
    "heatmap_build",
    "overview_build",
    "parent_outline",
    "region_filter_choices",
    "response_performance",
]
