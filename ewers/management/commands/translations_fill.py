"""Fill a catalogue from a translator's JSON files (README "Languages")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ewers.catalogues import catalogue_compile, catalogue_fill, catalogue_to_translate


class Command(BaseCommand):
    help = (
        'Copy translations from JSON files (lists of {"msgid", "msgctxt"?, "msgstr" or "msgstr_plural"}) '
        "into locale/<language>/LC_MESSAGES/django.po, matched by msgid and context, then compile it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="JSON files, applied in order")
        parser.add_argument("--language", default="ms")
        parser.add_argument("--domain", default="django")
        parser.add_argument("--overwrite", action="store_true", help="replace translations already in the catalogue")

    def handle(self, *args: Any, **options: Any) -> None:
        po = Path(settings.LOCALE_PATHS[0]) / options["language"] / "LC_MESSAGES" / f"{options['domain']}.po"
        if not po.exists():
            raise CommandError(f"No catalogue {po}: run makemessages -l {options['language']} first.")
        missing = [str(f) for f in options["files"] if not f.exists()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        result = catalogue_fill(po, sorted(options["files"]), overwrite=options["overwrite"])
        catalogue_compile(po)
        left = len(catalogue_to_translate(po))
        self.stdout.write(
            f"{po}: {result.filled} filled, {result.unknown} not in the catalogue, "
            f"{result.skipped_empty} empty; {left} still to translate"
        )
