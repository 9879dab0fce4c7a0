"""Rows of several tables written together (``ewers.db.rows``): their ids drawn first, so
that rows can name each other before any is written, then one statement on PostgreSQL;
elsewhere, each model's rows by ``bulk_create``. Either way the rows read back are what
the ORM would have saved."""

from __future__ import annotations

import pytest
from django.db import connection

from alerts.choices import AlertEventKind
from alerts.models import Alert, AlertEvent
from ewers.choices import RiskLevel
from ewers.db.rows import RowsWriter, ids_draw

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="ids drawn from PostgreSQL's sequences")


@postgresql_only
@pytest.mark.django_db
def test_ids_are_drawn_ascending_and_new_for_each_model_counted(cast):
    before = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH).pk
    drawn = ids_draw({Alert: 3, AlertEvent: 2, Alert.history.model: 0})
    assert drawn[Alert] == sorted(set(drawn[Alert])) and len(drawn[Alert]) == 3
    assert min(drawn[Alert]) > before
    assert len(set(drawn[AlertEvent])) == 2
    assert drawn[Alert.history.model] == []
    # The sequence moved on: the next row takes none of the drawn ids.
    after = Alert.objects.create(community=cast.places["c2"], level=RiskLevel.HIGH).pk
    assert after > max(drawn[Alert])


@pytest.mark.django_db
def test_rows_naming_each_other_are_saved_as_the_orm_saves_them(cast, django_assert_num_queries):
    communities = [cast.places["c1"], cast.places["c2"]]
    # PostgreSQL: the ids drawn (one query), then every row in one statement; elsewhere
    # one bulk_create a model.
    with django_assert_num_queries(2):
        writer = RowsWriter({Alert: 2, AlertEvent: 2})
        alerts = writer.save([Alert(community=c, level=RiskLevel.HIGH) for c in communities])
        # Named before any row is written on PostgreSQL (as the children below need).
        assert all(alert.pk is not None for alert in alerts)
        events = writer.save(
            [AlertEvent(alert=alert, kind=AlertEventKind.OPENED, level=alert.level) for alert in alerts]
        )
        writer.flush()
    saved = {a.pk: a for a in Alert.objects.filter(pk__in=[a.pk for a in alerts])}
    assert [(saved[a.pk].community_id, saved[a.pk].level, saved[a.pk].state) for a in alerts] == [
        (c.pk, RiskLevel.HIGH, "open") for c in communities
    ]
    # The fields' defaults and pre_save values went in, as bulk_create sends them.
    assert all(saved[a.pk].opened_at == a.opened_at for a in alerts)
    assert list(
        AlertEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("pk").values_list("alert_id", "kind")
    ) == [(a.pk, AlertEventKind.OPENED) for a in alerts]
    assert all(not obj._state.adding for obj in [*alerts, *events])
