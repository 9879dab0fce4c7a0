"""The Celery app (config/celery.py): the beat schedule names tasks it registers."""

from __future__ import annotations


def test_the_beat_schedule_names_registered_tasks(settings):
    from config.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
