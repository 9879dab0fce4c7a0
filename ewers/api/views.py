"""API v1 endpoints of the core: who am I, the token login, regions and communities."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ewers.api.filters import RegionFilter
from ewers.api.schema import ErrorSerializer
from ewers.api.serializers import (
    AssessmentSerializer,
    CommunitySerializer,
    HistoryEntrySerializer,
    HistoryQuerySerializer,
    MeSerializer,
    RegionSerializer,
    TokenSerializer,
)
from ewers.models import Region, User
from indicators.selectors import assessment_history, assessment_latest, communities_visible, community_get

COMMUNITY_REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The community's id or code."
)


class MeView(APIView):
    """The authenticated user's name, organisation, sector and role."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        # IsAuthenticated (the default permission) has run: the user is real.
        return Response(MeSerializer(cast(User, request.user)).data)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token.

    Failed attempts count towards the same lockout as the login page; while locked out
    the answer is 429, even for the right password.
    """

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong username or password, or a field missing."),
            429: OpenApiResponse(ErrorSerializer, description="Locked out after too many failed attempts."),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes marks the request it was given: DRF's wrapper, not Django's request.
            if getattr(request, "axes_locked_out", False):
                return Response(
                    {"detail": _("Too many failed sign-in attempts. Try again later or ask your administrator.")},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            raise


@extend_schema_view(
    list=extend_schema(summary="The region tree the user covers (every level)."),
    retrieve=extend_schema(summary="One region in the user's coverage."),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet[Region]):
    """Regions at every level within the user's coverage (administrators: all)."""

    serializer_class = RegionSerializer
    queryset = Region.objects.none()  # for the schema; get_queryset applies the share
    filterset_class = RegionFilter

    def get_queryset(self) -> QuerySet[Region]:
        return Region.objects.visible_to(cast(User, self.request.user)).order_by("code")


@extend_schema_view(
    list=extend_schema(summary="Communities in the user's coverage with their current risk."),
    retrieve=extend_schema(summary="One community with its current risk.", parameters=[COMMUNITY_REF]),
)
class CommunityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Region]):
    """Communities the user covers; each is addressed by its id or its code."""

    serializer_class = CommunitySerializer
    queryset = Region.objects.none()  # for the schema; get_queryset applies the share
    lookup_url_kwarg = "ref"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Region]:
        return communities_visible(cast(User, self.request.user))

    def get_object(self) -> Region:
        return community_get(cast(User, self.request.user), str(self.kwargs["ref"]), with_risk=True)

    @extend_schema(
        summary="The community's latest assessment and its contributions, largest first.",
        parameters=[COMMUNITY_REF],
        responses={
            200: AssessmentSerializer,
            404: OpenApiResponse(description="Outside coverage, or not assessed yet."),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def assessment(self, request: Request, ref: str) -> Response:
        assessment = assessment_latest(self.get_object())
        if assessment is None:
            raise NotFound(_("This community has no assessment yet: no report from it has been scored."))
        return Response(AssessmentSerializer(assessment).data)

    @extend_schema(
        summary="The community's assessments, newest first (at most 500).",
        parameters=[COMMUNITY_REF, HistoryQuerySerializer],
        responses={200: HistoryEntrySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, ref: str) -> Response:
        community = self.get_object()
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = assessment_history(
            community, since=query.validated_data.get("since"), limit=query.validated_data["limit"]
        )
        return Response(HistoryEntrySerializer(entries, many=True).data)
