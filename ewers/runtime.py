"""The garbage collector's policy in a process that answers requests (docs/performance.md,
"Garbage collection").

A heatmap answer builds tens of thousands of short-lived containers (a row per
community). Each time they fill the collector's young generations it runs, and every few
such answers it runs a full collection, which walks every object of the process: Django,
the apps, the URLconf, the templates, the catalogues — about 150,000 objects that never
become garbage, 100 to 200 ms on a 2-core machine, in the middle of whichever request
happened to allocate then (the heatmap API's p95 was these pauses). Once a process has
answered its first request, those objects are all loaded: they are moved to the
collector's permanent generation (``gc.freeze``), so that full collections walk only what
later requests leave behind. Reference counting frees everything as before; a cycle among
the frozen objects alone would never be collected (they live as long as the process).

The freeze also changes when full collections come. CPython runs one only when the
objects that reached the oldest generation since the last one number a quarter of those
that lived through it; once the heap is frozen, those are only the few thousand objects
left unfrozen, so nearly every tenth middle collection became a full one — in the middle
of a request holding a map of thousands of rows, which it walked too (5 to 17 ms, every
five or so heatmap answers: the API's p95). Neither can they simply be made rarer: every
rendered page leaves its context in a reference cycle (Django's ``ContextDict`` points
back at its ``Context``), so the page's data — megabytes for a map — is freed only by a
full collection. So after the freeze CPython makes none by itself; a full collection runs
when a request is finished, once ``FULL_COLLECTION_AFTER`` middle collections have run
since the last one (CPython's own count): as often as before, but between requests, when
the request's rows are gone (in a served process, after the answer was sent). Young and
middle collections are left as they are.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.signals import request_finished

FREEZE_UID = "ewers_heap_freeze"
COLLECT_UID = "ewers_full_collection"
# Middle collections between two full ones (CPython's default third threshold).
FULL_COLLECTION_AFTER = 10
# The third threshold once frozen: CPython never reaches it, full collections are ours.
NO_AUTOMATIC_FULL_COLLECTION = 2**30
_lock = threading.Lock()
_frozen = False


def heap_freeze(**kwargs: Any) -> None:
    """Once per process (``request_finished``): collect what is garbage now, freeze every
    object left, and from then on make full collections between requests only."""
    global _frozen
    with _lock:
        if _frozen:
            return
        _frozen = True
    request_finished.disconnect(dispatch_uid=FREEZE_UID)
    gc.collect()
    gc.freeze()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_COLLECTION)
    request_finished.connect(full_collection_when_due, dispatch_uid=COLLECT_UID, weak=False)


def full_collection_when_due(**kwargs: Any) -> None:
    """After a request (``request_finished``): a full collection once CPython's middle
    collections since the last one reach ``FULL_COLLECTION_AFTER``."""
    if gc.get_count()[2] >= FULL_COLLECTION_AFTER:
        gc.collect()


def heap_freeze_after_first_request() -> None:
    """Freeze the heap when this process's first request is finished (``EWERS_GC_FREEZE``)."""
    if not _frozen:
        request_finished.connect(heap_freeze, dispatch_uid=FREEZE_UID, weak=False)


# The requests that build a batch's or an import's rows (thousands of small dicts, lists
# and model instances, none in a cycle) set off young-generation collections every 700
# allocations, each walking every object still young: about a tenth of an import's CPU.
# Reference counting frees those rows as before; the cyclic collector resumes at the end
# (and then finds any cycle made meanwhile). Several threads may pause it at once: the
# collector runs again once none of them is inside. In a threaded server such blocks may
# overlap without a gap (heatmap requests on every thread): CPython would then collect
# nothing, and the cycles a page leaves would pile up. So a block that ends while another
# is still inside makes the middle collection CPython would have made, once the objects
# allocated since the last collection reach STARVED_ALLOCATIONS (a few hundred young
# collections' worth: never while the collector runs, which collects every 700); each
# counts towards the next full collection, made between requests when the heap is frozen
# (``full_collection_when_due``), else here.
_paused = 0
STARVED_ALLOCATIONS = 100_000


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the block runs, if it was running."""
    global _paused
    with _lock:
        if _paused == 0 and not gc.isenabled():
            owner = False  # someone else turned it off: leave it so
        else:
            owner = True
            _paused += 1
            gc.disable()
    try:
        yield
    finally:
        if owner:
            with _lock:
                _paused -= 1
                starved = _paused > 0
                if not starved:
                    gc.enable()
            if starved:  # outside the lock: a collection may run finalizers that pause it too
                _catch_up()


def _catch_up() -> None:
    """The collections CPython would have made while overlapping pauses kept it off."""
    if gc.get_count()[0] < STARVED_ALLOCATIONS:
        return
    gc.collect(1)
    if not _frozen and gc.get_count()[2] >= FULL_COLLECTION_AFTER:
        gc.collect()
