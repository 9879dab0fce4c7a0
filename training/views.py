"""Pages of training and calibration, under /training/ (namespace "training").

Reads go through ``training.selectors`` (404 outside the share, 403 inside it but not
allowed); writes call one service; bad input comes back as form errors (400)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ewers.choices import Role
from ewers.http import AuthenticatedHttpRequest
from ewers.models import User
from ewers.permissions import permission_require
from training import selectors
from training.calibration import FLAG_BELOW, FLAG_MIN_PAIRS, MIN_PAIRS, WEIGHTS
from training.forms import TrainingReportForm, VignetteForm
from training.models import Vignette
from training.permissions import (
    MAY_NOT_READ_CALIBRATION,
    MAY_NOT_TRAIN,
    MAY_NOT_WRITE,
    calibration_may_read,
    training_may_practise,
    vignette_may_edit,
    vignette_may_write,
)
from training.services import training_attempt_submit, vignette_save

RECENT_ATTEMPTS = 20


def _calibration_terms() -> dict[str, object]:
    return {"weights": WEIGHTS, "min_pairs": MIN_PAIRS, "flag_below": FLAG_BELOW, "flag_min_pairs": FLAG_MIN_PAIRS}


@login_required
@require_GET
def vignette_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The vignettes the user sees; an analyst's recent attempts, a coordinator's edit links."""
    user = request.user
    permission_require(vignette_may_write(user) or training_may_practise(user), MAY_NOT_TRAIN)
    vignettes = list(selectors.vignettes_visible(user))
    context = {
        "vignettes": [(v, vignette_may_edit(user, v)) for v in vignettes],
        "may_write": vignette_may_write(user),
        "may_practise": training_may_practise(user),
        "attempts": selectors.attempts_visible(user)[:RECENT_ATTEMPTS],
    }
    return render(request, "training/vignette_list.html", context)


def _vignette_form_page(request: AuthenticatedHttpRequest, vignette: Vignette | None) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = VignetteForm(request.POST)
        if form.is_valid():
            try:
                saved = vignette_save(user=user, vignette=vignette, **form.service_arguments())
            except ValidationError as error:
                form.apply_service_errors(error)
            else:
                messages.success(request, _("Vignette “%(title)s” saved.") % {"title": saved.title})
                return redirect("training:vignette", pk=saved.pk)
        status = 400
    else:
        form = VignetteForm(vignette=vignette)
        status = 200
    return render(request, "training/vignette_form.html", {"form": form, "vignette": vignette}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def vignette_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    permission_require(vignette_may_write(request.user), MAY_NOT_WRITE)
    return _vignette_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def vignette_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _vignette_form_page(request, selectors.vignette_get_to_edit(request.user, pk))


@login_required
@require_GET
def vignette_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A vignette with its expert readings: for coordinators (an analyst sees the expert's
    readings after their attempt, beside their own)."""
    user = request.user
    vignette = selectors.vignette_get(user, pk)
    permission_require(vignette_may_write(user), MAY_NOT_WRITE)
    context = {
        "vignette": vignette,
        "readings": vignette.readings.select_related("indicator"),
        "may_edit": vignette_may_edit(user, vignette),
    }
    return render(request, "training/vignette_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def vignette_practise(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The real report form, with the vignette beside it; the attempt is stored as training."""
    user = request.user
    vignette = selectors.vignette_get_to_practise(user, pk)
    if request.method == "POST":
        form = TrainingReportForm(request.POST)
        if form.is_valid():
            try:
                attempt = training_attempt_submit(
                    user=user,
                    vignette=vignette,
                    readings=form.training_values(),
                    source_reliability=form.cleaned_data["source_reliability"],
                    information_credibility=form.cleaned_data["information_credibility"],
                )
            except ValidationError as error:
                form.apply_service_errors(error)
            else:
                messages.success(request, _("Training attempt saved. It is not a report and is never scored."))
                return redirect("training:attempt", pk=attempt.pk)
        status = 400
    else:
        form = TrainingReportForm()
        status = 200
    return render(request, "training/practise.html", {"form": form, "vignette": vignette}, status=status)


@login_required
@require_GET
def attempt_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An attempt's readings beside the expert's."""
    attempt = selectors.attempt_get(request.user, pk)
    context = {"attempt": attempt, "rows": selectors.attempt_comparison(attempt)}
    return render(request, "training/attempt_detail.html", context)


@login_required
@require_GET
def calibration(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An analyst's own calibration; a coordinator's organisation, with the flagged indicators."""
    user = request.user
    permission_require(calibration_may_read(user), MAY_NOT_READ_CALIBRATION)
    if user.role == Role.ANALYST:
        return _analyst_page(request, user)
    context = {"organisation": user.organisation, "report": selectors.organisation_calibration(user)}
    return render(request, "training/calibration_organisation.html", context | _calibration_terms())


@login_required
@require_GET
def calibration_analyst(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One analyst's calibration: themself, or an analyst of the coordinator's organisation."""
    return _analyst_page(request, selectors.calibration_analyst_get(request.user, pk))


def _analyst_page(request: AuthenticatedHttpRequest, analyst: User) -> HttpResponse:
    context = {
        "analyst": analyst,
        "own": analyst.pk == request.user.pk,
        "calibration": selectors.analyst_calibration(request.user, analyst),
    }
    return render(request, "training/calibration_analyst.html", context | _calibration_terms())
