"""The garbage collector's policy of a web process (ewers/runtime.py), checked in fresh
processes with the deployment's settings (the suite's own process keeps it off)."""

from __future__ import annotations

import pytest

from tests.processes import run_django

CODE = """
import gc, django
django.setup()
from django.test import Client
client = Client()
before = gc.get_freeze_count()
full_before = gc.get_threshold()[2]
client.get("/no-such-page/")
first = gc.get_freeze_count()
full_after = gc.get_threshold()[2]
garbage = [[]]
garbage[0].append(garbage)  # a cycle made after the freeze is still collected
del garbage
client.get("/no-such-page/")
# Not frozen again; full collections rarer once frozen.
print(before, first > before, gc.get_freeze_count() <= first, gc.collect() > 0, full_before, full_after)
"""


def _run(**environ: str) -> str:
    env = {"DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:", "REDIS_URL": "redis://127.0.0.1:6379/9"}
    result = run_django(env | environ, code=CODE)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("setting", "expected"), [("", "0 True True True 10 100"), ("false", "0 False True True 10 10")]
)
def test_it_freezes_the_heap_once_after_the_first_request(setting, expected):
    environ = {"EWERS_GC_FREEZE": setting} if setting else {}
    assert _run(**environ) == expected
