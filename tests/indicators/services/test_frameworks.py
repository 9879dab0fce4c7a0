"""Indicator frameworks into and out of the database (indicators/services/frameworks.py):
update by code, a second import changes nothing, a dry run writes nothing, a refused file
writes nothing, and an export imported elsewhere exports the same."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ewers.models import Theme, ThemeTier
from indicators.frameworks import STARTER_FRAMEWORK, FrameworkError, framework_json
from indicators.models import Indicator, IndicatorVersion
from indicators.services import framework_export, framework_import
from tests import factories

pytestmark = pytest.mark.django_db


def starter() -> dict[str, Any]:
    return copy.deepcopy(json.loads(STARTER_FRAMEWORK.read_text(encoding="utf-8")))


def catalogue() -> list[tuple[Any, ...]]:
    return [
        *Theme.objects.order_by("code").values_list("code", "name", "name_ms", "police_at_once"),
        *ThemeTier.objects.order_by("theme__code", "sector").values_list("theme__code", "sector", "tier"),
        *Indicator.objects.order_by("code").values_list(
            "code", "name", "name_ms", "description_ms", "weight", "threshold_high", "scale_labels_ms", "version"
        ),
    ]


def test_it_loads_the_starter_framework_in_both_languages():
    result = framework_import(source=STARTER_FRAMEWORK)
    assert (result.themes.created, result.indicators.created) == (8, 18)
    p02 = Indicator.objects.get(code="P02")
    assert p02.name == "Recruiters or closed study circles active"
    assert p02.name_ms == "Perekrut atau kumpulan kajian tertutup yang aktif"
    assert p02.theme.name_ms == "Perekrutan"
    assert p02.scale_labels_ms["4"] == "teruk"
    assert Indicator.objects.get(code="T02").handling_level == "police"
    assert Theme.objects.get(code="weapons-explosives").police_at_once
    assert ThemeTier.objects.get(theme__code="social-exclusion", sector="government").tier == 1
    assert IndicatorVersion.objects.count() == 18


def test_a_second_import_changes_nothing():
    framework_import(source=STARTER_FRAMEWORK)
    before = catalogue()
    result = framework_import(source=STARTER_FRAMEWORK)
    assert (result.themes.unchanged, result.indicators.unchanged) == (8, 18)
    assert (result.indicators.created, result.indicators.updated) == (0, 0)
    assert catalogue() == before
    assert IndicatorVersion.objects.count() == 18


def test_it_updates_by_code_and_versions_a_new_threshold():
    framework_import(source=STARTER_FRAMEWORK)
    data = starter()
    data["indicators"][0]["thresholds"]["high"] = 2.5
    data["indicators"][1]["name_ms"] = "Persepsi diskriminasi"
    data["indicators"].append({**data["indicators"][0], "code": "X01", "name": "A partner's own"})
    result = framework_import(source=data)
    assert (result.indicators.created, result.indicators.updated, result.indicators.unchanged) == (1, 2, 16)
    s01 = Indicator.objects.get(code="S01")
    assert (s01.threshold_high, s01.version) == (2.5, 2)
    assert Indicator.objects.get(code="S02").name_ms == "Persepsi diskriminasi"
    assert Indicator.objects.count() == 19


def test_a_dry_run_counts_and_writes_nothing():
    result = framework_import(source=STARTER_FRAMEWORK, dry_run=True)
    assert (result.dry_run, result.indicators.created) == (True, 18)
    assert not Indicator.objects.exists()
    assert not Theme.objects.exists()


def test_a_refused_file_writes_nothing():
    data = starter()
    data["indicators"][-1]["weight"] = -1
    with pytest.raises(FrameworkError):
        framework_import(source=data)
    assert not Indicator.objects.exists()
    assert not Theme.objects.exists()


def test_it_refuses_to_change_the_scale_of_an_indicator_with_readings(cast):
    framework_import(source=STARTER_FRAMEWORK)
    factories.make_report(cast.analyst, cast.places["c1"], Indicator.objects.get(code="P01"), value=2)
    before = catalogue()
    data = starter()
    data["indicators"][0]["weight"] = 2  # S01: a change that would be allowed…
    p01 = next(item for item in data["indicators"] if item["code"] == "P01")
    p01["scale"]["max"] = 10  # …beside one that is not
    p01["thresholds"]["critical"] = 10
    with pytest.raises(FrameworkError) as refused:
        framework_import(source=data)
    assert any("P01 already has readings" in message for message in refused.value.messages)
    assert catalogue() == before  # S01 untouched too


def test_an_export_imported_elsewhere_exports_the_same():
    framework_import(source=STARTER_FRAMEWORK)
    Indicator.objects.filter(code="R03").update(is_active=False)
    exported = framework_json(framework_export(name="Partner framework"))
    Indicator.objects.all().delete()
    ThemeTier.objects.all().delete()
    Theme.objects.all().delete()
    framework_import(source=exported)
    assert framework_json(framework_export(name="Partner framework")) == exported
    assert not Indicator.objects.get(code="R03").is_active


def test_the_starter_file_is_what_an_export_of_it_gives():
    framework_import(source=STARTER_FRAMEWORK)
    data = starter()
    exported = framework_json(
        framework_export(
            name=data["name"],
            name_ms=data["name_ms"],
            description=data["description"],
            description_ms=data["description_ms"],
        )
    )
    # Exports list themes by code; the starter file keeps its own order.
    assert sorted(exported["themes"], key=lambda t: t["code"]) == sorted(data["themes"], key=lambda t: t["code"])
    assert exported["indicators"] == sorted(data["indicators"], key=lambda i: i["code"])


# --- The commands ---------------------------------------------------------------------------


def test_the_commands_export_and_import_a_file(tmp_path, capsys):
    call_command("framework_import", "starter", "--dry-run")
    assert "Dry run, nothing written: EWERS starter framework: themes 8 created" in capsys.readouterr().out
    assert not Indicator.objects.exists()
    call_command("framework_import", "starter")
    assert "indicators 18 created, 0 updated, 0 unchanged." in capsys.readouterr().out
    path = tmp_path / "framework.json"
    call_command("framework_export", "--output", str(path), "--name", "Ours")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["name"], len(data["indicators"])) == ("Ours", 18)
    assert "Rangka" not in path.read_text(encoding="utf-8")  # the name given, not the starter's
    assert "Perekrutan" in path.read_text(encoding="utf-8")  # Malay as written, not escaped
    call_command("framework_import", str(path))
    assert "themes 0 created, 0 updated, 8 unchanged; indicators 0 created, 0 updated, 18 unchanged." in (
        capsys.readouterr().out
    )


def test_the_import_command_prints_each_problem_and_fails(tmp_path, capsys):
    data = starter()
    data["indicators"][0]["thresholds"]["critical"] = 9
    path = tmp_path / "framework.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="was not imported"):
        call_command("framework_import", str(path))
    err = capsys.readouterr().err
    assert "indicators[0] (S01).thresholds.critical: must be at most the highest value of the scale (4)" in err
    assert "Nothing was imported." in err
    assert not Indicator.objects.exists()
