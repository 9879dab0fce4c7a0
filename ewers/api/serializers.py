from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ewers.models import Region, User


class FieldsBuiltOnce:
    """A ModelSerializer whose fields are built from its model once per class and copied
    for each instance, as DRF copies declared fields: building them (model introspection,
    one ``build_field`` each) is most of the cost of answering one object. For serializers
    whose fields depend on the class alone (not on the context or the instance)."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        cls = type(self)
        built: dict[str, serializers.Field[Any, Any, Any, Any]] | None = cls.__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            cls._fields_built = built  # type: ignore[attr-defined]  # a race builds the same twice
        return copy.deepcopy(built)


class MeSerializer(serializers.ModelSerializer[User]):
    organisation = serializers.CharField(source="organisation.name", allow_null=True, default=None)
    sector = serializers.CharField(source="organisation.sector", allow_null=True, default=None)

    class Meta:
        model = User
        fields = ["username", "organisation", "sector", "role"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=_("The current code of the user's authenticator app, or one of their recovery codes."),
    )


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text=_("Send it as the header `Authorization: Token <token>`."))
    expires_at = serializers.DateTimeField(help_text=_("After this time the token is refused; sign in again."))


class SecondFactorRequiredSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    otp_required = serializers.BooleanField()


class RegionSerializer(serializers.ModelSerializer[Region]):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent"]
        read_only_fields = fields


class RegionRefSerializer(FieldsBuiltOnce, serializers.ModelSerializer[Region]):
    """A place named in another object: enough to show and to address it."""

    class Meta:
        model = Region
        fields = ["id", "code", "name"]
        read_only_fields = fields
