"""``manage.py retention [--dry-run]``: apply the retention policy now, or print what would go."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from retention.policy import KINDS
from retention.services import retention_due, retention_policy, retention_purge


class Command(BaseCommand):
    help = (
        "Remove what the retention policy no longer keeps (narratives, source references, "
        "notifications, refused-access audit rows); --dry-run prints what would go and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="print what would go; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        policy = retention_policy()
        now = timezone.now()
        for kind in KINDS:
            days = policy.days(kind)
            kept = f"kept {days} days" if days else "kept for ever"
            self.stdout.write(f"policy: {kind} {kept}")
        if options["dry_run"]:
            with transaction.atomic():
                counts = retention_due(now=now, policy=policy).counts()
            for kind in KINDS:
                self.stdout.write(f"would go: {kind} {counts[kind]}")
            self.stdout.write(f"Dry run: nothing changed (at most {policy.batch} of each kind per run).")
            return
        run = retention_purge(now=now, policy=policy)
        for kind in KINDS:
            self.stdout.write(f"removed: {kind} {getattr(run, kind)}")
        self.stdout.write(self.style.SUCCESS(f"Retention run {run.pk} done: {run.total} removed."))
