"""Constraints that must always hold, checked at the database, whatever writes the row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from alerts.choices import AlertState, AssignmentState, IncidentOutcome
from alerts.models import Alert
from ewers.choices import RegionLevel, RiskLevel, Role
from ewers.models import Organisation, Region, User
from ewers.services import region_upsert, user_upsert
from indicators.models import FieldReport, Indicator, Reading, RiskAssessment
from indicators.services import indicator_update_settings
from tests import factories

pytestmark = pytest.mark.django_db


def raises_integrity():
    """Expect the database to refuse the write (inside a savepoint, so the test goes on)."""
    return pytest.raises(IntegrityError)


class TestRegionHierarchy:
    def test_it_fills_the_ancestor_columns(self, cast):
        c1 = cast.places["c1"]
        assert (c1.country, c1.region, c1.district, c1.parent) == (
            cast.places["country"],
            cast.places["region"],
            cast.places["district"],
            cast.places["district"],
        )

    def test_it_finds_everything_below_a_region_in_one_query(self, cast, django_assert_num_queries):
        with django_assert_num_queries(1):
            codes = set(Region.objects.within([cast.places["region"].pk]).values_list("code", flat=True))
        assert codes == {"T-1", "T-1-1", "T-1-1-1", "T-1-1-2"}

    def test_it_refuses_a_parent_at_the_wrong_level(self, cast):
        with pytest.raises(ValidationError) as excinfo:
            region_upsert(code="X", name="X", level=RegionLevel.COMMUNITY, parent=cast.places["region"])
        assert "parent" in excinfo.value.message_dict

    def test_it_refuses_a_country_with_a_parent(self, cast):
        with pytest.raises(ValidationError):
            region_upsert(code="X", name="X", level=RegionLevel.COUNTRY, parent=cast.places["country"])

    def test_the_database_refuses_a_broken_hierarchy(self, cast):
        with raises_integrity(), transaction.atomic():
            Region.objects.create(code="BAD", name="Bad", level=RegionLevel.COMMUNITY, parent=cast.places["region"])
        with raises_integrity(), transaction.atomic():
            Region.objects.create(code="BAD2", name="Bad", level=RegionLevel.REGION)  # no parent

    def test_the_database_refuses_a_duplicate_code(self, cast):
        with raises_integrity(), transaction.atomic():
            Region.objects.create(code="T", name="Again", level=RegionLevel.COUNTRY)

    def test_it_updates_in_place_on_a_second_upsert(self, cast):
        region, created = region_upsert(
            code="T-1", name="Renamed", level=RegionLevel.REGION, parent=cast.places["country"]
        )
        assert not created
        assert region.pk == cast.places["region"].pk
        assert Region.objects.get(code="T-1").name == "Renamed"

    def test_it_refuses_an_invalid_boundary(self, cast):
        with pytest.raises(ValidationError) as excinfo:
            region_upsert(
                code="T-1-1-9",
                name="Open ring",
                level=RegionLevel.COMMUNITY,
                parent=cast.places["district"],
                boundary={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            )
        assert "boundary" in excinfo.value.message_dict
        assert not Region.objects.filter(code="T-1-1-9").exists()


class TestOrganisationsAndUsers:
    def test_the_database_refuses_a_low_alert_level(self, cast):
        with raises_integrity(), transaction.atomic():
            Organisation.objects.filter(pk=cast.cso.pk).update(min_alert_level=RiskLevel.LOW)

    def test_the_database_refuses_an_unknown_sector(self, cast):
        with raises_integrity(), transaction.atomic():
            Organisation.objects.filter(pk=cast.cso.pk).update(sector="militia")

    def test_a_user_needs_an_organisation_unless_superuser(self, cast):
        with raises_integrity(), transaction.atomic():
            User.objects.create(username="nobody", role=Role.ANALYST)
        with pytest.raises(ValidationError):
            user_upsert(username="nobody", organisation=None, role=Role.ANALYST)
        root = User.objects.create_superuser("root", "root@example.org", "x" * 12)
        assert root.organisation is None
        assert root.is_administrator

    def test_the_database_refuses_an_unknown_role(self, cast):
        with raises_integrity(), transaction.atomic():
            User.objects.filter(pk=cast.analyst.pk).update(role="spy")

    def test_passwords_are_stored_hashed(self, cast):
        stored = User.objects.get(pk=cast.analyst.pk).password
        assert factories.PASSWORD not in stored
        assert cast.analyst.check_password(factories.PASSWORD)


class TestIndicators:
    def test_the_database_refuses_thresholds_out_of_order_or_scale(self, cast):
        for values in ({"threshold_high": 1}, {"threshold_critical": 9}, {"threshold_moderate": -1}):
            with raises_integrity(), transaction.atomic():
                Indicator.objects.filter(pk=cast.indicator.pk).update(**values)

    def test_the_database_refuses_a_zero_weight_or_half_life(self, cast):
        for values in ({"weight": 0}, {"half_life_days": 0}, {"scale_max": 0}):
            with raises_integrity(), transaction.atomic():
                Indicator.objects.filter(pk=cast.indicator.pk).update(**values)

    def test_a_settings_change_records_a_new_version(self, cast):
        indicator = indicator_update_settings(
            indicator=cast.indicator, changed_by=cast.coordinator, reason="calibration", weight=2.5
        )
        assert indicator.version == 2
        versions = list(indicator.versions.order_by("version").values_list("version", "weight", "reason"))
        assert versions == [(1, 1.0, "created"), (2, 2.5, "calibration")]
        assert indicator.versions.get(version=2).changed_by == cast.coordinator

    def test_an_unchanged_save_records_no_version(self, cast):
        indicator = indicator_update_settings(indicator=cast.indicator, changed_by=None, weight=1.0)
        assert indicator.version == 1
        assert indicator.versions.count() == 1

    def test_it_refuses_an_unknown_setting(self, cast):
        with pytest.raises(ValidationError):
            indicator_update_settings(indicator=cast.indicator, changed_by=None, name="renamed")

    def test_a_bad_settings_change_records_nothing(self, cast):
        with pytest.raises(ValidationError):
            indicator_update_settings(indicator=cast.indicator, changed_by=None, threshold_high=9)
        assert Indicator.objects.get(pk=cast.indicator.pk).version == 1
        assert cast.indicator.versions.count() == 1


class TestFieldReports:
    def test_the_database_refuses_grades_outside_the_scales(self, cast):
        report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
        with raises_integrity(), transaction.atomic():
            FieldReport.objects.filter(pk=report.pk).update(source_reliability="G")
        for credibility in (0, 7):
            with raises_integrity(), transaction.atomic():
                FieldReport.objects.filter(pk=report.pk).update(information_credibility=credibility)

    def test_the_database_refuses_two_readings_of_one_indicator(self, cast):
        report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
        with raises_integrity(), transaction.atomic():
            Reading.objects.create(report=report, indicator=cast.indicator, value=1)

    def test_the_database_refuses_scored_without_a_time(self, cast):
        report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
        with raises_integrity(), transaction.atomic():
            FieldReport.objects.filter(pk=report.pk).update(status="scored")

    def test_the_source_reference_is_encrypted_at_rest(self, cast):
        report = factories.make_report(
            cast.analyst, cast.places["c1"], cast.indicator, source_reference="Imam of the east mosque"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT source_reference FROM indicators_fieldreport WHERE id = %s", [report.pk])
            (stored,) = cursor.fetchone()
        assert stored and "Imam" not in stored
        assert FieldReport.objects.get(pk=report.pk).source_reference == "Imam of the east mosque"

    def test_the_history_holds_no_protected_field(self, cast):
        factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, source_reference="secret")
        fields = {f.name for f in FieldReport.history.model._meta.get_fields()}
        assert "source_reference" not in fields
        assert "narrative" not in fields
        assert FieldReport.history.count() == 1


class TestAssessments:
    def test_the_database_refuses_a_score_outside_0_to_100(self, cast):
        for score in (-0.1, 100.1):
            with raises_integrity(), transaction.atomic():
                RiskAssessment.objects.create(community=cast.places["c1"], score=score, raw_score=1, level="low")

    def test_the_database_refuses_an_unknown_level(self, cast):
        with raises_integrity(), transaction.atomic():
            RiskAssessment.objects.create(community=cast.places["c1"], score=50, raw_score=1, level="extreme")


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


class TestRegionMoves:
    def test_moving_a_district_moves_its_communities_and_their_access(self, cast):
        other_region, _ = region_upsert(
            code="T-2", name="T second region", level=RegionLevel.REGION, parent=cast.places["country"]
        )
        region_upsert(code="T-1-1", name="T district", level=RegionLevel.DISTRICT, parent=other_region)
        for code in ("T-1-1-1", "T-1-1-2"):
            community = Region.objects.get(code=code)
            assert (community.country, community.region, community.district.code) == (
                cast.places["country"],
                other_region,
                "T-1-1",
            )
        # The lab covers T-1 only: the communities left its share with their district.
        visible = set(Region.objects.visible_to(cast.analyst).values_list("code", flat=True))
        assert visible == {"T-1"}

    def test_moving_a_region_to_another_country_moves_everything_below(self, cast):
        region_upsert(code="T-1", name="T region", level=RegionLevel.REGION, parent=cast.other_places["country"])
        below = Region.objects.filter(code__startswith="T-1-")
        assert set(below.values_list("country__code", flat=True)) == {"U"}
        assert set(below.values_list("region__code", flat=True)) == {"T-1"}


class TestAdministratorsGroup:
    def test_the_admin_role_gets_the_group_and_staff_and_loses_it_with_the_role(self, cast):
        assert cast.admin.is_staff
        assert cast.admin.has_perm("ewers.change_organisation")
        assert cast.admin.has_perm("indicators.change_indicator")
        assert not cast.admin.has_perm("indicators.view_fieldreport")
        assert not cast.admin.has_perm("alerts.view_alert")
        user, _ = user_upsert(username="adm", organisation=cast.desk, role=Role.ANALYST)
        user = User.objects.get(pk=user.pk)  # fresh permission cache
        assert not user.groups.exists()
        assert not user.has_perm("ewers.change_organisation")
