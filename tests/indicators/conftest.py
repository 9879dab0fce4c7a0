"""Field reports as people send them: a CSV file for the import, the report form's fields."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

HEADER = "community,observed_at,source_reliability,information_credibility,narrative,source_reference,reference,P01"


def when(hours: int = 2) -> str:
    return (timezone.now() - timedelta(hours=hours)).isoformat(timespec="seconds")


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def local_input(moment: Any) -> str:
    """A time as a datetime-local input sends it: site time zone, no offset."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def form_data(cast, **overrides: Any) -> dict[str, Any]:
    data = {
        "community": cast.places["c1"].code,
        "observed_at": local_input(timezone.now() - timedelta(hours=1)),
        "reading_P01": "3",
        "source_reliability": "B",
        "information_credibility": "2",
        "narrative": "Leaflets at the market calling for a boycott.",
        "source_reference": "",
        "idempotency_key": "0b0c5f1e-2d4e-4a7e-9c55-0d6b1f7a9e01",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
