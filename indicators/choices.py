"""Choices of the indicators app: indicator kinds, source grading, report states."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    STRUCTURAL = "structural", _("Structural (slow background conditions)")
    PROXIMATE = "proximate", _("Proximate (visible escalation)")
    TRIGGER = "trigger", _("Trigger (an imminent event)")


class Polarity(models.TextChoices):
    RISK = "risk", _("Risk (raises the score)")
    RESILIENCE = "resilience", _("Resilience (lowers the score)")


class SourceReliability(models.TextChoices):
    """NATO/Admiralty grading of the source."""

    A = "A", _("A — Completely reliable")
    B = "B", _("B — Usually reliable")
    C = "C", _("C — Fairly reliable")
    D = "D", _("D — Not usually reliable")
    E = "E", _("E — Unreliable")
    F = "F", _("F — Reliability cannot be judged")


class InformationCredibility(models.IntegerChoices):
    """NATO/Admiralty grading of the information itself."""

    CONFIRMED = 1, _("1 — Confirmed by other sources")
    PROBABLY_TRUE = 2, _("2 — Probably true")
    POSSIBLY_TRUE = 3, _("3 — Possibly true")
    DOUBTFUL = 4, _("4 — Doubtful")
    IMPROBABLE = 5, _("5 — Improbable")
    CANNOT_JUDGE = 6, _("6 — Truth cannot be judged")


class Verification(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    VERIFIED = "verified", _("Verified")
    DISPUTED = "disputed", _("Disputed")


class ReportStatus(models.TextChoices):
    """Processing status: ``received`` until the scoring worker has taken it into account."""

    RECEIVED = "received", _("Received")
    SCORED = "scored", _("Scored")


class AssessmentCause(models.TextChoices):
    """Why a community was (re-)assessed."""

    REPORT = "report", _("A new report")
    VERIFICATION = "verification", _("A report verified or disputed")
    INDICATOR = "indicator", _("An indicator's settings changed")
    DECAY = "decay", _("Daily re-assessment (signals fade)")
    SEED = "seed", _("Demo data")
