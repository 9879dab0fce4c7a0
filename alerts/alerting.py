"""The alerting layer as indicators asks for it (``indicators.hooks``), registered at start-up.

Scoring hands every new assessment over here (alerts open, escalate or hold back); need-to-
know for responders' reports follows the alerts their organisation holds; the report page
learns whether its community has an open alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from alerts.choices import AlertState
from alerts.models import Alert, Assignment
from alerts.rules import AlertAction
from alerts.selectors import community_alert_open
from alerts.services import alert_consider
from alerts.services.alerts import alert_decision, alert_situations
from alerts.services.openings import Opening, alerts_open
from alerts.services.timeline import audit_deferred
from ewers.choices import RiskLevel
from ewers.models import Region, User
from indicators.hooks import AssessmentRecorded, OpenAlertNotice
from indicators.models import Contribution


class AlertingLayer:
    """``indicators.hooks.Alerting``, answered by the alerts app."""

    def assessments_recorded(self, recorded: Sequence[AssessmentRecorded]) -> list[bool]:
        # Below the alerting level without a trigger nothing happens, whatever alert is open
        # or cooling down (``alerts.rules.alert_decide``'s first rule): no query for those.
        alert_from = RiskLevel.rank(settings.EWERS_ALERT_LEVEL)
        concerned = [r for r in recorded if r.triggered or RiskLevel.rank(r.assessment.level) >= alert_from]
        known = alert_situations([r.assessment for r in concerned])
        answers = dict.fromkeys((r.assessment.pk for r in recorded), False)
        openings: list[Opening] = []
        for r in concerned:
            situation = known[r.assessment.pk]
            decision = alert_decision(
                r.assessment, previous_level=r.previous_level, triggered=r.triggered, known=situation
            )
            if decision.action == AlertAction.OPEN:
                # Opened together below, set-based (``alerts.services.openings``).
                openings.append(
                    Opening(
                        assessment=r.assessment,
                        level=decision.level,
                        contributions=r.contributions,
                        triggered=r.triggered,
                        indicators=r.indicators,
                        triggers=r.triggers,
                    )
                )
                answers[r.assessment.pk] = True
                continue
            alert = alert_consider(
                assessment=r.assessment,
                previous_level=r.previous_level,
                contributions=r.contributions,
                triggered=r.triggered,
                indicators=dict(r.indicators),
                triggers=r.triggers,
                known=situation,
            )
            answers[r.assessment.pk] = alert is not None and alert.assessment_id == r.assessment.pk
        alerts_open(openings)
        return [answers[r.assessment.pk] for r in recorded]

    def batch(self) -> AbstractContextManager[None]:
        # The audit rows of the batch's alerts are appended at its end (the chain's lock is
        # then held to the commit only, not from the first alert on: API requests wait on it).
        return audit_deferred()

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
