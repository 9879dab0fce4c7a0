"""Training's fixtures: a vignette the desk's coordinator wrote, and an analyst of the desk."""

from __future__ import annotations

import pytest

from ewers.choices import Role
from tests import factories
from training.services import TrainingValue, vignette_save


@pytest.fixture
def desk_analyst(cast):
    """An analyst of the coordinator's own organisation (the desk)."""
    return factories.make_user("dana", cast.desk, Role.ANALYST)


@pytest.fixture
def trigger(cast):
    """A second indicator, on a 0–3 scale."""
    return factories.make_indicator("T01", theme=cast.indicator.theme, scale_max=3, threshold_critical=3)


@pytest.fixture
def vignette(cast, trigger):
    return vignette_save(
        user=cast.coordinator,
        title="Posters at the market",
        situation="Posters call the other congregation traitors.",
        community_type="Market town",
        readings=[TrainingValue(cast.indicator, 3), TrainingValue(trigger, 1)],
    )


def attempt_form(cast, **overrides):
    values = {"reading_P01": "2", "source_reliability": "B", "information_credibility": "2"}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}
