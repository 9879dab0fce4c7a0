"""The heatmap API's renderer writes the same bytes as DRF's JSONRenderer for what the
heatmap holds (numbers of two decimal places, text, dates, None), and the same JSON for
any float (a tiny one may be written without an exponent: 0.00001 for 1e-05)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from analytics.api.renderers import FastJSONRenderer

BODIES = [
    {
        "level": "community",
        "weeks": 12,
        "areas": [
            {"code": "T-1", "name": "Kampung Baru — “tepi” sungai", "level": None, "score": 60.0, "open_alerts": 0},
            {"code": "T-2", "name": "line\u2028and\u2029paragraph", "level": "high", "score": 12.35, "assessed": 1},
            {"code": "T-3", "name": 'quote " back \\ slash\ttab\nnewline', "level": "low", "score": 0.0},
        ],
        "matrix": {"weeks": [date(2026, 3, 2)], "values": [[None, 1.5, 99.99, 0.01, 1e22, -0.0, 3]]},
    },
    {"region": [gettext_lazy("This field is required.")], "at": datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC)},
    {"amount": Decimal("1.50"), "nested": [[], {}, (1, 2)], "flag": True},
    [],
]


@pytest.mark.parametrize("body", BODIES)
def test_it_writes_what_the_json_renderer_writes(body):
    assert FastJSONRenderer().render(body) == JSONRenderer().render(body)


def test_it_indents_as_asked_like_the_json_renderer():
    body = BODIES[0]
    media = "application/json; indent=2"
    assert FastJSONRenderer().render(body, media) == JSONRenderer().render(body, media)


def test_it_writes_nothing_for_no_data():
    assert FastJSONRenderer().render(None) == b""


def test_it_writes_any_float_as_the_same_number():
    body = {"values": [1e-05, 2.5e-07, 1 / 3, 1e16, 123456789.125, 5e-324, 1.7976931348623157e308]}
    assert json.loads(FastJSONRenderer().render(body)) == json.loads(JSONRenderer().render(body))
