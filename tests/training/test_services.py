"""Training never reaches scoring: a scored community with an open alert keeps its
assessment, score and alert as they were; no field report, reading, notification or task
comes of an attempt."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alerts.models import Alert, AlertEvent, Assignment, Notification
from indicators.models import CurrentRisk, FieldReport, Reading, RiskAssessment
from tests.training.conftest import attempt_form
from training.models import TrainingAttempt, TrainingReading
from training.services import TrainingValue, training_attempt_submit, vignette_save

pytestmark = pytest.mark.django_db


def world():
    """Everything a report can change, as plain values."""
    return {
        "reports": list(FieldReport.objects.values_list("pk", "status")),
        "readings": list(Reading.objects.order_by("pk").values_list("pk", "indicator", "value")),
        "assessments": list(RiskAssessment.objects.order_by("pk").values_list("pk", "score", "level")),
        "current": list(CurrentRisk.objects.order_by("pk").values_list("community", "score", "level")),
        "alerts": list(Alert.objects.order_by("pk").values_list("pk", "state", "level")),
        "events": AlertEvent.objects.count(),
        "assignments": Assignment.objects.count(),
        "notifications": Notification.objects.count(),
    }


def test_training_attempts_never_change_a_score(client, cast, raised, strong, django_capture_on_commit_callbacks):
    _alert, _assignment = raised
    before = world()
    assert before["assessments"] and before["current"] and before["alerts"]  # a real scored community
    vignette = vignette_save(
        user=cast.coordinator,
        title="Weapons at the well",
        situation="Men show rifles at the well.",
        readings=[TrainingValue(i, 4) for i in strong],
    )
    client.force_login(cast.analyst)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _ in range(3):
            form = attempt_form(cast, reading_P01="4", reading_P02="4", reading_P03="4")
            response = client.post(f"/training/vignettes/{vignette.pk}/practise/", form)
            assert response.status_code == 302
    assert callbacks == []  # nothing queued: no scoring task, no e-mail
    assert TrainingAttempt.objects.count() == 3 and TrainingReading.objects.count() == 9
    assert world() == before
    # Nor do the report list, the API's report list or the heatmap's community page show it.
    assert client.get("/api/v1/reports/").json()["count"] == len(before["reports"])


def test_only_analysts_practise_and_only_coordinators_write(cast, vignette):
    for user in (cast.coordinator, cast.police_user, cast.admin):
        with pytest.raises(PermissionDenied):
            training_attempt_submit(
                user=user,
                vignette=vignette,
                readings=[TrainingValue(cast.indicator, 1)],
                source_reliability="A",
                information_credibility=1,
            )
    for user in (cast.analyst, cast.police_user):
        with pytest.raises(PermissionDenied):
            vignette_save(user=user, title="t", situation="s", readings=[TrainingValue(cast.indicator, 1)])


def test_a_bad_attempt_writes_nothing(cast, vignette):
    with pytest.raises(ValidationError) as caught:
        training_attempt_submit(
            user=cast.analyst,
            vignette=vignette,
            readings=[TrainingValue(cast.indicator, float("nan")), TrainingValue(cast.indicator, 5)],
            source_reliability="Q",
            information_credibility=0,
        )
    assert set(caught.value.message_dict) == {"readings", "source_reliability", "information_credibility"}
    assert not TrainingAttempt.objects.exists() and not TrainingReading.objects.exists()
