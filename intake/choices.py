"""Choices of the intake app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TriageState(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted as a report")
    DISCARDED = "discarded", _("Discarded")


class ReplyLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    MALAY = "ms", _("Malay")
