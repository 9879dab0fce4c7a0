"""What the pages compute from the scorer's and the writers' data, kept in the cache for a
short while (docs/learning.md, "Kept in the cache").

On a country's heatmap of two thousand communities, the surges and the silence (every
rollup row of nine weeks and the split edge days' readings, ``learning.windows``) were two
thirds of the page of communities' database time, and the districts' forecasts (every
community's weekly rollup, ``learning.selectors.areas_weekly``) a third of the page of
districts' time: on every page and every reload, for signals that move with new reports
and new scores. So what they find for a set of communities (ids and numbers, no name) is
kept for EWERS_DASHBOARD_CACHE_SECONDS (0: never kept), under a key made of:

- the versions of the data they read (``ewers.versions``): a report written, a
  verification changed, a new score or a rebuild makes every kept result out of date at
  once, so the change shows on the next page;
- the communities themselves, read from the user's share on every request: a share that
  changed never gets results of communities outside it;
- the parameters of the computation (settings, bands, the current week).

The passing of time alone is not in the key: what was kept at one moment serves for at
most EWERS_DASHBOARD_CACHE_SECONDS after it (a clock set back is not trusted). While the
cache cannot be reached, every call computes afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from ewers.models import Region
from ewers.versions import version

T = TypeVar("T")
KEY = "ewers:kept:{kind}:{versions}:{digest}"


def kept(
    kind: str, data: Sequence[str], communities: QuerySet[Region], parameters: Hashable, compute: Callable[[], T]
) -> T:
    """``compute()`` (what is found, as of now, from the ``data`` of ``communities`` with
    ``parameters``), or what it answered for the same communities and parameters under the
    data's current versions at most EWERS_DASHBOARD_CACHE_SECONDS ago."""
    seconds = settings.EWERS_DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    versions = [version(name) for name in data]
    if None in versions:  # the cache is away, or this transaction changed the data
        return compute()
    ids = sorted(communities.order_by().values_list("pk", flat=True))
    digest = hashlib.sha256(repr((parameters, ids)).encode()).hexdigest()
    key = KEY.format(kind=kind, versions=".".join(str(v) for v in versions), digest=digest)
    now = timezone.now().timestamp()
    found: Any = cache.get(key)
    if isinstance(found, tuple) and len(found) == 2 and 0 <= now - found[0] <= seconds:
        value: T = found[1]
        return value
    value = compute()
    cache.set(key, (now, value), seconds)
    return value
