"""EWERS: the Django project and its core domain (regions, organisations, users)."""

from ewers.celery import app as celery_app

__all__ = ("celery_app",)
