"""Compile the catalogues under locale/ into .mo files with polib: no GNU gettext needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files (make setup runs it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stale", action="store_true", help="only catalogues whose .mo is missing or older")

    def handle(self, *args: Any, **options: Any) -> None:
        from ewers.catalogues import catalogues_compile

        for locale_dir in settings.LOCALE_PATHS:
            for mo in catalogues_compile(Path(locale_dir), only_stale=options["stale"]):
                self.stdout.write(f"compiled {mo}")
