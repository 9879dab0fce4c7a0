"""API v1 endpoints of alerts: reading them. Acting on alerts comes with routing."""

from __future__ import annotations

from typing import cast

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from alerts.api.serializers import AlertSerializer
from alerts.filters import AlertFilter
from alerts.models import Alert
from alerts.selectors import alert_get, alerts_visible
from ewers.models import User


@extend_schema_view(
    list=extend_schema(summary="Alerts the user may see: open first, then newest."),
    retrieve=extend_schema(
        summary="One alert with its explanation, timeline and assignments.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The alert's id.")],
    ),
)
class AlertViewSet(viewsets.ReadOnlyModelViewSet[Alert]):
    """Coordinators: the alerts of their coverage; responders: alerts assigned to their
    organisation; others: none (PRODUCT.md, "Who sees what")."""

    serializer_class = AlertSerializer
    queryset = Alert.objects.none()  # for the schema; get_queryset applies the share
    filter_backends = [DjangoFilterBackend]
    filterset_class = AlertFilter

    def get_queryset(self) -> QuerySet[Alert]:
        return alerts_visible(cast(User, self.request.user))

    def get_object(self) -> Alert:
        return alert_get(cast(User, self.request.user), self.kwargs["pk"])
