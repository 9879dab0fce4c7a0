"""Reports written in bulk (indicators/services/reports_write.py) are the rows a report saved
alone makes: the same columns and defaults, the source reference encrypted and read back,
the history's creation row by the author, and the readings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from indicators.models import FieldReport
from indicators.services import ReadingInput, ReportDraft, field_report_create, field_reports_create
from tests import factories
from tests.conftest import bulk_writes_only

pytestmark = pytest.mark.django_db

# Columns that differ between two reports of the same content by design.
OWN = {"id", "received_at", "idempotency_key", "idempotency_fingerprint", "possible_duplicate_of_id"}
# And in the history: a report saved outside a request has no history user.
HISTORY_OWN = OWN | {"history_id", "history_date", "history_user_id"}


def columns(queryset, pk: int, own: set[str]) -> dict:
    return {k: v for k, v in queryset.filter(pk=pk).values().get().items() if k not in own}


MOMENT = timezone.now() - timedelta(hours=2)


def arguments(cast, key: str) -> dict:
    return {
        "community": cast.places["c1"],
        "observed_at": MOMENT,
        "readings": [ReadingInput(indicator="P01", value=3), ReadingInput(indicator="A01", value=1.5)],
        "source_reliability": "C",
        "information_credibility": 3,
        "narrative": "Leaflets at the market.",
        "source_reference": "Shop owner, market street",
        "idempotency_key": key,
        "handling_level": "police",
    }


def test_a_report_written_in_bulk_is_the_report_saved_alone(cast):
    factories.make_indicator("A01", theme=cast.indicator.theme, handling_level="agencies")
    alone, _created = field_report_create(user=cast.analyst, **arguments(cast, "alone"))
    [outcome] = field_reports_create(user=cast.analyst, drafts=[ReportDraft(**arguments(cast, "bulk"))])
    assert outcome.created
    bulk = FieldReport.objects.get(pk=outcome.report_id)
    assert columns(FieldReport.objects, bulk.pk, OWN) == columns(FieldReport.objects, alone.pk, OWN)
    assert bulk.source_reference == "Shop owner, market street"
    assert bulk.received_at <= timezone.now()
    assert (bulk.idempotency_key, len(bulk.idempotency_fingerprint or "")) == ("bulk", 64)
    assert sorted(bulk.readings.values_list("indicator__code", "value")) == [("A01", 1.5), ("P01", 3.0)]
    # At rest the reference is not readable.
    with connection.cursor() as cursor:
        cursor.execute("SELECT source_reference FROM indicators_fieldreport WHERE id = %s", [bulk.pk])
        assert "Shop owner" not in cursor.fetchone()[0]


@bulk_writes_only
def test_its_history_row_is_the_one_a_report_saved_alone_gets(cast):
    factories.make_indicator("A01", theme=cast.indicator.theme)
    alone, _created = field_report_create(user=cast.analyst, **arguments(cast, "alone"))
    [outcome] = field_reports_create(user=cast.analyst, drafts=[ReportDraft(**arguments(cast, "bulk"))])
    history = FieldReport.history.model  # type: ignore[attr-defined]
    assert sorted(history.objects.values_list("id", flat=True)) == sorted([alone.pk, outcome.report_id])
    rows = history.objects.filter(id=outcome.report_id)
    assert columns(rows, rows.get().pk, HISTORY_OWN) == columns(
        history.objects.filter(id=alone.pk), history.objects.get(id=alone.pk).pk, HISTORY_OWN
    )
    row = rows.get()
    assert (row.history_type, row.history_user_id, row.history_change_reason) == ("+", cast.analyst.pk, None)
    assert row.history_date == FieldReport.objects.get(pk=outcome.report_id).received_at


# Texts that an array's text form must escape or keep as they are.
AWKWARD_TEXTS = [
    'She said "leave", then left \\ quickly',
    "{braces}, commas, and a trailing backslash \\",
    "NULL",
    "",
    "  spaces kept  ",
    "Café, 市场, emoji 🙂, tab\tand\nnew line",
]


@bulk_writes_only
def test_awkward_texts_times_and_values_are_written_as_sent(cast):
    """Each column is sent as an array's text form: quotes, backslashes, braces, the word
    NULL, blanks and any script come back exactly; times in any zone, the exact doubles."""
    factories.make_indicator("A01", theme=cast.indicator.theme, scale_min=0, scale_max=5)
    zone = timezone.get_fixed_timezone(8 * 60 + 30)
    drafts = [
        ReportDraft(
            **{
                **arguments(cast, f"awkward-{n}"),
                "narrative": text,
                "source_reference": text or None,
                "observed_at": (MOMENT - timedelta(minutes=7 * n, microseconds=n)).astimezone(zone),
                "readings": [ReadingInput(indicator="A01", value=0.1 * n + 1e-9)],
            }
        )
        for n, text in enumerate(AWKWARD_TEXTS)
    ]
    outcomes = field_reports_create(user=cast.analyst, drafts=drafts)
    assert all(outcome.created for outcome in outcomes)
    for draft, outcome in zip(drafts, outcomes, strict=True):
        report = FieldReport.objects.get(pk=outcome.report_id)
        assert (report.narrative, report.source_reference) == (draft.narrative, draft.source_reference)
        assert report.observed_at == draft.observed_at
        assert report.idempotency_key == draft.idempotency_key
        assert list(report.readings.values_list("value", flat=True)) == [draft.readings[0].value]


def test_the_history_statement_made_once_gives_each_call_its_own_values():
    from ewers.models import User
    from indicators.services.reports_write import _history_sql

    at = timezone.now()
    for user_pk in (3, 4):
        sql, params = _history_sql(User(pk=user_pk), at)
        names = sql.split("(", 1)[1].split(")", 1)[0].split(", ")
        values = sql.split(" SELECT ", 1)[1].rsplit(" FROM new", 1)[0].split(", ")
        own = {name.strip('"'): params.pop(0) for name, value in zip(names, values, strict=True) if value == "%s"}
        assert own == {
            "history_date": at,
            "history_change_reason": None,
            "history_type": "+",
            "history_user_id": user_pk,
        }
        assert params == []
        assert all(value.startswith("new.") for value in values if value != "%s")
