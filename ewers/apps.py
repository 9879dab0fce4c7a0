from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EwersConfig(AppConfig):
    name = "ewers"
    verbose_name = _("EWERS core")

    def ready(self) -> None:
        # Registers the token schemes with drf-spectacular (the schema names them).
        from ewers.api import schema  # noqa: F401
