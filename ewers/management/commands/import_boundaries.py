"""Load regions, districts or communities from a GeoJSON FeatureCollection (docs/boundaries.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ewers.boundaries import BoundaryImportError, boundaries_import
from ewers.choices import RegionLevel


class Command(BaseCommand):
    # A plain string: BaseCommand.help is typed str, and manage.py help runs untranslated.
    help = (
        "Create or update the places of one level from a GeoJSON FeatureCollection. The whole file is "
        "checked first; any problem is listed and nothing is written."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help=_("The GeoJSON file."))
        parser.add_argument("--level", required=True, choices=RegionLevel.values, help=_("The level of every feature."))
        parser.add_argument("--code-property", required=True, help=_("The property that holds each place's code."))
        parser.add_argument("--name-property", required=True, help=_("The property that holds each place's name."))
        parser.add_argument(
            "--parent-property",
            help=_("The property that holds the code of the parent, one level up (required below country)."),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("Check the file and count; write nothing."))
        parser.add_argument(
            "--repair",
            action="store_true",
            help=_("Mend invalid polygons (rings crossing themselves) instead of refusing the file."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = boundaries_import(
                source=options["file"],
                level=options["level"],
                code_property=options["code_property"],
                name_property=options["name_property"],
                parent_property=options["parent_property"],
                dry_run=options["dry_run"],
                repair=options["repair"],
            )
        except BoundaryImportError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(_("%(file)s was not imported.") % {"file": options["file"]}) from None
        summary = _("%(level)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
            "level": options["level"],
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        if result.repaired:
            summary += " " + _("%(count)d invalid geometries repaired.") % {"count": result.repaired}
        if result.dry_run:
            self.stdout.write(_("Dry run, nothing written: %(summary)s") % {"summary": summary})
        else:
            self.stdout.write(self.style.SUCCESS(summary))
