"""Undo a boundary import: delete the places it created, put back what it changed."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ewers.models import BoundaryImport
from ewers.services import boundary_import_undo


class Command(BaseCommand):
    help = (
        "Undo a recorded boundary import (its id: import_boundaries prints it; the admin lists them). "
        "Refused once a report or another case has been logged on a place it created."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("id", type=int, help=_("The import's id."))

    def handle(self, *args: Any, **options: Any) -> None:
        record = BoundaryImport.objects.filter(pk=options["id"]).first()
        if record is None:
            raise CommandError(_("No boundary import has the id %(id)d.") % {"id": options["id"]})
        try:
            boundary_import_undo(record=record)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Import %(id)d undone: %(count)d places deleted, %(changed)d put back.")
                % {"id": record.pk, "count": len(record.created_ids), "changed": len(record.previous)}
            )
        )
