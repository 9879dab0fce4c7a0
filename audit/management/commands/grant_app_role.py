"""``manage.py grant_app_role NAME``: create or update the PostgreSQL role the application
runs as (audit.roles); run as the tables' owner after ``migrate``. Safe to run again."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from audit.roles import app_role_statements


class Command(BaseCommand):
    help = (
        "Create or update the database role the application connects as: every table to read "
        "and write, except the audit trail (SELECT and INSERT only). Run as the owner, after migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role's name, e.g. ewers_app")
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="set the role's password from this environment variable (never on the command line)",
        )
        parser.add_argument("--sql", action="store_true", help="print the statements instead of running them")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter; this database is " + connection.vendor + ".")
        role: str = options["role"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            if role == owner:
                raise CommandError("The application's role must not be the owner that runs the migrations.")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            exists = cursor.fetchone() is not None
        statements = app_role_statements(role=role, database=database, exists=exists, quote=connection.ops.quote_name)
        password = None
        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(f"The variable {options['password_env']} is empty or not set.")
        if options["sql"]:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            if password is not None:
                cursor.execute(f"ALTER ROLE {connection.ops.quote_name(role)} PASSWORD %s", [password])
        self.stdout.write(
            self.style.SUCCESS(f"Role {role} may use {database}; the audit trail only to read and append.")
        )
