"""Constraints of alerts and assignments that must always hold, checked at the database,
whatever writes the row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from alerts.choices import AlertState, AssignmentState, IncidentOutcome
from alerts.models import Alert
from ewers.choices import RiskLevel
from tests import factories
from tests.conftest import raises_integrity

pytestmark = pytest.mark.django_db


class TestAlerts:
    def make_alert(self, community, **values):
        return Alert.objects.create(community=community, level=values.pop("level", RiskLevel.HIGH), **values)

    def test_one_open_alert_per_community_is_a_constraint(self, cast):
        self.make_alert(cast.places["c1"])
        with raises_integrity(), transaction.atomic():
            self.make_alert(cast.places["c1"], level=RiskLevel.CRITICAL)
        # Another community, or a closed alert in the same one, is fine.
        self.make_alert(cast.places["c2"])
        self.make_alert(
            cast.places["c1"], state=AlertState.DISMISSED, closed_at=timezone.now(), close_note="false alarm"
        )
        assert Alert.objects.filter(community=cast.places["c1"]).count() == 2

    def test_a_resolved_alert_records_its_outcome(self, cast):
        with raises_integrity(), transaction.atomic():
            self.make_alert(cast.places["c1"], state=AlertState.RESOLVED, closed_at=timezone.now())
        self.make_alert(
            cast.places["c1"], state=AlertState.RESOLVED, closed_at=timezone.now(), outcome=IncidentOutcome.NO
        )

    def test_closing_time_matches_the_state(self, cast):
        with raises_integrity(), transaction.atomic():
            self.make_alert(cast.places["c1"], closed_at=timezone.now())
        with raises_integrity(), transaction.atomic():
            self.make_alert(cast.places["c1"], state=AlertState.DISMISSED)

    def test_the_database_refuses_a_low_alert(self, cast):
        with raises_integrity(), transaction.atomic():
            self.make_alert(cast.places["c1"], level=RiskLevel.LOW)

    def test_verified_needs_a_time(self, cast):
        with raises_integrity(), transaction.atomic():
            self.make_alert(cast.places["c1"], verified=True)


class TestAssignments:
    def make(self, alert, organisation, **values):
        return factories.make_assignment(
            alert=alert, organisation=organisation, due_at=timezone.now() + timedelta(hours=6), **values
        )

    def test_one_assignment_per_organisation_and_alert(self, cast):
        alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
        self.make(alert, cast.cso)
        with raises_integrity(), transaction.atomic():
            self.make(alert, cast.cso)

    def test_completed_needs_an_outcome_and_declined_a_reason(self, cast):
        alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
        with raises_integrity(), transaction.atomic():
            self.make(alert, cast.cso, state=AssignmentState.COMPLETED)
        with raises_integrity(), transaction.atomic():
            self.make(alert, cast.police, state=AssignmentState.DECLINED)
        done = self.make(alert, cast.cso, state=AssignmentState.COMPLETED, outcome="Dialogue session held")
        assert done.state == AssignmentState.COMPLETED

    def test_it_is_overdue_only_while_pending_past_its_deadline(self, cast):
        alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
        late = factories.make_assignment(alert=alert, organisation=cast.cso, due_at=timezone.now() - timedelta(hours=1))
        assert late.is_overdue
        late.state = AssignmentState.ACKNOWLEDGED
        assert not late.is_overdue
