"""API v1 endpoints of the core: who am I, the token login and the region tree."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ewers.api.filters import RegionFilter
from ewers.api.schema import ErrorSerializer
from ewers.api.serializers import (
    MeSerializer,
    RegionSerializer,
    TokenSerializer,
)
from ewers.api.viewsets import ShareViewSet
from ewers.models import Region, User
from ewers.selectors import region_get


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
class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShareViewSet[Region]):
    """Regions at every level within the user's coverage (administrators: all)."""

    serializer_class = RegionSerializer
    queryset = Region.objects.none()  # for the schema; get_queryset applies the share
    filterset_class = RegionFilter

    def share(self, user: User) -> QuerySet[Region]:
        return Region.objects.visible_to(user).order_by("code")

    def share_get(self, user: User, ref: str) -> Region:
        return region_get(user, ref)
