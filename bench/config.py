"""How much the bench seeds and measures: BENCH_SCALE times the defaults, each size
overridable on its own (BENCH_COMMUNITIES, BENCH_READINGS, ...). Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

# At scale 1 the pipeline part takes about two minutes on two cores, the dashboard part three to four.
DEFAULTS: Mapping[str, int] = {
    "communities": 300,  # bench communities beside the demo's 60
    "readings": 50_000,  # historical readings over the scoring window
    "single": 300,  # reports posted one per request
    "batch": 2_000,  # reports posted 100 per request
    "alerts": 40,  # commit → alert samples, idle and under load (and as many baseline pings each)
    # The dashboard's own country, its readings (4 per report) and a small one for query counts.
    "dashboard_communities": 2_000,
    "dashboard_readings": 1_000_000,
    "dashboard_small": 200,
    "dashboard_requests": 20,  # timed requests per page or API call (after 2 warm-ups)
}
MINIMUMS: Mapping[str, int] = {
    "communities": 20,
    "readings": 0,
    "single": 10,
    "batch": 100,
    "alerts": 5,
    "dashboard_communities": 20,
    "dashboard_readings": 0,
    "dashboard_small": 10,
    "dashboard_requests": 5,
}
BATCH_SIZE = 100  # reports per batch request (the API's limit)


class ConfigError(ValueError):
    """A BENCH_* variable is malformed."""


class BenchError(Exception):
    """A step of the bench failed; the message says which and why."""


@dataclass(frozen=True)
class Sizes:
    scale: float
    communities: int
    readings: int
    single: int
    batch: int
    alerts: int
    dashboard_communities: int
    dashboard_readings: int
    dashboard_small: int
    dashboard_requests: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Sizes:
        raw_scale = environ.get("BENCH_SCALE", "1").strip() or "1"
        try:
            scale = float(raw_scale)
        except ValueError:
            raise ConfigError(f"BENCH_SCALE must be a number, got {raw_scale!r}.") from None
        if not (math.isfinite(scale) and scale > 0):
            raise ConfigError(f"BENCH_SCALE must be above 0, got {raw_scale!r}.")
        values: dict[str, int] = {}
        for name, default in DEFAULTS.items():
            variable = f"BENCH_{name.upper()}"
            raw = environ.get(variable, "").strip()
            try:
                wanted = int(raw) if raw else round(default * scale)
            except ValueError:
                raise ConfigError(f"{variable} must be a whole number, got {raw!r}.") from None
            values[name] = max(MINIMUMS[name], wanted)
        # The alert samples (idle, then while reports keep arriving) need communities of
        # their own beside the ingest and scoring ones.
        values["communities"] = max(values["communities"], 2 * values["alerts"] + MINIMUMS["communities"])
        return cls(scale=scale, **values)

    def describe(self) -> str:
        return ", ".join(f"{f.name}={getattr(self, f.name):g}" for f in fields(self))
