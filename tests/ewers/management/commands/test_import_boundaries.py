"""The import_boundaries command: what it reports, and each problem of a file it refuses."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from ewers.models import Region
from tests.ewers.conftest import HOSTILE, _hostile_bytes, collection, command_args, feature, rows


def test_the_command_reports_what_it_did(tree, tmp_path, capsys):
    path = tmp_path / "communities.geojson"
    path.write_text(json.dumps(collection(feature("T-1-1-3"), feature("T-1-1-4"))))
    call_command("import_boundaries", *command_args(path), "--dry-run")
    assert "Dry run, nothing written: community: 2 created, 0 updated, 0 unchanged." in capsys.readouterr().out
    assert not Region.objects.filter(code="T-1-1-3").exists()
    call_command("import_boundaries", *command_args(path))
    assert "community: 2 created, 0 updated, 0 unchanged." in capsys.readouterr().out
    call_command("import_boundaries", *command_args(path))
    assert "community: 0 created, 0 updated, 2 unchanged." in capsys.readouterr().out


def test_the_command_prints_each_problem_and_fails(tree, tmp_path, capsys):
    path = tmp_path / "communities.geojson"
    path.write_text(json.dumps(collection(feature("T-1-1-3", parent="NOWHERE"), feature("T-1-1-3"))))
    before = rows()
    with pytest.raises(CommandError, match="was not imported") as failed:
        call_command("import_boundaries", *command_args(path))
    assert failed.value.returncode == 1  # the exit status manage.py gives a CommandError
    err = capsys.readouterr().err
    assert "features[0] (T-1-1-3): no district of T land has the code 'NOWHERE'" in err
    assert "features[1] (T-1-1-3): the code is also used by features[0]" in err
    assert rows() == before


def test_the_command_names_a_missing_file(tree, tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("import_boundaries", *command_args(tmp_path / "missing.geojson"))
    assert "Cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), HOSTILE)
def test_the_command_refuses_a_hostile_file_and_fails(tree, tmp_path, capsys, content, message):
    path = tmp_path / "hostile.geojson"
    path.write_bytes(_hostile_bytes(content))
    before = rows()
    with pytest.raises(CommandError) as failed:
        call_command("import_boundaries", *command_args(path))
    assert failed.value.returncode == 1
    assert message in capsys.readouterr().err
    assert rows() == before
