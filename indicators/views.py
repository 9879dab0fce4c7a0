"""Report pages: the field report form, the report page with its scoring status, the
report list, and the CSV import.

Every read goes through ``indicators.selectors`` (visible_to): a report outside the
user's share answers 404; one the user may see but not act on answers 403.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from ewers.exceptions import IdempotencyKeyInFlight, IdempotencyKeyReused
from ewers.forms import filter_form_prepare
from ewers.http import AuthenticatedHttpRequest
from ewers.models import Region, User
from indicators import selectors
from indicators.choices import Polarity, ReportStatus, Verification
from indicators.csv_import import FIXED_COLUMNS, ImportFileError, import_limits, reports_import
from indicators.filters import FieldReportFilter
from indicators.forms import (
    FieldReportForm,
    ReportImportForm,
    community_label,
    format_value,
    indicators_for_form,
    scale_choices,
    scale_is_listed,
    scale_label,
)
from indicators.hooks import OpenAlertNotice, alerting
from indicators.models import FieldReport, Indicator, RiskAssessment
from indicators.permissions import MAY_NOT_LOG_REPORTS, field_report_may_create, field_report_may_verify
from indicators.selectors import ContributionRow
from indicators.services import field_report_create, field_report_verify

REPORTS_PER_PAGE = 25
TOP_CONTRIBUTIONS = 5
# Poll quickly while a worker normally answers within seconds, then back off so a page
# left open while the queue is down does not keep asking every two seconds.
POLL_FAST_SECONDS = 2
POLL_SLOW_SECONDS = 15
POLL_FAST_TIMES = 30


def _require_reporter(user: User) -> None:
    """Logging and importing reports is for analysts and coordinators (403 for others)."""
    if not field_report_may_create(user=user):
        raise PermissionDenied(str(MAY_NOT_LOG_REPORTS))


# --- New report ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The field report form: one community, one time, several readings, the grading."""
    user = request.user
    _require_reporter(user)
    communities = Region.objects.visible_to(user).communities().select_related("district").order_by("code")
    indicators = indicators_for_form()
    if request.method == "POST":
        form = FieldReportForm(request.POST, communities=communities, indicators=indicators)
        if form.is_valid():
            try:
                report, created = field_report_create(
                    user=user,
                    community=form.cleaned_data["community"],
                    observed_at=form.cleaned_data["observed_at"],
                    readings=form.readings(),
                    source_reliability=form.cleaned_data["source_reliability"],
                    information_credibility=form.cleaned_data["information_credibility"],
                    narrative=form.cleaned_data["narrative"],
                    source_reference=form.cleaned_data["source_reference"] or None,
                    idempotency_key=form.cleaned_data["idempotency_key"] or None,
                    handling_level=form.cleaned_data["handling_level"] or None,
                )
            except ValidationError as error:
                form.apply_service_errors(error)
            except IdempotencyKeyReused as reused:
                # The page went back after saving and was sent again with other values.
                form.add_error(
                    None,
                    _(
                        "This form was already sent with other values and saved as report #%(id)d. "
                        "Open a new form to log another report."
                    )
                    % {"id": reused.first_id},
                )
            except IdempotencyKeyInFlight:
                form.add_error(None, _("This form is being saved already: wait a moment, then look under Reports."))
            else:
                if created:
                    messages.success(request, _("Report #%(id)d saved.") % {"id": report.pk})
                else:
                    messages.info(request, _("This report was already saved as #%(id)d.") % {"id": report.pk})
                return redirect("reports:detail", pk=report.pk)
        status = 400
    else:
        form = FieldReportForm(communities=communities, indicators=indicators)
        status = 200
    return render(request, "indicators/report_form.html", {"form": form}, status=status)


@login_required
@require_GET
def report_offline_data(request: AuthenticatedHttpRequest) -> JsonResponse:
    """What the report form needs on a device with no connection, for its service worker to
    keep (docs/offline.md): who is signed in, the communities of the user's coverage and the
    active catalogue, and a CSRF token for sending the outbox later.

    Only the user's own share (``visible_to``); nothing protected (no report, no source).
    """
    user = request.user
    _require_reporter(user)
    communities = Region.objects.visible_to(user).communities().select_related("district").order_by("code")
    return JsonResponse(
        {
            "user": user.get_username(),
            "csrf_token": get_token(request),
            "communities": [{"code": c.code, "name": c.name, "label": community_label(c)} for c in communities],
            "indicators": [
                {
                    "code": i.code,
                    "name": i.local_name,
                    "scale_min": i.scale_min,
                    "scale_max": i.scale_max,
                    "polarity": i.polarity,
                }
                for i in indicators_for_form()
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


# --- Report page and its status panel ---------------------------------------------------


@dataclass
class ReadingLine:
    code: str
    name: str
    value: str
    meaning: str
    is_resilience: bool


@dataclass
class StatusPanel:
    """What the status panel shows: scoring progress, then the community's risk."""

    report: FieldReport
    poll: int
    assessment: RiskAssessment | None = None
    contributions: list[ContributionRow] | None = None
    # The community's open alert; ``alert.linked`` says whether the user may open it.
    alert: OpenAlertNotice | None = None
    in_coverage: bool = False

    @property
    def scored(self) -> bool:
        return self.report.status == ReportStatus.SCORED

    @property
    def poll_seconds(self) -> int:
        return POLL_FAST_SECONDS if self.poll < POLL_FAST_TIMES else POLL_SLOW_SECONDS


def _status_panel(user: User, report: FieldReport, *, poll: int = 0) -> StatusPanel:
    panel = StatusPanel(report=report, poll=poll)
    if not panel.scored:
        return panel
    # Risk is shown for the communities in the user's coverage (a report may be visible
    # without it: a responder's report behind an alert, or coverage that changed).
    panel.in_coverage = report.community_id in user.covered_community_ids
    if not panel.in_coverage:
        return panel
    panel.assessment = selectors.assessment_latest(report.community)
    if panel.assessment is not None:
        panel.contributions = selectors.assessment_contributions(panel.assessment)[:TOP_CONTRIBUTIONS]
    # Analysts learn that an alert is open, not the response to it (alerts' visible_to).
    panel.alert = alerting().open_alert(user, report.community)
    return panel


def _reading_lines(report: FieldReport) -> list[ReadingLine]:
    return [
        ReadingLine(
            code=reading.indicator.code,
            name=reading.indicator.local_name,
            value=format_value(reading.value),
            meaning=scale_label(reading.indicator, reading.value),
            is_resilience=reading.indicator.polarity == Polarity.RESILIENCE,
        )
        for reading in report.readings.all()
    ]


@login_required
@require_GET
def report_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    report = selectors.report_get(user, pk)
    content_visible = report.content_visible_to(user)
    context: dict[str, Any] = {
        "report": report,
        # Above the reader's handling level, neither the readings nor the narrative leave the server.
        "content_visible": content_visible,
        "readings": _reading_lines(report) if content_visible else [],
        "source_reference_visible": report.source_reference_visible_to(user),
        # Read through the selector, which audits each showing of the protected value.
        "source_reference": selectors.report_source_reference(user, report, request=request),
        "may_verify": field_report_may_verify(report=report, user=user),
        "panel": _status_panel(user, report),
        "duplicate_window_minutes": settings.EWERS_DUPLICATE_WINDOW_MINUTES,
    }
    return render(request, "indicators/report_detail.html", context)


def _login_required_or_refresh(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """login_required for a panel that htmx polls: once the session has ended, the whole
    page reloads (and so goes to the sign-in page) instead of the sign-in page being
    swapped into the panel."""
    guarded = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and request.headers.get("HX-Request") == "true":
            return HttpResponseClientRefresh()
        return guarded(request, *args, **kwargs)

    return wrapper


@_login_required_or_refresh
@require_GET
def report_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The status panel alone, polled by htmx until the report is scored."""
    report = selectors.report_get(request.user, pk, with_readings=False)
    try:
        poll = max(0, min(int(request.GET.get("poll", "0")), 10_000))
    except ValueError:
        poll = 0
    panel = _status_panel(request.user, report, poll=poll + 1)
    # The header's status badge follows the panel (htmx swaps it out of band).
    return render(request, "indicators/_report_status.html", {"panel": panel, "oob_badge": True})


@login_required
@require_POST
def report_verify(request: AuthenticatedHttpRequest, pk: int, verification: str) -> HttpResponse:
    """Verify or dispute a report; 404 outside the share, 403 for those who may only read it."""
    report = selectors.report_get(request.user, pk)
    try:
        report = field_report_verify(report=report, user=request.user, verification=verification)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        texts: dict[str, str] = {
            Verification.VERIFIED: _("Report #%(id)d marked verified. The community is being re-scored."),
            Verification.DISPUTED: _("Report #%(id)d marked disputed. The community is being re-scored."),
        }
        text = texts.get(verification, _("Report #%(id)d updated."))
        messages.success(request, text % {"id": report.pk})
    return redirect("reports:detail", pk=report.pk)


# --- Report list -------------------------------------------------------------------------


def _page_of(request: AuthenticatedHttpRequest, queryset: QuerySet[Any]) -> Any:
    return Paginator(queryset, REPORTS_PER_PAGE).get_page(request.GET.get("page"))


@login_required
@require_GET
def report_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The reports the user may see, filtered, newest first, 25 a page."""
    user = request.user
    filterset = FieldReportFilter(
        request.GET or None,
        queryset=selectors.reports_visible(user).order_by("-received_at", "-id"),
        request=request,
    )
    filter_form_prepare(filterset.form)
    context = {
        "filterset": filterset,
        "page": _page_of(request, filterset.qs),
        "may_log": field_report_may_create(user=user),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        # For the community field's suggestions: codes and names only.
        "communities": Region.objects.visible_to(user).communities().order_by("code").values_list("code", "name"),
    }
    return render(request, "indicators/report_list.html", context)


# --- CSV import ----------------------------------------------------------------------------


def _import_header(catalogue: list[Indicator]) -> list[str]:
    return [*FIXED_COLUMNS, *(indicator.code for indicator in catalogue)]


def _scale_text(indicator: Indicator) -> str:
    """ "0 none · 1 rare · …" for a listed scale, "0–100" for a typed one."""
    if scale_is_listed(indicator):
        return " · ".join(label for _value, label in scale_choices(indicator)).replace(" — ", " ")
    return f"{format_value(indicator.scale_min)}–{format_value(indicator.scale_max)}"


@login_required
@require_http_methods(["GET", "POST"])
def report_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a CSV of reports: a dry run checks every row; a real import saves the valid ones."""
    user = request.user
    _require_reporter(user)
    max_bytes, max_rows = import_limits()
    result = None
    status = 200
    if request.method == "POST":
        form = ReportImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            # Read one byte past the limit: the import refuses the file without us holding more.
            data = upload.read(max_bytes + 1)
            try:
                result = reports_import(
                    user=user, data=data, dry_run=form.cleaned_data["dry_run"], filename=upload.name or ""
                )
            except ImportFileError as error:
                form.add_error("file", error.message)
        if not form.is_valid():
            status = 400
        if result is not None and not result.dry_run:
            form = ReportImportForm(initial={"dry_run": True})
    else:
        form = ReportImportForm()
    catalogue = indicators_for_form()
    context = {
        "form": form,
        "result": result,
        "header": ",".join(_import_header(catalogue)),
        "indicator_scales": [(i, _scale_text(i)) for i in catalogue],
        "max_bytes": max_bytes,
        "max_rows": max_rows,
        "rows_with_errors": [row for row in result.rows if not row.ok] if result else [],
    }
    return render(request, "indicators/report_import.html", context, status=status)


@login_required
@require_GET
def report_import_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An empty CSV with the header line of the current catalogue, to fill in."""
    _require_reporter(request.user)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(_import_header(indicators_for_form()))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ewers-reports.csv"'
    return response
