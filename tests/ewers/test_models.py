"""Constraints of the core's places, organisations and users that must always hold, checked
at the database, whatever writes the row."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from alerts.models import Alert
from ewers import models as ewers_models
from ewers.choices import RegionLevel, RiskLevel, Role
from ewers.models import Organisation, Region, User
from ewers.services import region_upsert, user_upsert
from indicators.choices import AssessmentCause
from indicators.models import RiskAssessment
from tests import factories
from tests.conftest import raises_integrity

pytestmark = pytest.mark.django_db


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

    def test_a_region_code_under_another_country_never_moves_this_one(self, cast):
        other_country = cast.other_places["country"]
        region_upsert(code="T-1", name="U's T-1", level=RegionLevel.REGION, parent=other_country)
        below = Region.objects.filter(code__startswith="T-1-")
        assert set(below.values_list("country__code", flat=True)) == {"T"}
        assert Region.objects.get(code="T-1", country__code="T").name == "T region"
        assert Region.objects.get(code="T-1", country=other_country).name == "U's T-1"

    def test_codes_are_unique_within_a_country(self, cast):
        region = Region.objects.get(code="T-1")
        clash = Region(code="T-1", name="Twin", level=RegionLevel.REGION, parent=region.parent, country=region.country)
        with pytest.raises(ValidationError, match="Another place of this country has this code"):
            clash.full_clean()


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


class TestRegionCoverageOfOnePlace:
    """``Region.is_visible_to`` / ``is_covered_by`` are ``visible_to`` / ``covered_by`` for
    one place, answered from the user's coverage read once."""

    def test_it_agrees_with_the_querysets_for_every_place_and_role(self, cast):
        users = [cast.analyst, cast.other_analyst, cast.police_user, cast.cso_user, cast.coordinator, cast.admin]
        regions = list(Region.objects.all())
        for user in users:
            fresh = User.objects.get(pk=user.pk)
            visible = set(Region.objects.visible_to(fresh).values_list("pk", flat=True))
            covered = set(Region.objects.covered_by(fresh).values_list("pk", flat=True))
            assert {r.pk for r in regions if r.is_visible_to(fresh)} == visible
            assert {r.pk for r in regions if r.is_covered_by(fresh)} == covered
        assert covered != visible  # the administrator sees what their organisation does not cover

    def test_it_reads_the_coverage_once_per_user_object(self, cast, django_assert_num_queries):
        user = User.objects.get(pk=cast.cso_user.pk)
        regions = list(Region.objects.all())
        with django_assert_num_queries(1):
            assert [r.code for r in regions if r.is_covered_by(user)] == [cast.places["c1"].code]

    def test_the_querysets_read_the_coverage_once_per_user_object_too(self, cast, django_assert_num_queries):
        alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
        Alert.objects.create(community=cast.other_places["c1"], level=RiskLevel.HIGH)
        user = User.objects.get(pk=cast.coordinator.pk)
        with django_assert_num_queries(1):  # the coverage; building the querysets asks nothing more
            regions = Region.objects.covered_by(user)
            alerts = Alert.objects.visible_to(user)
            communities = [Region.objects.visible_to(user).communities() for _n in range(3)]
        with django_assert_num_queries(3):  # one statement each, the coverage written in as ids
            assert {r.code for r in regions} == {"T", "T-1", "T-1-1", "T-1-1-1", "T-1-1-2"}
            assert list(alerts) == [alert]
            assert {r.code for r in communities[2]} == {"T-1-1-1", "T-1-1-2"}

    def test_a_coverage_too_long_to_write_in_stays_a_subquery_with_the_same_answer(self, cast, monkeypatch):
        for community in (cast.places["c1"], cast.places["c2"], cast.other_places["c1"]):
            Alert.objects.create(community=community, level=RiskLevel.HIGH)
            _assessment(community)
        users = [cast.analyst, cast.other_analyst, cast.police_user, cast.cso_user, cast.coordinator]

        def shares(user: User) -> tuple[set[Region], set[Alert], set[RiskAssessment]]:
            fresh = User.objects.get(pk=user.pk)
            return (
                set(Region.objects.covered_by(fresh)),
                set(Alert.objects.visible_to(fresh)),
                set(RiskAssessment.objects.visible_to(fresh)),
            )

        as_ids = {user.pk: shares(user) for user in users}
        assert len(as_ids[cast.coordinator.pk][1]) == 2  # the coordinator's country: two of the three alerts
        monkeypatch.setattr(ewers_models, "COVERAGE_IDS_MAX", 0)
        for user in users:
            assert "ewers_organisation_coverage" in str(Region.objects.covered_by(User.objects.get(pk=user.pk)).query)
            assert shares(user) == as_ids[user.pk]

    def test_an_organisation_covering_nothing_sees_nothing(self, cast):
        bare = factories.make_user("bare", factories.make_organisation(), role=Role.COORDINATOR)
        alert = Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
        assessment = _assessment(cast.places["c1"])
        assert not Region.objects.covered_by(bare).exists()
        assert not Alert.objects.visible_to(bare).exists()
        assert not RiskAssessment.objects.visible_to(bare).exists()
        # Not in nothing: everything.
        assert list(Alert.objects.exclude(community__in=Region.objects.covered_by(bare).values("pk"))) == [alert]
        # The same rows are seen by an organisation that covers them.
        coordinator = User.objects.get(pk=cast.coordinator.pk)
        assert Alert.objects.visible_to(coordinator).get() == alert
        assert RiskAssessment.objects.visible_to(coordinator).get() == assessment


def _assessment(community: Region) -> RiskAssessment:
    return RiskAssessment.objects.create(
        community=community, score=70, raw_score=70, level=RiskLevel.HIGH, cause=AssessmentCause.REPORT
    )
