"""The Celery application: configured from Django settings under the ``CELERY_`` prefix."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ewers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def connections_renew(sender: Any = None, **kwargs: Any) -> None:
    """Before and after each task a worker runs: Django's database connections closed when
    they outlived ``CONN_MAX_AGE`` or failed, as Django does around each request; kept
    otherwise (``CELERY_DB_REUSE_MAX`` stops Celery closing them itself). Not for a task
    run in-process (eager): it runs inside its caller's request and transaction."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


task_prerun.connect(connections_renew, weak=False, dispatch_uid="ewers_connections_renew_prerun")
task_postrun.connect(connections_renew, weak=False, dispatch_uid="ewers_connections_renew_postrun")


def worker_warm(**kwargs: Any) -> None:
    """In the worker's main process, before it starts its pool: the URL configuration
    imported and its reverse lookups built for every language, which each pool process
    would otherwise pay on its first notification (~0.25 s in a fresh process, on the
    first alert after a start); forked processes inherit them."""
    from django.apps import apps

    if not apps.ready:  # Celery's Django fixup sets Django up first; nothing to warm without it
        return
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 - built on first access, per language


worker_init.connect(worker_warm, weak=False, dispatch_uid="ewers_worker_warm")
