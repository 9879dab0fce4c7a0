from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ewers.api.fields import AwareDateTimeField
from ewers.choices import RiskLevel
from ewers.models import Region, User
from indicators.choices import Polarity
from indicators.models import RiskAssessment
from indicators.selectors import assessment_contributions

# The most assessments one history answer holds.
HISTORY_MAX = 500


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


class CommunitySerializer(serializers.ModelSerializer[Region]):
    district = RegionRefSerializer(read_only=True)
    region = RegionRefSerializer(read_only=True)
    risk_score = serializers.FloatField(
        read_only=True, allow_null=True, help_text=_("0–100; null before the first assessment.")
    )
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, read_only=True, allow_null=True)
    risk_assessed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "district", "region", "risk_score", "risk_level", "risk_assessed_at"]
        read_only_fields = fields


class ContributionSerializer(serializers.Serializer[Any]):
    """One ``ContributionRow``."""

    indicator = serializers.CharField(source="indicator_code", help_text=_("The indicator's code."))
    indicator_name = serializers.CharField()
    polarity = serializers.ChoiceField(choices=Polarity.choices)
    report = serializers.IntegerField(source="report_id", help_text=_("The field report's id."))
    contribution = serializers.FloatField(
        source="amount", help_text=_("Points added to the raw score (negative for resilience).")
    )


class AssessmentSerializer(serializers.Serializer[RiskAssessment]):
    """A community's latest assessment and what made it, largest contribution first."""

    community = serializers.CharField(source="community.code")
    score = serializers.FloatField(help_text=_("0–100."))
    level = serializers.ChoiceField(choices=RiskLevel.choices)
    assessed_at = serializers.DateTimeField()
    contributions = serializers.SerializerMethodField()

    @extend_schema_field(ContributionSerializer(many=True))
    def get_contributions(self, assessment: RiskAssessment) -> Any:
        return ContributionSerializer(assessment_contributions(assessment), many=True).data


class HistoryEntrySerializer(serializers.ModelSerializer[RiskAssessment]):
    class Meta:
        model = RiskAssessment
        fields = ["assessed_at", "score", "level"]
        read_only_fields = fields


class HistoryQuerySerializer(serializers.Serializer[Any]):
    since = AwareDateTimeField(required=False, help_text=_("Only assessments at or after this time."))
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=HISTORY_MAX,
        default=HISTORY_MAX,
        help_text=_("At most this many, newest first."),
    )
