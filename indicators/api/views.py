"""API v1 endpoints of the indicators app: the catalogue and field reports.

Views stay thin: reads go through ``indicators.selectors`` (which start from
``visible_to``), writes through ``indicators.services``; serializers only translate.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.fields import Field
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView

from ewers.api.exceptions import RequestTooLarge
from ewers.api.parsers import LimitedJSONParser
from ewers.api.viewsets import ShareViewSet
from ewers.exceptions import IdempotencyKeyInFlight, IdempotencyKeyReused
from ewers.models import Region, User
from ewers.runtime import collector_paused
from indicators.api.batch_items import batch_item_draft, time_zone
from indicators.api.parsers import CSVBodyParser
from indicators.api.serializers import (
    BATCH_MAX,
    AssessmentSerializer,
    BatchInputSerializer,
    BatchItemInputSerializer,
    BatchRequestSchemaSerializer,
    BatchResultSerializer,
    CommunitySerializer,
    HistoryEntrySerializer,
    HistoryQuerySerializer,
    ImportQuerySerializer,
    ImportResultSerializer,
    ImportUploadSerializer,
    IndicatorSerializer,
    ReportInputSerializer,
    ReportSerializer,
    batch_community_refs,
    import_result_data,
    report_arguments,
)
from indicators.choices import Verification
from indicators.csv_import import ImportFileError, import_limits, reports_import
from indicators.filters import FieldReportFilter
from indicators.models import FieldReport, Indicator, Reading
from indicators.permissions import MAY_NOT_LOG_REPORTS, field_report_may_create
from indicators.selectors import (
    assessment_history,
    assessment_latest,
    communities_by_ref,
    communities_visible,
    community_get,
    indicator_get,
    indicators_active,
    report_get,
    reports_visible,
)
from indicators.services import (
    DraftOutcome,
    ReportDraft,
    field_report_create,
    field_report_verify,
    field_reports_create,
)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any printable text up to 128 characters, new for each report; gateways should always "
    "send one. A resend with the same key (per user) and the same body answers 200 with the first "
    "report instead of making a second one; with a different body, 422; while the first request "
    "with the key is still being processed, 409 (send it again a moment later).",
)
COMMUNITY_REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The community's id or code."
)
# Multipart framing around the file: a little over the file limit is still the file's size.
MULTIPART_OVERHEAD = 64 * 1024


class MayLogReports(BasePermission):
    """Only analysts and coordinators log reports; others may still read what they see."""

    message = MAY_NOT_LOG_REPORTS

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and field_report_may_create(user=request.user))


@extend_schema_view(
    list=extend_schema(summary="The active indicators with their scales, weights and thresholds."),
    retrieve=extend_schema(
        summary="One active indicator.",
        parameters=[OpenApiParameter("ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="Id or code.")],
    ),
)
class IndicatorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShareViewSet[Indicator]):
    """The catalogue is the same for everyone: what to look for and how it is scored."""

    serializer_class = IndicatorSerializer
    lookup_url_kwarg = "ref"
    lookup_value_regex = "[^/]+"

    def share(self, user: User) -> QuerySet[Indicator]:
        return indicators_active()

    def share_get(self, user: User, ref: str) -> Indicator:
        return indicator_get(ref)


REPORT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The report's id.")


@extend_schema_view(
    list=extend_schema(summary="Field reports the user may see, newest observation first."),
    retrieve=extend_schema(summary="One field report with its readings.", parameters=[REPORT_ID]),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShareViewSet[FieldReport]):
    """Field reports: analysts see their organisation's, coordinators their coverage's,
    responders those behind the alerts assigned to them (PRODUCT.md, "Who sees what")."""

    serializer_class = ReportSerializer
    queryset = FieldReport.objects.none()  # for the schema; get_queryset applies the share
    filter_backends = [DjangoFilterBackend]
    filterset_class = FieldReportFilter
    parser_classes = [LimitedJSONParser]
    # What a gateway's named token may do here (ewers.api.permissions.GatewayScope).
    gateway_actions = frozenset({"create", "batch"})

    @property
    def throttle_scope(self) -> str | None:
        """Imports and batches write up to thousands of rows a request: a tighter limit."""
        return "import" if self.action in ("import_csv", "batch") else None

    def get_permissions(self) -> list[BasePermission]:
        # The defaults (the limits, signed in, the gateway scope), and who logs reports.
        permissions: list[BasePermission] = [*super().get_permissions()]  # type: ignore[list-item]
        if self.action in ("create", "batch", "import_csv"):
            permissions.append(MayLogReports())
        return permissions

    def share(self, user: User) -> QuerySet[FieldReport]:
        return (
            reports_visible(user)
            .prefetch_related(Prefetch("readings", queryset=Reading.objects.select_related("indicator")))
            .order_by("-observed_at", "-id")
        )

    def share_get(self, user: User, ref: str) -> FieldReport:
        return report_get(user, ref)

    def _answer_written(self, report: FieldReport) -> Response:
        # Answered from what was just written (services.report_answer_prepare), as a read of
        # it would show it to its author: no second read.
        return Response(ReportSerializer(report, context=self.get_serializer_context()).data, status.HTTP_201_CREATED)

    def _answer(self, report: FieldReport, code: int = status.HTTP_200_OK) -> Response:
        # Read again through the selector: the answer shows what the user may see.
        fresh = report_get(self.user, report.pk)
        return Response(ReportSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Log a field report.",
        request=ReportInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: ReportSerializer,
            200: OpenApiResponse(ReportSerializer, description="A resend with the same Idempotency-Key and body."),
            400: OpenApiResponse(description="Field messages: {field: [message, ...]}."),
            403: OpenApiResponse(description="The user's role does not log reports."),
            409: OpenApiResponse(description="The first request with this Idempotency-Key is still being processed."),
            422: OpenApiResponse(description="This Idempotency-Key was used for a different request."),
            413: OpenApiResponse(description="The body is too large."),
            415: OpenApiResponse(description="Not JSON."),
        },
        examples=[
            OpenApiExample(
                "A report with one reading",
                request_only=True,
                value={
                    "community": "HM-01-02-03",
                    "observed_at": "2024-05-01T14:30:00+08:00",
                    "readings": [{"indicator": "P01", "value": 3}],
                    "source_reliability": "B",
                    "information_credibility": 2,
                    "narrative": "Leaflets at the market.",
                },
            )
        ],
    )
    def create(self, request: Request) -> Response:
        serializer = ReportInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key") or None
        report, created = field_report_create(user=self.user, idempotency_key=key, **serializer.service_arguments())
        return self._answer_written(report) if created else self._answer(report)

    def _verification_set(self, verification: str) -> Response:
        report = self.get_object()
        field_report_verify(report=report, user=self.user, verification=verification)
        return self._answer(report)

    @extend_schema(
        summary="Mark the report verified; the community is re-scored.",
        request=None,
        parameters=[REPORT_ID],
        responses={200: ReportSerializer, 403: OpenApiResponse(description="The user may see but not verify it.")},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str) -> Response:
        return self._verification_set(Verification.VERIFIED)

    @extend_schema(
        summary="Mark the report disputed; the community is re-scored.",
        request=None,
        parameters=[REPORT_ID],
        responses={200: ReportSerializer, 403: OpenApiResponse(description="The user may see but not dispute it.")},
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request: Request, pk: str) -> Response:
        return self._verification_set(Verification.DISPUTED)

    @extend_schema(
        summary="Log up to 100 reports in one request; each is validated and saved on its own.",
        description=(
            "The answer is 200 whenever the batch itself is well-formed; each item has its own "
            "`status` (201 created, 200 a resend of an earlier report with the same "
            "`idempotency_key` and content, 400 invalid with `errors`, 422 an `idempotency_key` "
            "used before for other content, 409 one still being processed). One refused item never "
            "stops the others; `invalid` counts every item not saved. Idempotency is per item: give "
            "each item its own `idempotency_key`, so that resending the batch after a lost answer "
            "(or a 503) makes no duplicate. An `Idempotency-Key` header is refused here (400)."
        ),
        request=BatchRequestSchemaSerializer,
        responses={
            200: BatchResultSerializer,
            400: OpenApiResponse(description="A malformed batch, or an Idempotency-Key header."),
            403: OpenApiResponse(description="The user's role does not log reports."),
        },
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def batch(self, request: Request) -> Response:
        if "Idempotency-Key" in request.headers:
            # Ignoring it would let a resent batch make duplicates the client thinks it prevented.
            raise ParseError(
                _(
                    "A batch takes an idempotency_key in each report, not an Idempotency-Key header: "
                    "send one key per report so that each is saved once."
                )
            )
        # A hundred items' rows: no cyclic collection meanwhile (ewers.runtime.collector_paused).
        with collector_paused():
            return self._batch_save(request)

    def _batch_save(self, request: Request) -> Response:
        items = _batch_items(request.data)
        context = self.get_serializer_context()
        communities = communities_by_ref(self.user, batch_community_refs(items))
        context["communities"] = communities
        results: list[dict[str, Any]] = []
        drafts: list[ReportDraft] = []
        valid: list[dict[str, Any]] = []
        # One serializer for every item not plainly well-formed (made for the first such
        # item); an item it refuses is checked again on its own, so that its messages are
        # exactly those of one report.
        shared: BatchItemInputSerializer | None = None
        fields = _plain_item_fields()
        zone = time_zone(fields["observed_at"])  # the current zone, found once for every item
        for index, item in enumerate(items):
            result: dict[str, Any] = {"index": index, "status": status.HTTP_400_BAD_REQUEST, "id": None, "errors": {}}
            results.append(result)
            draft = batch_item_draft(item, communities=communities, fields=fields, zone=zone)
            if draft is None:
                shared = shared or BatchItemInputSerializer(context=context)
                try:
                    data = shared.run_validation(item)
                except ValidationError:
                    result["errors"] = _batch_item_errors(item, context)
                    continue
                draft = ReportDraft(idempotency_key=data.get("idempotency_key") or None, **report_arguments(data))
            drafts.append(draft)
            valid.append(result)
        # The valid items written together, in one transaction, with one scoring task.
        for result, outcome in zip(valid, field_reports_create(user=self.user, drafts=drafts), strict=True):
            _batch_result(result, outcome)
        counts = {"created": 0, "duplicates": 0, "invalid": 0}
        outcome_names = {status.HTTP_201_CREATED: "created", status.HTTP_200_OK: "duplicates"}
        for result in results:
            counts[outcome_names.get(result["status"], "invalid")] += 1
        return Response({"results": results, "counts": counts})

    @extend_schema(
        summary="Import reports from a CSV file (docs/csv-import.md); ?dry_run=1 validates only.",
        description=(
            "Send the file as multipart field `file`, or as the whole body with `Content-Type: text/csv`. "
            "The answer lists every row with its line number: valid rows are saved (each on its own), "
            "invalid rows carry messages by column. A row's `reference` makes re-importing the file "
            "create no duplicates."
        ),
        parameters=[ImportQuerySerializer],
        request={"multipart/form-data": ImportUploadSerializer, "text/csv": OpenApiTypes.BINARY},
        responses={
            200: ImportResultSerializer,
            400: OpenApiResponse(description="Not a CSV file in the documented format: {file: [message]}."),
            403: OpenApiResponse(description="The user's role does not log reports."),
            413: OpenApiResponse(description="The file is over the size limit."),
            415: OpenApiResponse(description="Neither multipart/form-data nor text/csv."),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, CSVBodyParser],
        filter_backends=[],
        pagination_class=None,
    )
    def import_csv(self, request: Request) -> Response:
        query = ImportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data, filename = self._uploaded_file(request)
        try:
            # Thousands of rows built: no cyclic collection meanwhile (ewers.runtime.collector_paused).
            with collector_paused():
                result = reports_import(
                    user=self.user, data=data, dry_run=query.validated_data["dry_run"], filename=filename
                )
        except ImportFileError as exc:
            if exc.code == "too_large":
                raise RequestTooLarge(exc.message) from None
            raise ValidationError({"file": [exc.message]}) from None
        return Response(import_result_data(result))

    def _uploaded_file(self, request: Request) -> tuple[bytes, str]:
        max_bytes, _max_rows = import_limits()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        # Refuse before reading: a huge upload is never written to a temporary file.
        if declared > max_bytes + MULTIPART_OVERHEAD:
            raise RequestTooLarge(_("The file is over the limit of %(max)d bytes.") % {"max": max_bytes})
        body = request.data
        if isinstance(body, bytes):
            return body, ""
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Attach the CSV file as the form field “file”.")]})
        if upload.size is not None and upload.size > max_bytes:
            raise RequestTooLarge(_("The file is over the limit of %(max)d bytes.") % {"max": max_bytes})
        return upload.read(max_bytes + 1), upload.name or ""


@functools.cache
def _plain_item_fields() -> Mapping[str, Field[Any, Any, Any, Any]]:
    """The fields of ``BatchItemInputSerializer`` by which ``batch_item_draft`` reads a plainly
    well-formed item (times, grades, free text: none reads the serializer's context), built
    once a process: a serializer makes deep copies of its declared fields for each instance
    (a fifth of a batch's reading of its items)."""
    return BatchItemInputSerializer().fields


def _batch_items(data: Any) -> list[Any]:
    """The batch's items: a list of 1 to BATCH_MAX JSON values, none null (as
    ``BatchInputSerializer`` has it, whose messages answer any other body)."""
    items = data.get("reports") if type(data) is dict else None
    if type(items) is list and 0 < len(items) <= BATCH_MAX and all(item is not None for item in items):
        return items
    batch = BatchInputSerializer(data=data)
    batch.is_valid(raise_exception=True)
    return list(batch.validated_data["reports"])


def _batch_item_errors(item: Any, context: dict[str, Any]) -> Any:
    serializer = BatchItemInputSerializer(data=item, context=context)
    try:
        serializer.is_valid(raise_exception=True)
    except ValidationError as exc:
        return exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    return {}  # not reached: the shared serializer refused it


def _batch_result(result: dict[str, Any], outcome: DraftOutcome) -> None:
    """One batch item's answer from what became of it."""
    error = outcome.error
    if isinstance(error, DjangoValidationError):
        result["errors"] = as_serializer_error(error)
    elif isinstance(error, IdempotencyKeyReused):
        result.update(status=status.HTTP_422_UNPROCESSABLE_ENTITY, errors={"idempotency_key": [str(error)]})
    elif isinstance(error, IdempotencyKeyInFlight):
        result.update(status=status.HTTP_409_CONFLICT, errors={"idempotency_key": [str(error)]})
    else:
        result.update(status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK, id=outcome.report_id)


@extend_schema_view(
    list=extend_schema(summary="Communities in the user's coverage with their current risk."),
    retrieve=extend_schema(summary="One community with its current risk.", parameters=[COMMUNITY_REF]),
)
class CommunityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShareViewSet[Region]):
    """Communities the user covers; each is addressed by its id or its code."""

    serializer_class = CommunitySerializer
    queryset = Region.objects.none()  # for the schema; get_queryset applies the share
    lookup_url_kwarg = "ref"
    lookup_value_regex = "[^/]+"

    def share(self, user: User) -> QuerySet[Region]:
        return communities_visible(user)

    def share_get(self, user: User, ref: str) -> Region:
        return community_get(user, ref, with_risk=True)

    @extend_schema(
        summary="The community's latest assessment and its contributions, largest first.",
        parameters=[COMMUNITY_REF],
        responses={
            200: AssessmentSerializer,
            404: OpenApiResponse(description="Outside coverage, or not assessed yet."),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def assessment(self, request: Request, ref: str) -> Response:
        assessment = assessment_latest(self.get_object())
        if assessment is None:
            raise NotFound(_("This community has no assessment yet: no report from it has been scored."))
        return Response(AssessmentSerializer(assessment).data)

    @extend_schema(
        summary="The community's assessments, newest first (at most 500).",
        parameters=[COMMUNITY_REF, HistoryQuerySerializer],
        responses={200: HistoryEntrySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, ref: str) -> Response:
        community = self.get_object()
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = assessment_history(
            community, since=query.validated_data.get("since"), limit=query.validated_data["limit"]
        )
        return Response(HistoryEntrySerializer(entries, many=True).data)
