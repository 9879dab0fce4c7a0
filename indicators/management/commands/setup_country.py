"""Set up a deployment from an empty database: a country, its places, an indicator
framework, organisations and users (README, "Starting a real deployment")."""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from ewers.boundaries import BoundaryImportError, BoundarySource, boundaries_import
from ewers.choices import RegionLevel
from ewers.models import Region, User
from ewers.services import DirectoryImportError, directory_import, region_upsert
from indicators.frameworks import FrameworkError
from indicators.management.commands.framework_import import framework_path, framework_summary
from indicators.services import framework_import

LEVEL_FILES = (
    ("regions", RegionLevel.REGION),
    ("districts", RegionLevel.DISTRICT),
    ("communities", RegionLevel.COMMUNITY),
)


class _Rollback(Exception):
    pass


def _regions_source(path: Path, *, parent_property: str, country_code: str) -> BoundarySource:
    """The regions file with each feature's parent set to the country where the file has none
    (a country's file of states rarely names the country). A file that cannot be read this
    way goes to the import as it is, which names its problem."""
    try:
        if path.stat().st_size > settings.EWERS_BOUNDARY_MAX_BYTES:
            return path
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return path
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        return path
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(properties, dict) and properties.get(parent_property) in (None, ""):
            properties[parent_property] = country_code
    return data  # type: ignore[no-any-return]


class Command(BaseCommand):
    help = (
        "Set up a country from an empty database: the country, its regions, districts and communities from "
        "GeoJSON files (as import_boundaries), an indicator framework (the starter framework by default), and "
        "organisations and users from CSV files. Everything is checked and written in one transaction: any "
        "problem is listed and nothing is written. Safe to run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code", help=_("The country's code, e.g. MY."))
        parser.add_argument("name", help=_("The country's name, e.g. Malaysia."))
        parser.add_argument("--regions", type=Path, help=_("GeoJSON of the regions (states, provinces)."))
        parser.add_argument("--districts", type=Path, help=_("GeoJSON of the districts."))
        parser.add_argument("--communities", type=Path, help=_("GeoJSON of the communities."))
        parser.add_argument("--code-property", default="code", help=_("The property of each place's code."))
        parser.add_argument("--name-property", default="name", help=_("The property of each place's name."))
        parser.add_argument(
            "--parent-property",
            default="parent",
            help=_("The property of the parent's code (regions without it go under the country)."),
        )
        parser.add_argument("--repair", action="store_true", help=_("Mend invalid polygons instead of refusing."))
        parser.add_argument(
            "--allow-moves",
            action="store_true",
            help=_("Write places that move to another parent (as import_boundaries --allow-moves)."),
        )
        parser.add_argument(
            "--framework",
            default="starter",
            help=_("An indicator framework's JSON file, 'starter' (the default) or 'none'."),
        )
        parser.add_argument("--organisations", type=Path, help=_("CSV of the organisations (docs/first-run.md)."))
        parser.add_argument("--users", type=Path, help=_("CSV of the users (docs/first-run.md)."))
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help=_(
                "Staging only: give every new user the password held in this environment variable "
                "(never on the command line). Without it new users set their own."
            ),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("Check and count everything; write nothing."))

    def handle(self, *args: Any, **options: Any) -> None:
        password = None
        if options["password_env"]:
            password = os.environ.get(options["password_env"])
            if not password:
                raise CommandError(
                    _("The environment variable %(name)s is not set or empty.") % {"name": options["password_env"]}
                )
            try:
                validate_password(password)
            except ValidationError as exc:
                # The validators say what is weak about it, never the password itself.
                raise CommandError(
                    _("The password in %(name)s is refused: %(reasons)s")
                    % {"name": options["password_env"], "reasons": " ".join(exc.messages)}
                ) from None
        lines: list[str] = []
        without_password: list[str] = []
        try:
            with transaction.atomic():
                self._country(options, lines)
                self._places(options, lines)
                self._framework(options, lines)
                without_password = self._directory(options, lines, password)
                if options["dry_run"]:
                    raise _Rollback
        except _Rollback:
            pass
        if options["dry_run"]:
            self.stdout.write(_("Dry run, nothing written:"))
        for line in lines:
            self.stdout.write(line)
        if without_password and not options["dry_run"]:
            self.stdout.write(
                _(
                    "%(count)d new users have no password yet: each sets one with “Forgotten your password?” on "
                    "the sign-in page, which e-mails a link to their address (%(names)s)."
                )
                % {"count": len(without_password), "names": ", ".join(without_password)}
            )
            no_address = list(
                User.objects.filter(username__in=without_password, email="").values_list("username", flat=True)
            )
            if no_address:
                self.stdout.write(
                    _("%(names)s have no e-mail address: give them one, or a password, in Administration → Users.")
                    % {"names": ", ".join(sorted(no_address))}
                )
        if not options["dry_run"]:
            self.stdout.write(self.style.SUCCESS(_("%(name)s is set up.") % {"name": options["name"]}))

    def _fail(self, messages: list[str], what: str) -> CommandError:
        for message in messages:
            self.stderr.write(message)
        return CommandError(_("%(what)s was refused; nothing was written.") % {"what": what})

    def _country(self, options: dict[str, Any], lines: list[str]) -> None:
        code, name = options["code"], options["name"]
        # Codes are unique within a country: the country is looked for among countries.
        existing = Region.objects.filter(code=code, country__isnull=True).first()
        if existing is not None and existing.level != RegionLevel.COUNTRY:
            raise self._fail(
                [
                    _("The code %(code)s already belongs to a %(level)s, %(name)s.")
                    % {"code": code, "level": existing.level, "name": existing.name}
                ],
                _("The country"),
            )
        try:
            _region, created = region_upsert(
                code=code, name=name, level=RegionLevel.COUNTRY, boundary=existing.boundary if existing else None
            )
        except ValidationError as exc:
            raise self._fail(list(exc.messages), _("The country")) from None
        lines.append(
            (_("Country %(code)s created.") if created else _("Country %(code)s already there.")) % {"code": code}
        )

    def _places(self, options: dict[str, Any], lines: list[str]) -> None:
        for option, level in LEVEL_FILES:
            path = options[option]
            if path is None:
                continue
            source: BoundarySource = path
            if level == RegionLevel.REGION:
                source = _regions_source(path, parent_property=options["parent_property"], country_code=options["code"])
            try:
                result = boundaries_import(
                    source=source,
                    level=level,
                    code_property=options["code_property"],
                    name_property=options["name_property"],
                    parent_property=options["parent_property"],
                    repair=options["repair"],
                    country=options["code"],
                    allow_moves=options["allow_moves"],
                    file_name=path.name,
                )
            except BoundaryImportError as exc:
                raise self._fail(exc.messages, str(path)) from None
            lines.append(
                _("%(level)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % {"level": level, "created": result.created, "updated": result.updated, "unchanged": result.unchanged}
            )

    def _framework(self, options: dict[str, Any], lines: list[str]) -> None:
        if options["framework"] == "none":
            return
        path = framework_path(options["framework"])
        try:
            result = framework_import(source=path)
        except FrameworkError as exc:
            raise self._fail(exc.messages, str(path)) from None
        lines.append(framework_summary(result))

    def _directory(self, options: dict[str, Any], lines: list[str], password: str | None) -> list[str]:
        if options["organisations"] is None and options["users"] is None:
            return []
        try:
            result = directory_import(organisations=options["organisations"], users=options["users"], password=password)
        except DirectoryImportError as exc:
            raise self._fail(exc.messages, _("The organisations and users")) from None
        lines.append(
            _("Organisations: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {
                "created": result.organisations_created,
                "updated": result.organisations_updated,
                "unchanged": result.organisations_unchanged,
            }
        )
        lines.append(
            _("Users: %(created)d created, %(unchanged)d unchanged.")
            % {"created": result.users_created, "unchanged": result.users_unchanged}
        )
        return result.users_without_password
