"""Field reports (indicators/services/reports.py): valid reports are saved whole, bad ones not
at all; who may verify or dispute one, and the re-scoring that follows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from indicators.choices import AssessmentCause, Verification
from indicators.models import FieldReport, Reading, RiskAssessment
from indicators.services import ReadingInput, field_report_create, field_report_verify
from tests import factories
from tests.indicators.services.conftest import report

pytestmark = pytest.mark.django_db


def submit(cast, **overrides):
    values = {
        "user": cast.analyst,
        "community": cast.places["c1"],
        "observed_at": timezone.now() - timedelta(hours=1),
        "readings": [ReadingInput(indicator="P01", value=3)],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": "Leaflets against the neighbouring village.",
    }
    values.update(overrides)
    return field_report_create(**values)


def test_it_saves_a_report_with_its_readings(cast):
    report, created = submit(cast, readings=[ReadingInput("P01", 3)])
    assert created
    assert report.status == "received"
    assert report.verification == "unverified"
    assert report.organisation == cast.lab
    assert list(report.readings.values_list("indicator__code", "value")) == [("P01", 3.0)]


def test_it_accepts_indicators_by_code_or_id(cast):
    second = factories.make_indicator("T01", scale_max=3, threshold_moderate=1, threshold_high=2, threshold_critical=3)
    report, _ = submit(cast, readings=[ReadingInput("P01", 2), ReadingInput(second.pk, 3)])
    assert sorted(report.readings.values_list("indicator__code", flat=True)) == ["P01", "T01"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"readings": [ReadingInput("P01", 5)]}, "readings"),
        ({"readings": [ReadingInput("P01", -1)]}, "readings"),
        ({"readings": [ReadingInput("P01", float("nan"))]}, "readings"),
        ({"readings": [ReadingInput("NOPE", 1)]}, "readings"),
        ({"readings": [ReadingInput("P01", 1), ReadingInput("P01", 2)]}, "readings"),
        ({"readings": []}, "readings"),
        ({"source_reliability": "G"}, "source_reliability"),
        ({"information_credibility": 7}, "information_credibility"),
        ({"observed_at": timezone.now() + timedelta(days=1)}, "observed_at"),
        ({"narrative": "bad\x00byte"}, "narrative"),
        ({"source_reference": "bad\x00byte"}, "source_reference"),
    ],
)
def test_it_refuses_bad_input_and_saves_nothing(cast, overrides, field):
    with pytest.raises(ValidationError) as excinfo:
        submit(cast, **overrides)
    assert field in excinfo.value.message_dict
    assert FieldReport.objects.count() == 0
    assert Reading.objects.count() == 0


@pytest.mark.parametrize("key", ["k" * 129, "bad\x00key", "line\nbreak"])
def test_it_refuses_a_malformed_idempotency_key(cast, key):
    with pytest.raises(ValidationError) as excinfo:
        submit(cast, idempotency_key=key)
    assert "idempotency_key" in excinfo.value.message_dict
    assert FieldReport.objects.count() == 0


def test_a_community_outside_the_coverage_is_unknown(cast):
    with pytest.raises(ValidationError) as excinfo:
        submit(cast, community=cast.other_places["c1"])
    assert excinfo.value.message_dict["community"] == ["Unknown community."]
    assert FieldReport.objects.count() == 0


def test_it_refuses_a_report_for_a_district(cast):
    with pytest.raises(ValidationError) as excinfo:
        submit(cast, community=cast.places["district"])
    assert "community" in excinfo.value.message_dict


def test_the_error_names_the_scale(cast):
    with pytest.raises(ValidationError) as excinfo:
        submit(cast, readings=[ReadingInput("P01", 9)])
    assert "P01 takes values from 0 to 4, not 9" in excinfo.value.message_dict["readings"][0]


def test_responders_do_not_log_reports(cast):
    with pytest.raises(PermissionDenied):
        submit(cast, user=cast.cso_user)
    assert FieldReport.objects.count() == 0


def test_the_same_key_from_the_same_user_returns_the_first_report(cast):
    observed_at = timezone.now() - timedelta(hours=1)
    first, created = submit(cast, idempotency_key="sms-123", observed_at=observed_at)
    again, created_again = submit(cast, idempotency_key="sms-123", observed_at=observed_at)
    assert created and not created_again
    assert again.pk == first.pk
    assert FieldReport.objects.count() == 1
    # The key is per user: another user's same key makes their own report.
    other, created_other = submit(cast, user=cast.coordinator, idempotency_key="sms-123")
    assert created_other and other.pk != first.pk


@pytest.mark.parametrize(
    "when", ["0001-01-01T05:00:00+08:00", "1900-06-01T00:00:00+00:00", "2010-01-01T00:00:00+00:00"]
)
def test_it_refuses_an_observation_too_far_in_the_past(cast, when):
    with pytest.raises(ValidationError) as refused:
        factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, observed_at=datetime.fromisoformat(when))
    assert "years ago" in refused.value.message_dict["observed_at"][0]
    assert not FieldReport.objects.exists()


def test_it_refuses_texts_over_their_limits(cast):
    with pytest.raises(ValidationError) as refused:
        factories.make_report(
            cast.analyst, cast.places["c1"], cast.indicator, narrative="x" * 20_001, source_reference="s" * 501
        )
    assert set(refused.value.message_dict) == {"narrative", "source_reference"}
    assert not FieldReport.objects.exists()


def test_verifying_or_disputing_rescores_the_community(cast, strong, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        saved = report(cast, strong)
    scored = RiskAssessment.objects.get().score
    with django_capture_on_commit_callbacks(execute=True):
        field_report_verify(report=saved, user=cast.coordinator, verification=Verification.VERIFIED)
    verified = RiskAssessment.objects.latest()
    assert (verified.cause, verified.score > scored) == (AssessmentCause.VERIFICATION, True)
    with django_capture_on_commit_callbacks(execute=True):
        field_report_verify(report=saved, user=cast.coordinator, verification=Verification.DISPUTED)
    disputed = RiskAssessment.objects.latest()
    assert disputed.score == 0
    assert RiskAssessment.objects.count() == 3
    # The same verdict again changes nothing and re-scores nothing.
    with django_capture_on_commit_callbacks(execute=True):
        field_report_verify(report=saved, user=cast.coordinator, verification=Verification.DISPUTED)
    assert RiskAssessment.objects.count() == 3
    saved.refresh_from_db()
    assert saved.history.first().history_user == cast.coordinator


def test_four_eyes_the_author_and_those_outside_the_community_may_not_verify(cast, strong):
    saved = report(cast, strong)
    for user in (saved.created_by, cast.other_analyst, cast.police_user, cast.admin):
        with pytest.raises(PermissionDenied):
            field_report_verify(report=saved, user=user, verification=Verification.VERIFIED)
    with pytest.raises(ValidationError):
        field_report_verify(report=saved, user=cast.coordinator, verification="true")
    saved.refresh_from_db()
    assert saved.verification == Verification.UNVERIFIED
