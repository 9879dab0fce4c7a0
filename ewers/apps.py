from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from ewers.runtime import heap_freeze_after_first_request


def administrators_refresh(**kwargs: Any) -> None:
    """After migrate, an existing Administrators group gets the permissions a new release
    gives administrators (deleting places without cases, the record of boundary imports)."""
    from django.contrib.auth.models import Group

    from ewers.services.accounts import ADMINISTRATORS_GROUP, administrators_group_ensure

    if Group.objects.filter(name=ADMINISTRATORS_GROUP).exists():
        administrators_group_ensure()


class EwersConfig(AppConfig):
    name = "ewers"
    verbose_name = _("EWERS core")

    def ready(self) -> None:
        # Registers the token schemes with drf-spectacular (the schema names them).
        from ewers.api import schema  # noqa: F401

        post_migrate.connect(administrators_refresh, sender=self, dispatch_uid="ewers_administrators_refresh")
        if settings.EWERS_GC_FREEZE:
            heap_freeze_after_first_request()
