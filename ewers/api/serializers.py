from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ewers.models import Region, User


class MeSerializer(serializers.ModelSerializer[User]):
    organisation = serializers.CharField(source="organisation.name", allow_null=True, default=None)
    sector = serializers.CharField(source="organisation.sector", allow_null=True, default=None)

    class Meta:
        model = User
        fields = ["username", "organisation", "sector", "role"]
        read_only_fields = fields


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text=_("Send it as the header `Authorization: Token <token>`."))


class RegionSerializer(serializers.ModelSerializer[Region]):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent"]
        read_only_fields = fields


class RegionRefSerializer(serializers.ModelSerializer[Region]):
    """A place named in another object: enough to show and to address it."""

    class Meta:
        model = Region
        fields = ["id", "code", "name"]
        read_only_fields = fields
