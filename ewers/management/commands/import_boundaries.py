"""Load regions, districts or communities from a GeoJSON FeatureCollection (docs/boundaries.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ewers.boundaries import BoundaryImportError, boundaries_import
from ewers.choices import RegionLevel


class Command(BaseCommand):
    help = (
        "Create or update the places of one level from a GeoJSON FeatureCollection. The whole file is "
        "checked first; any problem is listed and nothing is written."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="The GeoJSON file.")
        parser.add_argument("--level", required=True, choices=RegionLevel.values, help="The level of every feature.")
        parser.add_argument("--code-property", required=True, help="The property that holds each place's code.")
        parser.add_argument("--name-property", required=True, help="The property that holds each place's name.")
        parser.add_argument(
            "--parent-property",
            help="The property that holds the code of the parent, one level up (required below country).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file and count; write nothing.")
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Mend invalid polygons (rings crossing themselves) instead of refusing the file.",
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
            raise CommandError(f"{options['file']} was not imported.") from None
        level = options["level"]
        summary = f"{level}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged."
        if result.repaired:
            summary += f" {result.repaired} invalid geometries repaired."
        if result.dry_run:
            self.stdout.write(f"Dry run, nothing written: {summary}")
        else:
            self.stdout.write(self.style.SUCCESS(summary))
