"""Reading and checking an indicator framework file (indicators/frameworks.py, pure):
every problem named by where it is, and the file written back as it was read."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.frameworks import (
    STARTER_FRAMEWORK,
    FrameworkError,
    framework_json,
    framework_load,
    framework_parse,
)


def starter() -> dict[str, Any]:
    return copy.deepcopy(json.loads(STARTER_FRAMEWORK.read_text(encoding="utf-8")))


def problems(data: Any) -> list[str]:
    with pytest.raises(FrameworkError) as refused:
        framework_parse(data)
    assert refused.value.messages[-1] == "Nothing was imported."
    return refused.value.messages[:-1]


def test_it_reads_the_starter_framework_with_malay_texts():
    framework = framework_parse(framework_load(STARTER_FRAMEWORK))
    assert len(framework.themes) == 8
    assert len(framework.indicators) == 18
    assert {spec.category for spec in framework.indicators} == {"structural", "proximate", "trigger"}
    for item in [*framework.themes, *framework.indicators]:
        assert item.name_ms and item.description_ms and item.name_ms != item.name
    for spec in framework.indicators:
        assert set(spec.scale_labels) == set(spec.scale_labels_ms)
        assert spec.scale_min <= spec.threshold_moderate <= spec.threshold_high <= spec.threshold_critical
    p01 = next(spec for spec in framework.indicators if spec.code == "P01")
    assert p01.name_ms == "Ucapan kebencian dalam forum tempatan"


def test_it_writes_back_what_it_read():
    data = starter()
    assert framework_json(framework_parse(data)) == data


def test_it_names_each_bad_field_by_where_it_is():
    data = starter()
    data["indicators"][1]["thresholds"]["high"] = 1  # below moderate (2)
    data["indicators"][2]["weight"] = 0
    data["indicators"][3]["category"] = "imminent"
    data["indicators"][4]["theme"] = "nowhere"
    data["indicators"][5]["scale"]["labels"]["9"] = "off the scale"
    data["indicators"][6]["treshold"] = 3
    data["indicators"][7]["half_life_days"] = "30"
    data["indicators"][8]["name"] = ""
    data["themes"][0]["tiers"]["army"] = 1
    data["themes"][1]["police_at_once"] = "yes"
    found = problems(data)
    assert "indicators[1] (S02).thresholds.high: must be at least the moderate threshold (2)" in found
    assert "indicators[2] (S03).weight: must be greater than 0" in found
    assert any(p.startswith('indicators[3] (S04).category: "imminent" is not one of structural') for p in found)
    assert 'indicators[4] (S05).theme: "nowhere" is not a theme of this file' in found
    assert "indicators[5] (P01).scale.labels.9: a label must name a value of the scale (0 to 4)" in found
    assert any(p.startswith("indicators[6] (P02).treshold: unknown key") for p in found)
    assert "indicators[7] (P03).half_life_days: must be a number" in found
    assert "indicators[8] (P04).name: must not be empty" in found
    assert any(p.startswith("themes[0] (online-radicalisation).tiers.army: unknown sector") for p in found)
    assert "themes[1] (recruitment).police_at_once: must be true or false" in found
    assert len(found) == 10


def test_it_refuses_duplicate_codes_missing_fields_and_a_wrong_format():
    data = starter()
    data["format"] = "something-else"
    data["indicators"][1]["code"] = "S01"
    del data["indicators"][2]["thresholds"]
    del data["indicators"][3]["scale"]["max"]
    data["indicators"][4]["code"] = "bad code"
    found = problems(data)
    assert 'format: must be "ewers-indicator-framework"' in found
    assert "indicators[1] (S01).code: also used by indicators[0]; codes must be unique" in found
    assert "indicators[2] (S03).thresholds: required" in found
    assert "indicators[3] (S04).scale.max: required" in found
    assert any(p.startswith("indicators[4] (bad code).code: use letters, digits") for p in found)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "The file must hold a JSON object, the framework."),
        (
            {"format": "ewers-indicator-framework", "version": 1, "name": "x", "themes": [], "indicators": []},
            "indicators: must hold at least one indicator",
        ),
        (
            {"format": "ewers-indicator-framework", "version": 2, "name": "x", "themes": {}, "indicators": [1]},
            "version: must be 1",
        ),
    ],
)
def test_it_refuses_a_file_that_is_not_a_framework(data, expected):
    assert expected in problems(data)


def test_it_refuses_text_with_a_nul_and_json_that_is_not_json():
    data = starter()
    data["indicators"][0]["name_ms"] = "Pengangguran\x00"
    assert "indicators[0] (S01).name_ms: holds a control character" in problems(data)
    with pytest.raises(FrameworkError, match="not JSON: Expecting value at line 1, column 1"):
        framework_load(b"not json")


# --- Properties -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
INDICATOR_FIELDS = sorted(json.loads(STARTER_FRAMEWORK.read_text(encoding="utf-8"))["indicators"][0])


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from([*INDICATOR_FIELDS, "unknown"]), value=json_values)
def test_any_value_in_any_field_is_read_or_refused_with_messages(field, value):
    data = starter()
    data["indicators"][0][field] = value
    try:
        framework = framework_parse(data)
    except FrameworkError as refused:
        assert refused.messages[-1] == "Nothing was imported."
        assert all(message.startswith("indicators[0]") for message in refused.messages[:-1])
    else:
        assert framework_json(framework)["indicators"][1:] == data["indicators"][1:]


@settings(max_examples=100, deadline=None)
@given(
    low=st.integers(-10, 10),
    span=st.integers(1, 20),
    cuts=st.lists(st.floats(0, 1), min_size=3, max_size=3),
    weight=st.floats(0.01, 100),
    half_life=st.floats(0.5, 1000),
)
def test_every_valid_indicator_reads_back_as_written(low, span, cuts, weight, half_life):
    moderate, high, critical = (low + span * cut for cut in sorted(cuts))
    data = starter()
    data["indicators"][0] |= {
        "weight": weight,
        "half_life_days": half_life,
        "scale": {"min": low, "max": low + span, "labels": {str(low): "none"}, "labels_ms": {str(low): "tiada"}},
        "thresholds": {"moderate": moderate, "high": high, "critical": critical},
    }
    written = framework_json(framework_parse(data))
    assert framework_json(framework_parse(written)) == written
    assert written["indicators"][0]["thresholds"] == pytest.approx(data["indicators"][0]["thresholds"])
