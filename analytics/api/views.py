"""API v1: the risk heatmap of the user's share (the numbers of the heatmap page)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.choices import ALERT_LEVELS
from analytics.api.renderers import FastJSONRenderer
from analytics.api.serializers import HeatmapSerializer
from analytics.choices import AreaLevel, Stat
from analytics.forms import HeatmapForm, form_data
from analytics.selectors import Heatmap, heatmap_build
from analytics.selectors.quality import quality_table
from ewers.models import User
from ewers.runtime import collector_paused
from indicators.choices import Category
from learning.permissions import MAY_NOT_READ_QUALITY, alert_quality_may_read

PARAMETERS = [
    OpenApiParameter(
        "level",
        OpenApiTypes.STR,
        enum=AreaLevel.values,
        description=_("The areas: communities (default), districts or regions."),
    ),
    OpenApiParameter(
        "weeks",
        OpenApiTypes.INT,
        description=_("Weeks of the matrix, 1–52 (default 12); the current week last."),
    ),
    OpenApiParameter(
        "stat",
        OpenApiTypes.STR,
        enum=Stat.values,
        description=_("An area's value: mean (default) or max of its communities."),
    ),
    OpenApiParameter(
        "region", OpenApiTypes.STR, description=_("Only inside this country, region or district (code or id).")
    ),
    OpenApiParameter(
        "theme", OpenApiTypes.STR, description=_("Scores from this theme's indicators only (code or id).")
    ),
    OpenApiParameter(
        "category",
        OpenApiTypes.STR,
        enum=Category.values,
        description=_("Scores from this category's indicators only."),
    ),
]


class HeatmapView(APIView):
    """Coordinators: their coverage; analysts and responders: their own coverage."""

    # Each answer reads a whole country's assessments: a tighter limit than other reads.
    throttle_scope = "heatmap"
    # The same JSON as DRF's renderer, written faster (thousands of areas per answer).
    renderer_classes = [FastJSONRenderer, BrowsableAPIRenderer]

    @extend_schema(
        summary="The risk heatmap: areas with their scores, and the area × week matrix.",
        parameters=PARAMETERS,
        responses=HeatmapSerializer,
    )
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        form = HeatmapForm(
            form_data(request.query_params, list(HeatmapForm.base_fields)), user=user, with_choices=False
        )
        if not form.is_valid():
            raise ValidationError({name: [str(e) for e in errors] for name, errors in form.errors.items()})
        query = form.heatmap_query()
        # Thousands of rows and areas, none in a cycle: no cyclic collection while they are
        # built and written (ewers.runtime.collector_paused).
        with collector_paused():
            return Response(_heatmap_body(heatmap_build(user, query)))


def _heatmap_body(data: Heatmap) -> dict[str, Any]:
    """The answer HeatmapSerializer describes (it is the schema), written out directly:
    passing thousands of areas and their week values through serializer fields one by one
    cost more than reading them. The areas' values are of the answer's types already (text
    from the database, ints, scores and matrix cells rounded floats or None: ``heatmap_build``),
    so they are passed on as they are; the weeks become ISO dates."""
    query = data.query
    return {
        "level": query.level,
        "weeks": query.weeks,
        "stat": query.stat,
        "areas": [
            {
                "code": area.code,
                "name": area.name,
                "level": area.level,
                "score": area.score,
                "communities": area.communities,
                "assessed": area.assessed,
                "open_alerts": area.open_alerts,
            }
            for area in data.areas
        ],
        "matrix": {
            "areas": [area.code for area in data.areas],
            "weeks": [week.isoformat() for week in data.weeks],
            "values": data.matrix,
        },
    }


class AlertQualityQuerySerializer(serializers.Serializer[Any]):
    """The query of ``GET /api/v1/alert-quality/``."""

    months = serializers.IntegerField(min_value=1, max_value=36, default=12)
    level = serializers.ChoiceField(choices=[(level, level) for level in ALERT_LEVELS], required=False)
    indicator = serializers.CharField(max_length=64, required=False)
    period = serializers.RegexField(
        r"^[0-9]{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": _("A month such as 2026-03.")},
    )


class AlertQualityView(APIView):
    """Coordinators: how often their alerts were right (docs/learning.md)."""

    @extend_schema(
        summary="Alert quality: precision, recall, median lead time and dismissed share, overall and "
        "per level, indicator and month; figures resting on fewer than k alerts or incidents are null.",
        parameters=[
            OpenApiParameter("months", OpenApiTypes.INT, description=_("Months back, 1–36 (default 12).")),
            OpenApiParameter(
                "level", OpenApiTypes.STR, enum=list(ALERT_LEVELS), description=_("Alerts of this level.")
            ),
            OpenApiParameter("indicator", OpenApiTypes.STR, description=_("Alerts whose explanation names it (code).")),
            OpenApiParameter("period", OpenApiTypes.STR, description=_("One month, e.g. 2026-03.")),
        ],
        responses={200: OpenApiTypes.OBJECT, 403: OpenApiResponse(description="Coordinators only.")},
    )
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        if not alert_quality_may_read(user):
            raise PermissionDenied(MAY_NOT_READ_QUALITY)
        query = AlertQualityQuerySerializer(
            data=form_data(request.query_params, list(AlertQualityQuerySerializer().fields))
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        now = timezone.now()
        table = quality_table(
            user,
            since=now - timedelta(days=30 * data["months"]),
            now=now,
            level=data.get("level"),
            indicator=data.get("indicator"),
            period=data.get("period"),
        )
        return Response(table.as_dict())
