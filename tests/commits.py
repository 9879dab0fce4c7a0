"""What a transaction leaves for its commit, told apart in the tests that count it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ewers.versions import RISK, ROLLUPS, renewer


def tasks_queued(callbacks: Sequence[Callable[[], Any]]) -> list[Callable[[], Any]]:
    """The commit's callbacks but the renewals of the data versions (``ewers.versions``):
    what it queues (a scoring task, say)."""
    renewals = (renewer(ROLLUPS), renewer(RISK))
    return [c for c in callbacks if c not in renewals]
