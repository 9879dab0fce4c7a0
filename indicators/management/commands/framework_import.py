"""Create or update themes and indicators from an indicator framework in JSON (docs/frameworks.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from indicators.frameworks import STARTER_FRAMEWORK, FrameworkError
from indicators.services import FrameworkImportResult, framework_import


def framework_path(value: str) -> Path:
    """``starter`` names the framework shipped with EWERS; anything else is a file."""
    return STARTER_FRAMEWORK if value == "starter" else Path(value)


def framework_summary(result: FrameworkImportResult) -> str:
    return _(
        "%(name)s: themes %(tc)d created, %(tu)d updated, %(tn)d unchanged; "
        "indicators %(ic)d created, %(iu)d updated, %(in)d unchanged."
    ) % {
        "name": result.name,
        "tc": result.themes.created,
        "tu": result.themes.updated,
        "tn": result.themes.unchanged,
        "ic": result.indicators.created,
        "iu": result.indicators.updated,
        "in": result.indicators.unchanged,
    }


class Command(BaseCommand):
    help = (
        "Create or update themes and indicators (by code) from an indicator framework in JSON, or from "
        "EWERS's starter framework ('starter'). The whole file is checked first; any problem is listed "
        "and nothing is written."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help=_("The framework's JSON file, or 'starter'."))
        parser.add_argument("--dry-run", action="store_true", help=_("Check and count; write nothing."))

    def handle(self, *args: Any, **options: Any) -> None:
        path = framework_path(options["file"])
        try:
            result = framework_import(source=path, dry_run=options["dry_run"])
        except FrameworkError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(_("%(file)s was not imported.") % {"file": path}) from None
        if result.dry_run:
            self.stdout.write(_("Dry run, nothing written: %(summary)s") % {"summary": framework_summary(result)})
        else:
            self.stdout.write(self.style.SUCCESS(framework_summary(result)))
