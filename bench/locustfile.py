"""Locust users of the bench's HTTP load test (bench/http.py runs ``locust --headless``
with this file against gunicorn on 127.0.0.1; never imported by the product or the bench
process: locust patches the standard library with gevent).

BENCH_LOCUST_INPUT names a JSON file: {"reports_token", "heatmap_token", "heatmap_url",
"communities": [code], "indicators": [[code, min, max]]}.
"""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import HttpUser, constant, task

with open(os.environ["BENCH_LOCUST_INPUT"], encoding="utf-8") as _file:
    INPUT: dict[str, Any] = json.load(_file)


def report_payload(rng: random.Random) -> dict[str, Any]:
    """A report as the API takes it: 1–4 readings, observed in the last two days."""
    chosen = rng.sample(INPUT["indicators"], rng.randint(1, min(4, len(INPUT["indicators"]))))
    observed = datetime.now(UTC) - timedelta(minutes=rng.uniform(5, 48 * 60))
    return {
        "community": rng.choice(INPUT["communities"]),
        "observed_at": observed.isoformat(),
        "readings": [{"indicator": code, "value": rng.randint(low, high)} for code, low, high in chosen],
        "source_reliability": "B",
        "information_credibility": 2,
        "narrative": "Bench HTTP load test visit.",
    }


class ReportUser(HttpUser):
    """Posts one report per request, as fast as answers come (a closed loop)."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.rng = random.Random()  # noqa: S311 - synthetic reports
        self.client.headers["Authorization"] = f"Token {INPUT['reports_token']}"

    @task
    def post_report(self) -> None:
        self.client.post("/api/v1/reports/", json=report_payload(self.rng), name="POST /api/v1/reports/")


class HeatmapUser(HttpUser):
    """Reads the coordinator's heatmap API, as fast as answers come."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Token {INPUT['heatmap_token']}"

    @task
    def get_heatmap(self) -> None:
        self.client.get(INPUT["heatmap_url"], name="GET /api/v1/heatmap/")
