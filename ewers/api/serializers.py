from __future__ import annotations

from rest_framework import serializers

from ewers.models import User


class MeSerializer(serializers.ModelSerializer[User]):
    organisation = serializers.CharField(source="organisation.name", allow_null=True, default=None)
    sector = serializers.CharField(source="organisation.sector", allow_null=True, default=None)

    class Meta:
        model = User
        fields = ["username", "organisation", "sector", "role"]
        read_only_fields = fields
