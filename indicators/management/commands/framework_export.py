"""Write the database's themes and indicators as an indicator framework in JSON (docs/frameworks.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from indicators.frameworks import framework_dumps
from indicators.services import framework_export


class Command(BaseCommand):
    help = (
        "Write every theme and indicator as an indicator framework in JSON (to standard output, or to "
        "--output), for a partner to adapt and import with framework_import."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", type=Path, help=_("The file to write (standard output if not given)."))
        parser.add_argument("--name", default="", help=_("The framework's name."))
        parser.add_argument("--name-ms", default="", help=_("The framework's name in Malay."))

    def handle(self, *args: Any, **options: Any) -> None:
        text = framework_dumps(framework_export(name=options["name"], name_ms=options["name_ms"]))
        if options["output"] is None:
            self.stdout.write(text, ending="")
            return
        try:
            options["output"].write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s.") % {"path": options["output"], "error": exc.strerror or exc}
            ) from None
        self.stdout.write(self.style.SUCCESS(_("Written to %(path)s.") % {"path": options["output"]}))
