"""Writes of the alerts app: raising, escalating, routing and closing alerts, and the
response workflow of their assignments.

An alert is decided by the pure rule ``alerts.rules.alert_decide`` from each new risk
assessment and routed by the pure ``alerts.routing.route``; both run inside the scoring
transaction, so an alert and its assignments commit together. Every change adds an
``AlertEvent`` (the timeline) and an audit row; notifications are rows written in the
same transaction, and their e-mails are queued once it commits (the overdue sweep sends
any a broker outage left behind).

- ``alerts``: consider (open / escalate / hold back), verify, resolve, dismiss;
- ``assignments``: add and move (coordinators), acknowledge / start / complete / decline
  (responders), the overdue sweep; a decline or a missed deadline brings the next tier in;
- ``handoffs``: an organisation hands follow-up over to another, which accepts or declines;
- ``notes``: notes on an alert for an audience;
- ``routing``: the facts for the pure routing rule and the assignments it decides;
- ``notifications``: in-app rows and their e-mails;
- ``timeline``: the alert's events and the audit rows.

Who may do what is ``alerts.permissions`` (read-only predicates); the services check it
again, so a page or an endpoint that forgot cannot act on someone else's behalf.
"""

from __future__ import annotations

from alerts.services.alerts import (
    alert_consider,
    alert_dismiss,
    alert_explanation,
    alert_require_open,
    alert_resolve,
    alert_verify,
    score_note_shown,
)
from alerts.services.assignments import (
    alert_assign,
    assignment_acknowledge,
    assignment_complete,
    assignment_decline,
    assignment_move,
    assignment_start,
    assignments_mark_overdue,
)
from alerts.services.handoffs import assignment_hand_off, handoff_accept, handoff_decline
from alerts.services.notes import alert_note_add
from alerts.services.notifications import notification_mark_read, notifications_email
from alerts.services.routing import alert_route, alert_theme_shares, alert_tier_raise

__all__ = [
    "alert_assign",
    "alert_consider",
    "alert_dismiss",
    "alert_explanation",
    "alert_note_add",
    "alert_require_open",
    "alert_resolve",
    "alert_route",
    "alert_theme_shares",
    "alert_tier_raise",
    "alert_verify",
    "assignment_acknowledge",
    "assignment_complete",
    "assignment_decline",
    "assignment_hand_off",
    "assignment_move",
    "assignment_start",
    "assignments_mark_overdue",
    "handoff_accept",
    "handoff_decline",
    "notification_mark_read",
    "notifications_email",
    "score_note_shown",
]
