"""The benchmark's command line (bench/run.py)."""

from __future__ import annotations

import pytest

from bench.run import arguments


def test_it_runs_one_part_when_asked():
    assert arguments(["--only", "dashboard"]).only == "dashboard"
    assert arguments([]).only is None
    with pytest.raises(SystemExit):
        arguments(["--only", "everything"])
