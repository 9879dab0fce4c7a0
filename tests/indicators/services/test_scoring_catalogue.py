"""The catalogue a scoring batch reads (indicators, their themes) kept by a worker process
between batches, keyed on the catalogue's fingerprint (scoring_reads.CATALOGUE_FINGERPRINT):
any committed write of an indicator or a theme, however made, gives a new one, and the
catalogue then read equals a fresh load; unchanged, the process's own is used again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from ewers.models import Theme
from indicators.models import Indicator, RiskAssessment
from indicators.services.scoring_reads import previous_and_states
from indicators.services.scoring_state import Catalogue
from tests import factories
from tests.indicators.services.conftest import report
from tests.indicators.services.test_scoring_state import assert_as_recomputed

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the fingerprint is PostgreSQL's; SQLite loads"),
    pytest.mark.django_db(transaction=True),
]


def fingerprint(cast) -> str:
    found = previous_and_states([cast.places["c1"].pk], timezone.now()).fingerprint
    assert found is not None
    return found


def seen(catalogue: Catalogue) -> dict[int, tuple[object, ...]]:
    """What a batch reads of the catalogue: the scorer's settings and the alerting layer's fields."""
    return {
        pk: (catalogue.plain[pk], i.code, i.name, i.name_ms, i.is_active, i.theme.code, i.theme.name, i.theme.name_ms)
        for pk, i in catalogue.models.items()
    }


def test_any_write_of_the_catalogue_gives_a_new_fingerprint_and_the_catalogue_as_loaded(cast, strong):
    first = Catalogue.current(fingerprint(cast))
    assert Catalogue.current(fingerprint(cast)) is first  # unchanged: the process's own
    theme = cast.indicator.theme
    extra = factories.make_indicator("X01", theme=theme)
    writes = [
        lambda: Indicator.objects.filter(pk=strong[1].pk).update(weight=2.5),  # no signal, no version
        lambda: Indicator.objects.filter(pk=strong[1].pk).update(weight=0.5),  # the same row again
        lambda: Indicator.objects.filter(pk=strong[2].pk).update(name_ms="Ucapan benci"),
        lambda: Theme.objects.filter(pk=theme.pk).update(name="Tension renamed"),
        lambda: factories.make_indicator("X02", theme=theme),
        lambda: Indicator.objects.filter(pk=extra.pk).delete(),
        lambda: connection.cursor().execute(
            f"UPDATE {Indicator._meta.db_table} SET half_life_days = 9 WHERE id = %s",  # noqa: S608 (a model's table)
            [strong[0].pk],
        ),
    ]
    prints = {fingerprint(cast)}
    for write in writes:
        write()
        now = fingerprint(cast)
        assert now not in prints
        prints.add(now)
        assert seen(Catalogue.current(now)) == seen(Catalogue.load())
    assert Catalogue.current(fingerprint(cast)) is Catalogue.current(fingerprint(cast))


def test_a_batch_after_a_change_of_weight_scores_with_the_new_weight(cast, strong):
    # Each report commits and is scored at once (the tasks run in-process), by batches of their own.
    report(cast, strong, value=2)
    report(cast, strong, value=1)  # the catalogue as the process keeps it
    # A new version as indicator_update_settings makes it, without the rescoring it queues.
    Indicator.objects.filter(pk=strong[1].pk).update(weight=4.0, version=F("version") + 1)
    report(cast, [strong[1]], value=3)
    latest = RiskAssessment.objects.order_by("-id").first()
    assert latest is not None
    assert_as_recomputed(latest)
