"""``manage.py audit_verify``: recompute the audit trail's hash chain; exit 1 at a break that
no sealed gap of retention bridges."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and name the first row that breaks it."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if not report.intact:
            raise CommandError(
                f"The audit trail is broken at row {report.broken_id}: {report.reason}. "
                f"{report.checked - 1} rows before it are intact."
            )
        removed = ""
        if report.removed:
            removed = f" Retention removed {report.removed} refused-access rows; each gap they left is sealed."
        self.stdout.write(self.style.SUCCESS(f"The audit trail is intact: {report.checked} rows chained.{removed}"))
