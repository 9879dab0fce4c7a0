"""Waiting, bounded, for what a real worker does (the integration tests)."""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT_SECONDS = 30


def wait_for(condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> bool:
    """Poll for an effect of the worker in the database, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
