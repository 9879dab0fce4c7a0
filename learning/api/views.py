"""API v1 of the learning app: the incident register, surges and forecasts.

Reads go through ``learning.selectors`` (``visible_to``: 404 outside the share), writes
through ``learning.services``; the serializers only translate.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ewers.api.parsers import LimitedJSONParser
from ewers.api.viewsets import ShareViewSet
from ewers.models import Region, User
from learning.api.serializers import (
    ForecastQuerySerializer,
    IncidentInputSerializer,
    IncidentSerializer,
    forecast_data,
)
from learning.filters import IncidentFilter
from learning.forecast import HORIZON, MIN_ORIGINS
from learning.models import Incident
from learning.permissions import MAY_NOT_RECORD, incident_may_record
from learning.selectors import (
    forecast_get,
    forecasts_build,
    incident_get,
    incidents_visible,
    stale_community_ids,
    surges_build,
)
from learning.services import incident_record

INCIDENT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The incident's id.")


class MayRecordIncidents(BasePermission):
    message = MAY_NOT_RECORD

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and isinstance(user, User) and incident_may_record(user))


@extend_schema_view(
    list=extend_schema(summary="Incidents the user may see, latest first."),
    retrieve=extend_schema(summary="One incident.", parameters=[INCIDENT_ID]),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShareViewSet[Incident]):
    """The incident register: coordinators see their coverage's incidents; responders those
    their organisation recorded or linked to an alert it holds (``Incident.objects.visible_to``)."""

    serializer_class = IncidentSerializer
    queryset = Incident.objects.none()  # for the schema; get_queryset applies the share
    filter_backends = [DjangoFilterBackend]
    filterset_class = IncidentFilter
    parser_classes = [LimitedJSONParser]

    def get_permissions(self) -> list[BasePermission]:
        permissions: list[BasePermission] = [*super().get_permissions()]  # type: ignore[list-item]
        if self.action == "create":
            permissions.append(MayRecordIncidents())
        return permissions

    def share(self, user: User) -> QuerySet[Incident]:
        return incidents_visible(user)

    def share_get(self, user: User, ref: str) -> Incident:
        return incident_get(user, ref)

    @extend_schema(
        summary="Record an incident, with the alerts that warned of it if any.",
        request=IncidentInputSerializer,
        responses={
            201: IncidentSerializer,
            400: OpenApiResponse(description="Field messages: {field: [message, ...]}."),
            403: OpenApiResponse(description="Only coordinators and responders record incidents."),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = IncidentInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        incident = incident_record(user=self.user, **serializer.service_arguments())
        fresh = incident_get(self.user, incident.pk)
        return Response(IncidentSerializer(fresh).data, status=status.HTTP_201_CREATED)


class SurgesView(APIView):
    """Surges and silent communities in the user's coverage (docs/learning.md)."""

    @extend_schema(
        summary="Communities and themes whose last 7 days of readings exceed their 8-week baseline, "
        "and communities whose usual reporting has stopped (stale).",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        now = timezone.now()
        surges = surges_build(user, now=now)
        stale = Region.objects.filter(pk__in=stale_community_ids(user, now=now)).order_by("code")
        return Response(
            {
                "at": now.isoformat(),
                "multiple": settings.EWERS_SURGE_MULTIPLE,
                "min_readings": settings.EWERS_SURGE_MIN_READINGS,
                "results": [
                    {
                        "community": row.community_code,
                        "community_name": row.community_name,
                        "theme": row.theme_code,
                        "theme_name": row.theme_name,
                        "recent": row.surge.recent,
                        "baseline": row.surge.baseline,
                        "ratio": row.surge.ratio,
                    }
                    for row in surges
                ],
                "stale": [{"community": c.code, "community_name": c.name} for c in stale],
            }
        )


FORECAST_LEVEL = OpenApiParameter(
    "level", OpenApiTypes.STR, enum=["district", "region"], description="The areas: district (default) or region."
)


def _forecast_level(request: Request) -> str:
    """The ``level`` asked for; 400 with a field message for another."""
    given = request.query_params.get("level")
    query = ForecastQuerySerializer(data={} if given in (None, "") else {"level": given})
    query.is_valid(raise_exception=True)
    return str(query.validated_data["level"])


class ForecastsView(APIView):
    """4-week forecasts of the districts (or regions) of the user's share (docs/forecast.md)."""

    @extend_schema(
        operation_id="forecasts_list",
        summary="Each district's level 4 weeks ahead, where the forecast beat the naive 'same as now' forecast "
        "in its rolling-origin backtest, with its measured accuracy and the naive one's; the others under "
        "'hidden' with their accuracy and why.",
        parameters=[FORECAST_LEVEL],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="{level: [message]}.")},
    )
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        level = _forecast_level(request)
        now = timezone.now()
        areas = [forecast_data(area) for area in forecasts_build(user, level=level, now=now)]
        return Response(
            {
                "at": now.isoformat(),
                "level": level,
                "horizon_weeks": HORIZON,
                "min_origins": MIN_ORIGINS,
                "results": [area for area in areas if area["shown"]],
                "hidden": [area for area in areas if not area["shown"]],
            }
        )


class ForecastView(APIView):
    """One district's (or region's) forecast and backtest; 404 outside the user's share."""

    @extend_schema(
        operation_id="forecasts_retrieve",
        summary="One area's forecast (weeks only when shown) and its accuracy beside the naive one's.",
        parameters=[
            FORECAST_LEVEL,
            OpenApiParameter("ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The area's id or code."),
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            400: OpenApiResponse(description="{level: [message]}."),
            404: OpenApiResponse(description="No such area in the user's share."),
        },
    )
    def get(self, request: Request, ref: str) -> Response:
        user = cast(User, request.user)
        level = _forecast_level(request)
        return Response(forecast_data(forecast_get(user, ref, level=level)))
