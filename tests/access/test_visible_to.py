"""visible_to(user): each model's share, decided in one place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, Assignment
from ewers.choices import RiskLevel, Role
from ewers.models import Region
from indicators.models import Contribution, FieldReport, RiskAssessment
from tests import factories

pytestmark = pytest.mark.django_db


def codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_regions_follow_the_organisations_coverage(cast):
    assert codes(Region.objects.visible_to(cast.analyst)) == {"T-1", "T-1-1", "T-1-1-1", "T-1-1-2"}
    assert codes(Region.objects.visible_to(cast.cso_user)) == {"T-1-1-1"}
    assert codes(Region.objects.visible_to(cast.police_user)) == codes(Region.objects.all())
    assert codes(Region.objects.visible_to(cast.admin)) == codes(Region.objects.all())


def test_analysts_see_their_organisations_reports_only(cast):
    mine = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    factories.make_report(cast.other_analyst, cast.other_places["c1"], cast.indicator)
    assert list(FieldReport.objects.visible_to(cast.analyst)) == [mine]


def test_coordinators_see_the_reports_of_their_coverage(cast):
    inside = factories.make_report(cast.analyst, cast.places["c2"], cast.indicator)
    factories.make_report(cast.other_analyst, cast.other_places["c1"], cast.indicator)
    assert list(FieldReport.objects.visible_to(cast.coordinator)) == [inside]


def test_responders_see_only_the_reports_behind_their_alerts(cast):
    behind = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    factories.make_report(cast.analyst, cast.places["c2"], cast.indicator)
    assert not FieldReport.objects.visible_to(cast.cso_user).exists()
    assessment = RiskAssessment.objects.create(community=cast.places["c1"], score=70, raw_score=3, level="high")
    Contribution.objects.create(
        assessment=assessment, indicator=cast.indicator, indicator_version=1, report=behind, amount=3
    )
    alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH, assessment=assessment)
    factories.make_assignment(alert=alert, organisation=cast.cso, due_at=timezone.now() + timedelta(hours=6))
    assert list(FieldReport.objects.visible_to(cast.cso_user)) == [behind]
    assert not FieldReport.objects.visible_to(cast.police_user).exists()
    assert list(Alert.objects.visible_to(cast.cso_user)) == [alert]
    assert not Alert.objects.visible_to(cast.police_user).exists()
    assert Assignment.objects.visible_to(cast.cso_user).count() == 1
    assert Assignment.objects.visible_to(cast.coordinator).count() == 1
    assert not Assignment.objects.visible_to(cast.analyst).exists()
    # Analysts see risk, not the response: no alerts, even in their coverage.
    assert not Alert.objects.visible_to(cast.analyst).exists()
    assert Alert.objects.visible_to(cast.coordinator).count() == 1


def test_administrators_see_no_reports(cast):
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    assert not FieldReport.objects.visible_to(cast.admin).exists()


def test_the_source_reference_is_for_the_reporting_organisation_and_coordinators(cast):
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, source_reference="S-1")
    assert report.source_reference_visible_to(cast.analyst)
    assert report.source_reference_visible_to(cast.coordinator)
    assert not report.source_reference_visible_to(cast.other_analyst)
    assert not report.source_reference_visible_to(cast.cso_user)
    assert not report.source_reference_visible_to(cast.admin)
    # A responder of the reporting organisation is still a responder: never the source.
    lab_responder = factories.make_user("lab-responder", cast.lab, Role.RESPONDER)
    assert not report.source_reference_visible_to(lab_responder)
    # A coordinator whose coverage does not reach the community does not see it either.
    far_desk = factories.make_organisation(code="far-desk", coverage=[cast.other_places["country"]])
    far_coordinator = factories.make_user("far-coord", far_desk, Role.COORDINATOR)
    assert not report.source_reference_visible_to(far_coordinator)


def test_assessments_follow_coverage(cast):
    RiskAssessment.objects.create(community=cast.places["c1"], score=10, raw_score=1, level="low")
    RiskAssessment.objects.create(community=cast.other_places["c1"], score=10, raw_score=1, level="low")
    assert RiskAssessment.objects.visible_to(cast.analyst).count() == 1
    assert RiskAssessment.objects.visible_to(cast.other_analyst).count() == 1
    assert RiskAssessment.objects.visible_to(cast.police_user).count() == 2
