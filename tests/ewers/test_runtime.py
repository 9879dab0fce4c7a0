"""The garbage collector's policy of a web process (ewers/runtime.py), checked in fresh
processes with the deployment's settings (the suite's own process keeps it off)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CODE = """
import gc, django
django.setup()
from django.test import Client
client = Client()
before = gc.get_freeze_count()
client.get("/no-such-page/")
first = gc.get_freeze_count()
garbage = [[]]
garbage[0].append(garbage)  # a cycle made after the freeze is still collected
del garbage
client.get("/no-such-page/")
print(before, first > before, gc.get_freeze_count() <= first, gc.collect() > 0)  # not frozen again
"""


def _run(**environ: str) -> str:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "EWERS_ENV_FILE": "",
        "DEBUG": "true",
        "DATABASE_URL": "sqlite:///:memory:",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        **environ,
    }
    result = subprocess.run(
        [sys.executable, "-c", CODE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(("setting", "expected"), [("", "0 True True True"), ("false", "0 False True True")])
def test_it_freezes_the_heap_once_after_the_first_request(setting, expected):
    environ = {"EWERS_GC_FREEZE": setting} if setting else {}
    assert _run(**environ) == expected
