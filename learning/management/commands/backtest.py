"""``manage.py backtest --from DATE --to DATE [--bands B --alert-level L --weights FILE]``:
replay the stored readings with other settings, beside the live ones, and print how many
alerts would have opened and how good they were against the incident register. Reads
only: nothing in the database changes (docs/learning.md, "Backtests")."""

from __future__ import annotations

import csv
import json
import math
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from ewers.choices import RiskLevel
from learning.backtest_service import Backtest, Outcome, Trial, backtest_run
from learning.quality import Quality

ALERT_LEVELS = (RiskLevel.MODERATE, RiskLevel.HIGH, RiskLevel.CRITICAL)


def bands_parse(text: str) -> tuple[float, float, float]:
    """Three rising scores, "30,55,80", given as such or in a file."""
    path = Path(text)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    try:
        values = tuple(float(v) for v in text.replace(";", ",").split(",") if v.strip())
    except ValueError as error:
        raise CommandError(f"--bands: three numbers are expected, e.g. 30,55,80 ({error})") from error
    if len(values) != 3:
        raise CommandError("--bands: three numbers are expected, e.g. 30,55,80")
    return (values[0], values[1], values[2])


def weights_parse(name: str) -> dict[str, float]:
    """Weights by indicator code, from a JSON object ({"P01": 2.0}) or a CSV file
    (``code,weight`` rows; a header row is skipped)."""
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"--weights: no file {name}")
    weights = _weights_read(path)
    bad = sorted(code for code, weight in weights.items() if not (math.isfinite(weight) and weight > 0))
    if bad:
        raise CommandError(f"--weights: a weight is a number above 0 ({', '.join(bad)})")
    return weights


def _weights_read(path: Path) -> dict[str, float]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise CommandError('--weights: a JSON object is expected, e.g. {"P01": 2.0}')
            return {str(code): float(weight) for code, weight in raw.items()}
        weights: dict[str, float] = {}
        for n, row in enumerate(csv.reader(text.splitlines())):
            if not row or (n == 0 and row[0].strip().lower() == "code"):
                continue
            if len(row) < 2:
                raise CommandError(f"--weights: line {n + 1} is not code,weight")
            weights[row[0].strip()] = float(row[1])
        return weights
    except (ValueError, TypeError) as error:
        raise CommandError(f"--weights: a weight is not a number ({error})") from error


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"{option}: a date is expected, e.g. 2026-03-01") from error


def _share(part: int, whole: int) -> str:
    return "–" if whole == 0 else f"{part} of {whole} ({100 * part / whole:.0f}%)"


def _lead(quality: Quality) -> str:
    days = quality.median_lead_days
    return "–" if days is None else f"{days} days"


def _describe(outcome: Outcome) -> str:
    bands = ",".join(f"{b:g}" for b in outcome.settings.scoring.bands)
    return f"bands {bands}, alerts from {outcome.settings.alert_from}"


class Command(BaseCommand):
    help = (
        "Replay the stored readings of a period with other bands, alerting level or indicator "
        "weights, beside the live settings: alerts that would have opened, their precision, "
        "recall and median lead time against the incident register. Changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="since", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="until", required=True, help="last day, YYYY-MM-DD (included)")
        parser.add_argument("--bands", help="lowest scores of moderate, high, critical: 30,55,80 or a file")
        parser.add_argument("--alert-level", choices=ALERT_LEVELS, help="the lowest level that raises an alert")
        parser.add_argument("--weights", help="a JSON ({code: weight}) or CSV (code,weight) file")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = _day(options["since"], "--from"), _day(options["until"], "--to")
        if last < first:
            raise CommandError("--to is before --from")
        since = timezone.make_aware(datetime.combine(first, time.min))
        until = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min)) - timedelta(microseconds=1)
        trial = Trial(
            bands=bands_parse(options["bands"]) if options["bands"] else None,
            alert_level=options["alert_level"],
            weights=weights_parse(options["weights"]) if options["weights"] else None,
        )
        try:
            # One snapshot of the data, and a guard: a backtest never writes.
            with transaction.atomic():
                result = backtest_run(since=since, until=until, trial=trial, now=timezone.now())
                transaction.set_rollback(True)
        except KeyError as error:
            raise CommandError(f"--weights: no indicator with the code {error.args[0]}") from error
        except ValueError as error:
            raise CommandError(f"--bands: {error}") from error
        self._print(result)

    def _print(self, result: Backtest) -> None:
        live, trial = result.live, result.trial
        self.stdout.write(
            f"Backtest {result.since:%Y-%m-%d} to {result.until:%Y-%m-%d}: {live.replay.moments} assessments "
            f"replayed, {result.live_alerts} alerts really opened, {result.incidents} incidents in the register."
        )
        rows = [
            ("", "live settings", "trial settings"),
            ("settings", _describe(live), _describe(trial)),
            ("alerts opened", str(len(live.replay.alerts)), str(len(trial.replay.alerts))),
            ("held back by a cooldown", str(live.replay.suppressed), str(trial.replay.suppressed)),
            (
                "precision (followed)",
                _share(live.quality.followed, live.quality.alerts),
                _share(trial.quality.followed, trial.quality.alerts),
            ),
            ("pending (window open)", str(live.quality.pending), str(trial.quality.pending)),
            (
                "recall (incidents warned of)",
                _share(live.quality.preceded, live.quality.incidents),
                _share(trial.quality.preceded, trial.quality.incidents),
            ),
            ("median lead time", _lead(live.quality), _lead(trial.quality)),
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        self.stdout.write("Nothing in the database changed.")
