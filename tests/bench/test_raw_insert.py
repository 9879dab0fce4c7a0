"""The pipeline bench's raw insert baseline (bench/ingest.py ``raw_insert``), committed
or rolled back: it leaves the tables as they were either way."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from bench.ingest import payloads_make, raw_insert
from indicators.models import FieldReport, Reading
from tests import factories
from tests.faults import database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),  # its own connection commits
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the raw insert is psycopg2 on PostgreSQL"),
]


@pytest.mark.parametrize("committed", [True, False])
def test_it_inserts_the_rows_and_leaves_the_tables_as_they_were(committed):
    tree = factories.make_tree()
    indicators = [factories.make_indicator(f"R{n}") for n in range(4)]
    reporter = factories.make_user("raw", factories.make_organisation())
    payloads = payloads_make([tree["c1"], tree["c2"]], indicators, 40, random.Random(3))
    seconds = raw_insert(database_url(), payloads, reporter=reporter, committed=committed)
    assert seconds > 0
    assert FieldReport.objects.count() == 0
    assert Reading.objects.count() == 0
