"""The alerting layer as indicators asks for it (``indicators.hooks``), registered at start-up.

Scoring hands every new assessment over here (alerts open, escalate or hold back); need-to-
know for responders' reports follows the alerts their organisation holds; the report page
learns whether its community has an open alert.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from alerts.choices import AlertState
from alerts.models import Alert, Assignment
from alerts.selectors import community_alert_open
from alerts.services import alert_consider
from ewers.choices import RiskLevel
from ewers.models import Region, User
from indicators.hooks import AssessmentRecorded, OpenAlertNotice
from indicators.models import Contribution


class AlertingLayer:
    """``indicators.hooks.Alerting``, answered by the alerts app."""

    def assessment_recorded(self, recorded: AssessmentRecorded) -> bool:
        if not recorded.triggered and RiskLevel.rank(recorded.assessment.level) < RiskLevel.rank(
            settings.EWERS_ALERT_LEVEL
        ):
            # Below the alerting level without a trigger nothing happens, whatever alert is
            # open or cooling down (``alerts.rules.alert_decide``'s first rule): no query.
            return False
        alert = alert_consider(
            assessment=recorded.assessment,
            previous_level=recorded.previous_level,
            contributions=recorded.contributions,
            triggered=recorded.triggered,
            indicators=dict(recorded.indicators),
            triggers=recorded.triggers,
        )
        return alert is not None and alert.assessment_id == recorded.assessment.pk

    def reports_held(self, organisation_id: int | None) -> QuerySet[Any] | None:
        """The reports behind the open alerts the organisation holds (``AssignmentQuerySet.held_by``);
        once an alert closes, its former holders keep only its closing summary. An alert's
        assessment carries one contribution per reading (``assessment_recorded`` answers
        that the scorer must store them), so these are every report that raised or lowered
        its score."""
        held = Assignment.objects.held_by(organisation_id).filter(alert__state=AlertState.OPEN).values("alert")
        return Contribution.objects.filter(assessment__alerts__in=held).values("report")

    def open_alert(self, user: User, community: Region) -> OpenAlertNotice | None:
        alert = community_alert_open(community)
        if alert is None:
            return None
        return OpenAlertNotice(
            id=alert.pk,
            level_display=str(alert.get_level_display()),
            opened_at=alert.opened_at,
            linked=Alert.objects.visible_to(user).filter(pk=alert.pk).exists(),
        )
