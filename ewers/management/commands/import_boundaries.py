"""Load regions, districts or communities of one country from a GeoJSON FeatureCollection
(docs/boundaries.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ewers.boundaries import BoundaryImportError, boundaries_import, import_summary
from ewers.boundary_plan import PARENT_MATCHES
from ewers.choices import RegionLevel


class Command(BaseCommand):
    # A plain string: BaseCommand.help is typed str, and manage.py help runs untranslated.
    help = (
        "Create or update the places of one level of one country from a GeoJSON FeatureCollection. The whole "
        "file is checked first; any problem is listed and nothing is written. Places of other countries are "
        "never touched; moves within the country are listed and written only with --allow-moves."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help=_("The GeoJSON file."))
        parser.add_argument("--level", required=True, choices=RegionLevel.values, help=_("The level of every feature."))
        parser.add_argument("--code-property", required=True, help=_("The property that holds each place's code."))
        parser.add_argument("--name-property", required=True, help=_("The property that holds each place's name."))
        parser.add_argument(
            "--parent-property",
            help=_("The property that holds the parent one level up: its code, or its name with --parent-match name."),
        )
        parser.add_argument(
            "--country",
            metavar="CODE",
            help=_("The country the file belongs to (by default, the country of the file's parents)."),
        )
        parser.add_argument(
            "--parent-match", choices=PARENT_MATCHES, default="code", help=_("Match parents by code or by name.")
        )
        parser.add_argument("--allow-moves", action="store_true", help=_("Write places that move to another parent."))
        parser.add_argument(
            "--lenient", action="store_true", help=_("Only warn about places mostly outside their parent.")
        )
        parser.add_argument(
            "--dissolve-parents",
            action="store_true",
            help=_("Districts only: build each region from the union of the districts that name its code."),
        )
        parser.add_argument(
            "--parent-name-property", help=_("With --dissolve-parents: the property that holds the region's name.")
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
                country=options["country"],
                parent_match=options["parent_match"],
                parent_name_property=options["parent_name_property"],
                dissolve_parents=options["dissolve_parents"],
                lenient=options["lenient"],
                allow_moves=options["allow_moves"],
                file_name=options["file"].name,
            )
        except BoundaryImportError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(_("%(file)s was not imported.") % {"file": options["file"]}) from None
        lines = import_summary(result, options["level"])
        if result.dry_run:
            self.stdout.write(_("Dry run, nothing written: %(summary)s") % {"summary": lines[0]})
            if result.moves:
                self.stdout.write(_("A real run needs --allow-moves for the moves below."))
        else:
            self.stdout.write(self.style.SUCCESS(lines[0]))
            if result.record_id is not None:
                self.stdout.write(
                    _("Recorded as import %(id)d; undo it with: manage.py undo_boundary_import %(id)d")
                    % {"id": result.record_id}
                )
        for line in lines[1:]:
            self.stdout.write(line)
