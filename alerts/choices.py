"""Choices of the alerts app: alert and assignment states, outcomes, timeline events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ewers.choices import RiskLevel

# Levels at which an alert can stand (a low level never raises one).
ALERT_LEVELS = RiskLevel.at_least(RiskLevel.MODERATE)


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed (false alarm)")


class IncidentOutcome(models.TextChoices):
    """Did violence or a serious incident follow the alert? Calibrates the thresholds."""

    YES = "yes", _("Yes — an incident followed")
    NO = "no", _("No incident followed")
    UNKNOWN = "unknown", _("Unknown")


class AssignmentState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")
    # Withdrawn by a coordinator (or by closing, before any work) — the share ends.
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Moved to another organisation by a coordinator, or handed over with its consent.
    MOVED = "moved", _("Moved")
    # Ended because the alert was resolved or dismissed while it was still being worked.
    CLOSED = "closed", _("Closed with the alert")


# The longest note, outcome or reason an action takes (a page's form and the API alike).
TEXT_MAX_LENGTH = 2000

# States in which an organisation still owes work on an assignment.
ASSIGNMENT_ACTIVE_STATES = [AssignmentState.PENDING, AssignmentState.ACKNOWLEDGED, AssignmentState.IN_PROGRESS]
# States in which the share of work is no longer the organisation's: it left the alert.
ASSIGNMENT_LEFT_STATES = [AssignmentState.WITHDRAWN, AssignmentState.MOVED]


class AlertEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    ESCALATED = "escalated", _("Escalated")
    VERIFIED = "verified", _("Verified")
    ASSIGNED = "assigned", _("Assigned")
    REASSIGNED = "reassigned", _("Reassigned")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    STARTED = "started", _("Work started")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    OVERDUE = "overdue", _("Overdue")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")
    NOTE = "note", _("Note")
    # An assignment ended by the closing of its alert.
    CLOSED = "closed", _("Closed with the alert")
    # The next response tier brought in after a decline or a missed deadline.
    TIER_RAISED = "tier_raised", _("Next tier brought in")
    HANDOFF_PROPOSED = "handoff_proposed", _("Handover proposed")
    HANDOFF_ACCEPTED = "handoff_accepted", _("Handed over")
    HANDOFF_DECLINED = "handoff_declined", _("Handover declined")


class NotificationKind(models.TextChoices):
    """Why a user is told about an alert (in the app, and by e-mail)."""

    ASSIGNED = "assigned", _("Assigned")
    ESCALATED = "escalated", _("Escalated")
    OVERDUE = "overdue", _("Overdue")
    DECLINED = "declined", _("Declined")
    MOVED = "moved", _("Moved")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")
    NOTE = "note", _("Note")
    HANDOFF = "handoff", _("Handover proposed")
    HANDOFF_ANSWERED = "handoff_answered", _("Handover answered")
    # About a monitor, not an alert (learning.checkins): their own organisation first,
    # then the coordinators of their communities.
    CHECK_IN_MISSED = "checkin_missed", _("Check-in missed")
    CHECK_IN_ESCALATED = "checkin_overdue", _("Check-in still missed")


class NoteAudience(models.TextChoices):
    """Who reads a note on an alert; the writer picks it, and it never changes."""

    ORGANISATION = "organisation", _("My organisation")
    ASSIGNED = "assigned", _("All organisations on this alert")
    COORDINATORS = "coordinators", _("Coordinators only")


class HandoffState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    # The alert closed, or the assignment ended, before the recipient answered.
    LAPSED = "lapsed", _("Lapsed")
