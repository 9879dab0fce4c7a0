"""The indicator catalogue (indicators/services/catalogue.py): a new weight re-scores the
communities that use it; a scale with readings does not change."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from indicators.choices import AssessmentCause
from indicators.models import RiskAssessment
from indicators.services import indicator_update_settings
from tests import factories
from tests.indicators.services.conftest import report


def test_changing_an_indicators_weight_rescores_the_communities_using_it(
    cast, strong, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report(cast, [cast.indicator])
        report(cast, [strong[1]], community=cast.places["c2"])
    before = RiskAssessment.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        indicator_update_settings(indicator=cast.indicator, changed_by=cast.admin, weight=2.0, reason="calibration")
    rescored = RiskAssessment.objects.filter(cause=AssessmentCause.INDICATOR)
    assert [a.community for a in rescored] == [cast.places["c1"]]  # c2 has no P01 reading
    assert RiskAssessment.objects.count() == before + 1
    assert rescored.get().contributions.get().indicator_version == 2


def test_an_indicators_scale_cannot_change_once_it_has_readings(cast, strong):
    fresh = factories.make_indicator("P09", theme=cast.indicator.theme)
    factories.make_indicator("P09", theme=cast.indicator.theme, scale_max=10, threshold_critical=8)  # no readings yet
    fresh.refresh_from_db()
    assert fresh.scale_max == 10
    report(cast, [cast.indicator])
    for change in ({"scale_max": 10, "threshold_critical": 8}, {"polarity": "resilience"}, {"category": "trigger"}):
        with pytest.raises(ValidationError, match="already has readings"):
            factories.make_indicator("P01", theme=cast.indicator.theme, **change)
    cast.indicator.refresh_from_db()
    assert (cast.indicator.scale_max, cast.indicator.polarity, cast.indicator.version) == (4, "risk", 1)
