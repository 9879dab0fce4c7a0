"""The EWERS project: settings, URLs, the Celery app, and the site-wide pages (home, health)."""

from config.celery import app as celery_app

__all__ = ("celery_app",)
