"""API v1 endpoints of the core: who am I, and the token login."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
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
    """Exchange a username and password for an API token.

    Failed attempts count towards the same lockout as the login page; while locked out
    the answer is 429, even for the right password.
    """

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
