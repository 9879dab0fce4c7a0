"""API v1 endpoints of the core: who am I, token sign-in and sign-out, the region tree."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ewers.accounts import token_sign_in
from ewers.api.filters import RegionFilter
from ewers.api.schema import ErrorSerializer
from ewers.api.serializers import (
    MeSerializer,
    RegionSerializer,
    SecondFactorRequiredSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from ewers.api.viewsets import ShareViewSet
from ewers.auth import MemberTokenAuthentication
from ewers.models import ApiToken, Region, User
from ewers.selectors import region_get
from ewers.services import api_token_revoke


class MeView(APIView):
    """The authenticated user's name, organisation, sector and role."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        # IsAuthenticated (the default permission) has run: the user is real.
        return Response(MeSerializer(cast(User, request.user)).data)


@method_decorator(never_cache, name="dispatch")
class TokenView(APIView):
    """Exchange a username, a password and (for users with two factors) a code for a new
    API token (API.md, "Authentication").

    Anyone may ask; at most 10 a minute per address (``sign_in``). Each sign-in gets its
    own token, kept only as a digest and valid for EWERS_TOKEN_TTL_HOURS. Failed passwords
    and codes count towards the lockout of that username at that address; while it lasts
    the answer is 429, even for the right password.
    """

    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]
    throttle_scope = "sign_in"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong username or password, or a field missing."),
            401: OpenApiResponse(
                SecondFactorRequiredSerializer,
                description="A second factor is needed: no or a wrong otp (otp_required: true).",
            ),
            429: OpenApiResponse(ErrorSerializer, description="Locked out after failed attempts, or throttled."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcome = token_sign_in(
            request=request._request,
            username=data["username"],
            password=data["password"],
            otp=data.get("otp") or "",
        )
        if outcome.token is None:
            if outcome.status == status.HTTP_400_BAD_REQUEST:
                return Response({"non_field_errors": [outcome.detail]}, status=outcome.status)
            body: dict[str, Any] = {"detail": outcome.detail}
            if outcome.otp_required:
                body["otp_required"] = True
            return Response(body, status=outcome.status)
        return Response(TokenSerializer({"token": outcome.key, "expires_at": outcome.token.expiry}).data)


class LogoutView(APIView):
    """Revoke the token this request is signed with (other sign-ins keep theirs)."""

    authentication_classes = [MemberTokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        # MemberTokenAuthentication (the only one here) has run: the auth is an ApiToken.
        api_token_revoke(token=cast(ApiToken, request.auth))
        return Response(status=status.HTTP_204_NO_CONTENT)


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
