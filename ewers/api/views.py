"""API v1 endpoints of the core: who am I, and the token login."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ewers.api.serializers import MeSerializer
from ewers.models import User


class MeView(APIView):
    """The authenticated user's name, organisation, sector and role."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        # IsAuthenticated (the default permission) has run: the user is real.
        return Response(MeSerializer(cast(User, request.user)).data)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (failed attempts count towards lockout)."""
