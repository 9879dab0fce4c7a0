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
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.signals import request_finished

FREEZE_UID = "ewers_heap_freeze"
_lock = threading.Lock()
_frozen = False


def heap_freeze(**kwargs: Any) -> None:
    """Once per process (``request_finished``): collect what is garbage now, then freeze
    every object left, and stop listening."""
    global _frozen
    with _lock:
        if _frozen:
            return
        _frozen = True
    request_finished.disconnect(dispatch_uid=FREEZE_UID)
    gc.collect()
    gc.freeze()


def heap_freeze_after_first_request() -> None:
    """Freeze the heap when this process's first request is finished (``EWERS_GC_FREEZE``)."""
    if not _frozen:
        request_finished.connect(heap_freeze, dispatch_uid=FREEZE_UID, weak=False)


# The requests that build a batch's or an import's rows (thousands of small dicts, lists
# and model instances, none in a cycle) set off young-generation collections every 700
# allocations, each walking every object still young: about a tenth of an import's CPU.
# Reference counting frees those rows as before; the cyclic collector resumes at the end
# (and then finds any cycle made meanwhile). Several threads may pause it at once: the
# collector runs again once none of them is inside.
_paused = 0


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
                if _paused == 0:
                    gc.enable()
