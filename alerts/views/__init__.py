"""Pages of the alerts app: alerts and their actions under /alerts/, assignments under
/assignments/, handovers under /handoffs/ and the user's notifications under
/notifications/ (each mounted by config/urls.py under its own namespace).

- ``lists``: the alert list, one alert's page, the assignments list;
- ``page``: what the alert page shows a user, and the submit loop of its actions;
- ``actions``: the coordinators' and the assigned organisations' actions, and notes;
- ``handoffs``: a handover proposal and its answer;
- ``notifications``: the user's notifications and the way into each one's alert.
"""

from __future__ import annotations

from alerts.views.actions import (
    alert_assign,
    alert_dismiss,
    alert_note,
    alert_resolve,
    alert_verify,
    assignment_acknowledge,
    assignment_complete,
    assignment_decline,
    assignment_hand_off,
    assignment_move,
    assignment_start,
)
from alerts.views.handoffs import handoff_accept, handoff_decline, handoff_detail
from alerts.views.lists import alert_detail, alert_list, assignment_list
from alerts.views.notifications import notification_alert, notification_list, notification_read

__all__ = [
    "alert_assign",
    "alert_detail",
    "alert_dismiss",
    "alert_list",
    "alert_note",
    "alert_resolve",
    "alert_verify",
    "assignment_acknowledge",
    "assignment_complete",
    "assignment_decline",
    "assignment_hand_off",
    "assignment_list",
    "assignment_move",
    "assignment_start",
    "handoff_accept",
    "handoff_decline",
    "handoff_detail",
    "notification_alert",
    "notification_list",
    "notification_read",
]
