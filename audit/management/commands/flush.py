"""``manage.py flush`` that may empty the audit trail too (see ``audit.seal``).

Flushing removes every row of every table at once (a reset, or the test runner between
transactional tests); it is not a way to edit the trail, which triggers still guard
against row by row UPDATE and DELETE.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand

from audit.seal import purging


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with purging():
            super().handle(**options)
