"""API v1 serializers of the indicators app: they translate, the services decide."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ewers.api.fields import AwareDateTimeField, CodeOrIdField, FieldErrorsField, StrictFloatField, TextField
from ewers.api.serializers import FieldsBuiltOnce, RegionRefSerializer
from ewers.choices import HandlingLevel, RiskLevel
from ewers.models import Region, Theme, User
from indicators.choices import Polarity, SourceReliability
from indicators.csv_import import ImportResult
from indicators.models import FieldReport, Indicator, Reading, RiskAssessment
from indicators.selectors import (
    assessment_contributions,
    community_get,
    report_source_reference,
    reports_source_references,
)
from indicators.services import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    MAX_READINGS_PER_REPORT,
    NARRATIVE_MAX_LENGTH,
    SOURCE_REFERENCE_MAX_LENGTH,
    ReadingInput,
)

# The most reports one batch request carries.
BATCH_MAX = 100
# The most assessments one history answer holds.
HISTORY_MAX = 500


class ThresholdsSerializer(serializers.Serializer[Any]):
    moderate = serializers.FloatField()
    high = serializers.FloatField()
    critical = serializers.FloatField()


class IndicatorSerializer(serializers.ModelSerializer[Indicator]):
    theme: serializers.SlugRelatedField[Theme] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    thresholds = ThresholdsSerializer(
        read_only=True, help_text=_("The value at which a reading alone reaches each level.")
    )
    scale_labels = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        source="local_scale_labels",
        help_text=_("What each value means, keyed by the value."),
    )
    # In the request's language (Accept-Language, or the signed-in user's), English where
    # no translation is kept.
    name = serializers.CharField(source="local_name", read_only=True)
    description = serializers.CharField(source="local_description", read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name",
            "description",
            "category",
            "theme",
            "polarity",
            "weight",
            "scale_min",
            "scale_max",
            "scale_labels",
            "thresholds",
            "half_life_days",
            "version",
        ]
        read_only_fields = fields


# --- Reports: output ------------------------------------------------------------------


class ReadingSerializer(FieldsBuiltOnce, serializers.ModelSerializer[Reading]):
    indicator = serializers.CharField(source="indicator.code", read_only=True, help_text=_("The indicator's code."))
    indicator_name = serializers.CharField(source="indicator.local_name", read_only=True)

    class Meta:
        model = Reading
        fields = ["indicator", "indicator_name", "value"]
        read_only_fields = fields


class ReportListSerializer(serializers.ListSerializer[FieldReport]):
    """A page of reports: their protected source references are read together, so the
    audit trail gets one row per request naming the reports, not one per report."""

    def to_representation(self, data: Any) -> list[Any]:
        reports = list(data.all() if hasattr(data, "all") else data)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        references = (
            reports_source_references(user, reports, request=getattr(request, "_request", None))
            if isinstance(user, User)
            else {}
        )
        self.child.context["source_references"] = references  # type: ignore[union-attr]
        return [self.child.to_representation(report) for report in reports]  # type: ignore[union-attr]


class ReportSerializer(FieldsBuiltOnce, serializers.ModelSerializer[FieldReport]):
    """A field report as its reader may see it.

    ``source_reference`` is protected (PRODUCT.md, "Do no harm"): the key is left out
    altogether for anyone ``FieldReport.source_reference_visible_to`` refuses; every read
    is audited (a list's reads in one row, ``ReportListSerializer``).
    """

    community = RegionRefSerializer(read_only=True)
    organisation = serializers.CharField(source="organisation.code", read_only=True)
    created_by = serializers.CharField(
        source="created_by.username",
        read_only=True,
        allow_null=True,
        help_text=_("Who logged it: only for the reporting organisation and coordinators; otherwise null."),
    )
    narrative = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Null when withheld by the handling level.")
    )
    readings = ReadingSerializer(many=True, read_only=True, help_text=_("Empty when withheld by the handling level."))
    handling_level = serializers.ChoiceField(choices=HandlingLevel.choices, read_only=True)
    withheld = serializers.BooleanField(
        read_only=True, default=False, help_text=_("The narrative and readings are above the reader's handling level.")
    )
    grading = serializers.CharField(read_only=True, help_text=_("The Admiralty grade, e.g. B2."))
    possible_duplicate_of = serializers.IntegerField(
        source="possible_duplicate_of_id",
        read_only=True,
        allow_null=True,
        help_text=_(
            "An earlier report by the same person with the same community and readings, observed within "
            "EWERS_DUPLICATE_WINDOW_MINUTES (another channel, perhaps). Only for the reporting organisation "
            "and coordinators; otherwise null."
        ),
    )
    # Not read-only, so that the schema says what is true: the key is absent for a reader not
    # entitled to it (drf-spectacular makes every read-only field required). The serializer
    # serves answers only; nothing is ever written through it.
    source_reference = serializers.CharField(
        allow_null=True,
        required=False,
        help_text=_("Only for the reporting organisation and covering coordinators; otherwise absent."),
    )

    class Meta:
        model = FieldReport
        fields = [
            "id",
            "community",
            "observed_at",
            "received_at",
            "status",
            "scored_at",
            "verification",
            "source_reliability",
            "information_credibility",
            "grading",
            "narrative",
            "source_reference",
            "organisation",
            "created_by",
            "readings",
            "handling_level",
            "withheld",
            "possible_duplicate_of",
        ]
        read_only_fields = fields
        list_serializer_class = ReportListSerializer

    def to_representation(self, instance: FieldReport) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # Need-to-know within a report (PRODUCT.md, "Handling levels"): the reporter's name
        # for their own organisation and coordinators, the content for those cleared.
        if not isinstance(user, User) or not instance.reporter_visible_to(user):
            data["created_by"] = None
            data["possible_duplicate_of"] = None
        withheld = not isinstance(user, User) or not instance.content_visible_to(user)
        data["withheld"] = withheld
        if withheld:
            data["narrative"] = None
            data["readings"] = []
        listed: dict[int, str] | None = self.context.get("source_references")
        if not isinstance(user, User) or not instance.source_reference_visible_to(user):
            data.pop("source_reference", None)
        elif listed is not None:
            # Read (and audited) with the rest of the page by ReportListSerializer.
            data["source_reference"] = listed.get(instance.pk)
        else:
            # Through the selector, which audits the read of the protected value.
            data["source_reference"] = report_source_reference(
                user, instance, request=getattr(request, "_request", None)
            )
        return data


# --- Reports: input ---------------------------------------------------------------------


class ReadingInputSerializer(serializers.Serializer[Any]):
    indicator = CodeOrIdField(help_text=_("The indicator's id (integer) or code (string)."))
    value = StrictFloatField(help_text=_("A number within the indicator's scale."))


class ReportInputSerializer(serializers.Serializer[Any]):
    """A report as submitted; ``community`` and readings' ``indicator`` by id or code.

    Only translation happens here: the community is looked up among those the user
    covers (anything else is "unknown", its existence not confirmed); every rule of a
    valid report is ``indicators.services.field_report_validate``'s.
    """

    community = CodeOrIdField(help_text=_("The community's id (integer) or code (string)."))
    observed_at = AwareDateTimeField(help_text=_("When it was seen; ISO 8601 with a zone, not in the future."))
    readings = serializers.ListField(
        child=ReadingInputSerializer(), allow_empty=False, max_length=MAX_READINGS_PER_REPORT
    )
    source_reliability = serializers.ChoiceField(
        choices=SourceReliability.choices,
        error_messages={"invalid_choice": _("Source reliability is a grade from A to F.")},
    )
    information_credibility = serializers.IntegerField(
        min_value=1,
        max_value=6,
        error_messages={
            "invalid": _("Information credibility is a grade from 1 to 6."),
            "min_value": _("Information credibility is a grade from 1 to 6."),
            "max_value": _("Information credibility is a grade from 1 to 6."),
        },
    )
    # Text fields take JSON strings only: a number is refused, not stored as its digits.
    narrative = TextField(required=False, allow_blank=True, default="", max_length=NARRATIVE_MAX_LENGTH)
    source_reference = TextField(
        required=False, allow_blank=True, allow_null=True, max_length=SOURCE_REFERENCE_MAX_LENGTH
    )
    handling_level = serializers.ChoiceField(
        choices=HandlingLevel.choices,
        required=False,
        help_text=_(
            "Raise who may read the narrative and readings above the level its indicators carry (it is never lowered)."
        ),
    )

    def validate_community(self, value: str | int) -> Any:
        # A batch reads its items' communities together (``communities_by_ref``).
        known: dict[str, Region] | None = self.context.get("communities")
        if known is not None:
            community = known.get(str(value).strip())
            if community is None:
                raise serializers.ValidationError(_("Unknown community."))
            return community
        try:
            return community_get(self.context["request"].user, value)
        except Http404:
            raise serializers.ValidationError(_("Unknown community.")) from None

    def service_arguments(self) -> dict[str, Any]:
        """The validated data as ``field_report_create``'s keyword arguments."""
        return report_arguments(self.validated_data)


def report_arguments(data: dict[str, Any]) -> dict[str, Any]:
    """A report's validated data (``ReportInputSerializer``) as ``field_report_create``'s
    keyword arguments."""
    return {
        "community": data["community"],
        "observed_at": data["observed_at"],
        "readings": [ReadingInput(indicator=r["indicator"], value=r["value"]) for r in data["readings"]],
        "source_reliability": data["source_reliability"],
        "information_credibility": data["information_credibility"],
        "narrative": data.get("narrative", ""),
        "source_reference": data.get("source_reference") or None,
        "handling_level": data.get("handling_level"),
    }


class BatchItemInputSerializer(ReportInputSerializer):
    idempotency_key = TextField(
        required=False,
        allow_blank=True,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        help_text=_(
            "Like the Idempotency-Key header of a single create, for this report: a resend with the same "
            "content returns the first report; other content with the key is refused (422)."
        ),
    )


def batch_community_refs(items: list[Any]) -> list[str | int]:
    """The community references a batch's items give (those that can name one)."""
    return [
        ref
        for item in items
        if isinstance(item, dict) and isinstance(ref := item.get("community"), str | int) and not isinstance(ref, bool)
    ]


class BatchInputSerializer(serializers.Serializer[Any]):
    reports = serializers.ListField(
        child=serializers.JSONField(),
        allow_empty=False,
        max_length=BATCH_MAX,
        help_text=_("Up to 100 reports, each as the body of POST /api/v1/reports/ plus an optional idempotency_key."),
    )


@extend_schema_field(BatchItemInputSerializer(many=True))
class _BatchItemsSchema(serializers.ListField):
    """The batch's ``reports`` as the schema shows them (validated one by one in the view)."""


class BatchRequestSchemaSerializer(serializers.Serializer[Any]):
    reports = _BatchItemsSchema()


class BatchItemResultSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text=_("The item's position in the request, from 0."))
    status = serializers.IntegerField(
        help_text=_(
            "201 created, 200 a resend of an earlier report, 400 invalid, 422 a key used for other content, "
            "409 a key still being processed."
        )
    )
    id = serializers.IntegerField(allow_null=True, help_text=_("The report's id, when saved."))
    # DRF's metaclass takes declared fields off the class: "errors" does not shadow Serializer.errors.
    errors = FieldErrorsField()  # type: ignore[assignment]


class BatchCountsSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    invalid = serializers.IntegerField()


class BatchResultSerializer(serializers.Serializer[Any]):
    results = BatchItemResultSerializer(many=True)
    counts = BatchCountsSerializer()


# --- CSV import --------------------------------------------------------------------------


class ImportRowSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text=_("The line of the file the row starts on (the header is line 1)."))
    ok = serializers.BooleanField()
    report_id = serializers.IntegerField(allow_null=True)
    created = serializers.BooleanField()
    # DRF's metaclass takes declared fields off the class: "errors" does not shadow Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), help_text=_("Messages by column.")
    )


class ImportCountsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    valid = serializers.IntegerField()
    invalid = serializers.IntegerField()
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class ImportResultSerializer(serializers.Serializer[ImportResult]):
    dry_run = serializers.BooleanField()
    counts = ImportCountsSerializer()
    rows = ImportRowSerializer(many=True)


def import_result_data(result: ImportResult) -> dict[str, Any]:
    """``ImportResultSerializer(result).data`` built directly: an import answers up to
    thousands of rows, and a serializer per row cost more than saving the row."""
    counts = result.counts
    return {
        "dry_run": result.dry_run,
        "counts": {
            "total": counts.total,
            "valid": counts.valid,
            "invalid": counts.invalid,
            "created": counts.created,
            "duplicates": counts.duplicates,
        },
        "rows": [
            {
                "line": row.line,
                "ok": row.ok,
                "report_id": row.report_id,
                "created": row.created,
                "errors": {column: [str(m) for m in messages] for column, messages in row.errors.items()},
            }
            for row in result.rows
        ],
    }


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text=_("The CSV file (docs/csv-import.md)."))


class ImportQuerySerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField(required=False, default=False, help_text=_("Validate only; write nothing."))


# --- Communities and their risk ---------------------------------------------------


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
