"""Create a user in an organisation, for operators without the admin site."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ewers.choices import Role
from ewers.models import Organisation, User
from ewers.services import user_upsert


class Command(BaseCommand):
    help = "Create a user: one organisation, one role. The password is read from a prompt or stdin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--organisation", required=True, help="the organisation's code")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input (for scripts)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(username=options["username"]).exists():
            # Changing an existing account (and its privileges) is the admin site's job.
            raise CommandError(f"A user {options['username']!r} exists already; change it in the admin site.")
        organisation = Organisation.objects.filter(code=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with code {options['organisation']!r}.")
        # Never from the command line: it would sit in the shell history and the process list.
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        candidate = User(username=options["username"], email=options["email"])
        try:
            validate_password(password, candidate)
            user, _created = user_upsert(
                username=options["username"],
                organisation=organisation,
                role=options["role"],
                password=password,
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {user.username}: {user.get_role_display()} at {organisation}."))
