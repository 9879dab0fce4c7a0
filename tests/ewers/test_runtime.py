"""The garbage collector's policy of a web process (ewers/runtime.py), checked in fresh
processes with the deployment's settings (the suite's own process keeps it off); the
collector paused while a batch or an import builds its rows."""

from __future__ import annotations

import gc
import threading

import pytest

from ewers.runtime import collector_paused
from tests.processes import run_django

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
    env = {"DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:", "REDIS_URL": "redis://127.0.0.1:6379/9"}
    result = run_django(env | environ, code=CODE)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(("setting", "expected"), [("", "0 True True True"), ("false", "0 False True True")])
def test_it_freezes_the_heap_once_after_the_first_request(setting, expected):
    environ = {"EWERS_GC_FREEZE": setting} if setting else {}
    assert _run(**environ) == expected


def test_the_collector_is_paused_in_the_block_and_resumes_even_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the outer block still holds it
            pass
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()


def test_the_collector_resumes_once_no_thread_holds_it():
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with collector_paused():
            inside.set()
            leave.wait(5)

    other = threading.Thread(target=hold)
    other.start()
    assert inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the other thread is still inside
    leave.set()
    other.join(5)
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
