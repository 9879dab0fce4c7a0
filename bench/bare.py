"""The single-ingest baseline: a bare Django REST framework endpoint that inserts the same
rows as ``POST /api/v1/reports/`` (the report with its community, reporter and
organisation, and its readings) and nothing else.

It authenticates the same user token as the product (``MemberTokenAuthentication``), so
the ratio measures what the product adds per request: its throttles and gateway scope,
validation (grading, clock, readings), idempotency, the audit row and the enqueued scoring
task. It validates with a plain ``ModelSerializer`` (codes resolved by
``SlugRelatedField``), and inserts in one transaction. Mounted only by the bench, under
``BARE_URL`` (``bench.urls``); never part of the product.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ewers.auth import MemberTokenAuthentication
from ewers.models import Region, User
from indicators.models import FieldReport, Indicator, Reading

BARE_URL = "/bench/bare/reports/"


class BareReadingSerializer(serializers.Serializer[Any]):
    indicator = serializers.SlugRelatedField(slug_field="code", queryset=Indicator.objects.all())
    value = serializers.FloatField()


class BareReportSerializer(serializers.ModelSerializer[FieldReport]):
    community = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    readings = BareReadingSerializer(many=True)

    class Meta:
        model = FieldReport
        fields = ["community", "observed_at", "source_reliability", "information_credibility", "narrative", "readings"]

    def create(self, validated_data: dict[str, Any]) -> FieldReport:
        readings = validated_data.pop("readings")
        user: User = self.context["user"]
        organisation = user.organisation
        assert organisation is not None  # a member's token: the product's reporters all have one
        with transaction.atomic():
            report = FieldReport.objects.create(**validated_data, created_by=user, organisation=organisation)
            Reading.objects.bulk_create(
                Reading(report=report, indicator=r["indicator"], value=r["value"]) for r in readings
            )
        return report


class BareReportView(APIView):
    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes: list[Any] = []

    def post(self, request: Request) -> Response:
        serializer = BareReportSerializer(data=request.data, context={"user": request.user})
        serializer.is_valid(raise_exception=True)
        report = serializer.save()
        return Response({"id": report.pk}, status=status.HTTP_201_CREATED)
