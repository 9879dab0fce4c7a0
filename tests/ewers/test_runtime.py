"""The garbage collector's policy of a web process (ewers/runtime.py), checked in fresh
processes with the deployment's settings (the suite's own process keeps it off); the
collector paused while a batch or an import builds its rows."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ewers.runtime import collector_paused
from tests.processes import run_django

CODE = """
import gc, weakref, django
django.setup()
from django.test import Client
client = Client()
before = gc.get_freeze_count()
full_before = gc.get_threshold()[2]
client.get("/no-such-page/")
first = gc.get_freeze_count()
full_after = gc.get_threshold()[2]
class Node: pass
garbage = Node()
garbage.me = garbage  # a cycle made after the freeze
gone = weakref.ref(garbage)
gc.collect(1)  # alive: moved to the oldest generation, which only a full collection walks
del garbage
kept = gone() is not None
client.get("/no-such-page/")  # not yet due: no full collection
kept_after_one = gone() is not None
while gc.get_count()[2] < 10:  # as many middle collections as make a full one due
    gc.collect(1)
client.get("/no-such-page/")  # due: collected once this request is finished
frozen_once = first > before and gc.get_freeze_count() <= first
print(before, frozen_once, full_before, full_after, kept, kept_after_one, gone() is None)
"""


def _run(**environ: str) -> str:
    env = {"DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:", "REDIS_URL": "redis://127.0.0.1:6379/9"}
    result = run_django(env | environ, code=CODE)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_it_freezes_the_heap_once_and_then_collects_it_whole_between_requests():
    # Frozen once; then CPython makes no full collection by itself, and one follows the
    # first request finished once it is due (a cycle left in the oldest generation is freed).
    assert _run() == "0 True 10 1073741824 True True True"


def test_it_leaves_the_collector_alone_when_told_to():
    # Nothing frozen, CPython's own thresholds (whether its full collection came is its affair).
    assert _run(EWERS_GC_FREEZE="false").split()[:6] == ["0", "False", "10", "10", "True", "True"]


def test_the_collector_is_paused_in_the_block_and_resumes_even_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the outer block still holds it
            pass
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()


@contextmanager
def paused_by_another_thread() -> Iterator[None]:
    """Another thread inside ``collector_paused`` for the block; it leaves at the end."""
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with collector_paused():
            inside.set()
            leave.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert inside.wait(5)
        yield
    finally:
        leave.set()
        other.join(5)


def test_the_collector_resumes_once_no_thread_holds_it():
    with paused_by_another_thread():
        with collector_paused():
            pass
        assert not gc.isenabled()  # the other thread is still inside
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_still_collect_the_cycles_left_behind():
    # Threads that pause the collector in turn, never all out at once (a threaded server
    # answering heatmaps on every thread): a block that ends while another is inside
    # collects once enough was allocated, so the cycles each left are freed meanwhile.
    import weakref

    from ewers.runtime import STARVED_ALLOCATIONS

    class Node:
        pass

    with paused_by_another_thread():
        gc.collect()
        with collector_paused():
            garbage = Node()
            garbage.me = garbage  # a cycle, unreachable once the block ends
            gone = weakref.ref(garbage)
            del garbage
        assert gone() is not None  # not enough allocated yet: nothing collected
        with collector_paused():
            # Containers allocated and still held (the count is of those not freed since).
            alive = [[] for _ in range(STARVED_ALLOCATIONS)]
        assert not gc.isenabled()  # the other thread is still inside
        assert gone() is None
        del alive
    assert gc.isenabled()
