"""Surges and silence kept in the cache for a short while (docs/learning.md, "Kept in the
cache").

Counting them reads every rollup row of the communities drawn and the readings of the
split edge days (``learning.windows``): on a country's heatmap of two thousand
communities, two thirds of the page's database time, on every page and every reload,
for a signal of a week against eight. So what the counts of a set of communities flag (its
surges, its stale communities: ids and numbers, no name) is kept for
EWERS_SURGE_CACHE_SECONDS (0: never kept), under a key made of:

- the rollups' version (``indicators.services.rollups.rollups_version``): a report
  written, a verification changed or a rebuild makes every kept count out of date at once,
  so a new report's surge shows on the next page;
- the communities themselves, read from the user's share on every request: a share that
  changed never gets counts of communities outside it;
- the settings the counts depend on.

Only the passing of time is not in the key: counts kept at one moment serve for at most
EWERS_SURGE_CACHE_SECONDS after it (their windows end that much earlier). While the cache
cannot be reached, every call counts afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from ewers.models import Region
from indicators.services.rollups import rollups_version

T = TypeVar("T")
KEY = "ewers:spans:{kind}:{version}:{digest}"


def spans_cached(kind: str, communities: QuerySet[Region], parameters: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` (what the counts of ``communities`` as of now flag, with
    ``parameters``), or what it answered for the same communities and parameters under the current rollups' version at
    most EWERS_SURGE_CACHE_SECONDS ago."""
    seconds = settings.EWERS_SURGE_CACHE_SECONDS
    version = rollups_version() if seconds > 0 else None
    if version is None:
        return compute()
    ids = sorted(communities.order_by().values_list("pk", flat=True))
    digest = hashlib.sha256(repr((parameters, ids)).encode()).hexdigest()
    key = KEY.format(kind=kind, version=version, digest=digest)
    now = timezone.now().timestamp()
    kept: Any = cache.get(key)
    if isinstance(kept, tuple) and len(kept) == 2 and 0 <= now - kept[0] <= seconds:
        value: T = kept[1]
        return value
    value = compute()
    cache.set(key, (now, value), seconds)
    return value
