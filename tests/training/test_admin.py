"""The training admin: vignettes listed by need-to-know and changed in their text only;
attempts read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.training.test_access import practise
from training.models import TrainingAttempt

pytestmark = pytest.mark.django_db


def test_the_admin_lists_vignettes_and_attempts_by_need_to_know(superuser_client, cast, vignette, desk_analyst):
    mine = practise(desk_analyst, vignette, cast.indicator, 2)
    practise(cast.analyst, vignette, cast.indicator, 3)  # the lab's: not the desk coordinator's
    listing = superuser_client.get(reverse("admin:training_vignette_changelist"))
    assert list(listing.context["cl"].result_list) == [vignette]
    page = superuser_client.get(reverse("admin:training_vignette_change", args=[vignette.pk]))
    assert page.status_code == 200 and "Market town" in page.content.decode()
    attempts = superuser_client.get(reverse("admin:training_trainingattempt_changelist"))
    assert list(attempts.context["cl"].result_list) == [mine]
    assert superuser_client.get(reverse("admin:training_vignette_add")).status_code == 403
    assert TrainingAttempt.objects.count() == 2
