"""Who sees what of training: an analyst their own attempts and calibration; a coordinator
those of their own organisation's analysts; anything else 404 (403 inside the share but
not allowed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ewers.choices import Role
from tests import factories
from training.models import TrainingAttempt, Vignette
from training.selectors import calibration_analysts, organisation_calibration
from training.services import TrainingValue, training_attempt_submit

pytestmark = pytest.mark.django_db


def practise(user, vignette, indicator, value, *, days_ago=1):
    return training_attempt_submit(
        user=user,
        vignette=vignette,
        readings=[TrainingValue(indicator, value)],
        source_reliability="B",
        information_credibility=2,
        now=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def attempts(cast, vignette, desk_analyst):
    return {
        "lab": practise(cast.analyst, vignette, cast.indicator, 3),
        "desk": practise(desk_analyst, vignette, cast.indicator, 2),
        "other": practise(cast.other_analyst, vignette, cast.indicator, 1),
    }


def test_an_analyst_sees_only_their_own_attempts_and_calibration(client, cast, attempts, desk_analyst):
    client.force_login(cast.analyst)
    assert client.get(f"/training/attempts/{attempts['lab'].pk}/").status_code == 200
    for key in ("desk", "other"):
        assert client.get(f"/training/attempts/{attempts[key].pk}/").status_code == 404
    assert client.get(f"/training/calibration/{cast.analyst.pk}/").status_code == 200
    for other in (desk_analyst, cast.other_analyst, cast.coordinator):
        assert client.get(f"/training/calibration/{other.pk}/").status_code == 404
    assert list(TrainingAttempt.objects.visible_to(cast.analyst)) == [attempts["lab"]]
    assert list(calibration_analysts(cast.analyst)) == [cast.analyst]


def test_a_coordinator_sees_only_their_organisations_analysts(client, cast, attempts, desk_analyst):
    client.force_login(cast.coordinator)
    assert client.get(f"/training/attempts/{attempts['desk'].pk}/").status_code == 200
    for key in ("lab", "other"):
        assert client.get(f"/training/attempts/{attempts[key].pk}/").status_code == 404
    assert client.get(f"/training/calibration/{desk_analyst.pk}/").status_code == 200
    for other in (cast.analyst, cast.other_analyst):
        assert client.get(f"/training/calibration/{other.pk}/").status_code == 404
    assert list(calibration_analysts(cast.coordinator)) == [desk_analyst]
    report = organisation_calibration(cast.coordinator)
    assert [s.analyst for s in report.analysts] == [desk_analyst] and report.pooled.attempts == 1
    page = client.get("/training/calibration/").content.decode()
    assert f"/training/calibration/{desk_analyst.pk}/" in page
    assert f"/training/calibration/{cast.analyst.pk}/" not in page and "otto" not in page


def test_other_roles_are_refused(client, cast, attempts, vignette):
    for user in (cast.police_user, cast.admin):
        client.force_login(user)
        assert client.get("/training/").status_code == 403
        assert client.get("/training/calibration/").status_code == 403
        assert client.get(f"/training/attempts/{attempts['desk'].pk}/").status_code == 404
        assert client.get(f"/training/vignettes/{vignette.pk}/practise/").status_code in (403, 404)
    client.force_login(cast.coordinator)
    assert client.get(f"/training/vignettes/{vignette.pk}/practise/").status_code == 403
    client.force_login(cast.analyst)
    assert client.get("/training/vignettes/new/").status_code == 403
    assert client.get(f"/training/vignettes/{vignette.pk}/").status_code == 403  # the expert's readings
    assert client.get(f"/training/vignettes/{vignette.pk}/edit/").status_code == 403


def test_a_vignette_is_changed_only_by_its_organisations_coordinators(client, cast, vignette):
    other = factories.make_user("coord2", cast.lab, Role.COORDINATOR)
    client.force_login(other)
    assert client.get(f"/training/vignettes/{vignette.pk}/").status_code == 200  # active: shared
    assert client.get(f"/training/vignettes/{vignette.pk}/edit/").status_code == 403
    assert client.post(f"/training/vignettes/{vignette.pk}/edit/", {"title": "x"}).status_code == 403
    Vignette.objects.filter(pk=vignette.pk).update(is_active=False)
    assert client.get(f"/training/vignettes/{vignette.pk}/").status_code == 404  # not offered, not theirs
    assert Vignette.objects.visible_to(cast.coordinator).get() == vignette
    assert not Vignette.objects.visible_to(cast.analyst).exists()
    assert not Vignette.objects.visible_to(cast.police_user).exists()


def test_a_coordinator_page_flags_an_indicator_read_inconsistently(client, cast, vignette, desk_analyst):
    calm = Vignette.objects.create(
        title="Calm", situation="Nothing.", organisation=cast.desk, created_by=cast.coordinator
    )
    calm.readings.create(indicator=cast.indicator, value=0)
    # Expert 3 and 0 alternately; the analyst answers the opposite end of the scale.
    for n in range(12):
        practise(desk_analyst, vignette if n % 2 else calm, cast.indicator, 0 if n % 2 else 4, days_ago=n + 1)
    report = organisation_calibration(cast.coordinator)
    assert [row.indicator for row in report.flagged] == [cast.indicator]
    client.force_login(cast.coordinator)
    assert "consider rewording" in client.get("/training/calibration/").content.decode()
