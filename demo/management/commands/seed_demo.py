"""Seed the fictional demo deployment (development only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.partners import DEMO_PASSWORD, USERS
from demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create or update the demo deployment: places, indicators, partners, users and 90 days of reports."

    def handle(self, *args: Any, **options: Any) -> None:
        # Demo logins share a published password: never on a production database.
        if not settings.DEBUG:
            raise CommandError("seed_demo refuses to run with DEBUG off: the demo users have a public password.")
        result = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {result.regions} places, {result.indicators} indicators, "
                f"{result.organisations} organisations, {result.users} users, "
                f"{result.reports_created} new reports ({result.reports_total} in all)."
            )
        )
        logins = ", ".join(spec.username for spec in USERS if spec.login)
        self.stdout.write(f"Demo logins: {logins} — password {DEMO_PASSWORD}")
