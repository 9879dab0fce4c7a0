"""The admin site (ewers/admin.py): every page an administrator opens renders, need-to-know
holds even for a superuser, a bad region or user is a form error."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from alerts.models import Alert
from ewers.choices import RegionLevel, RiskLevel, Role
from ewers.models import Region, User
from indicators.models import FieldReport
from tests import factories

pytestmark = pytest.mark.django_db


def make_cases(cast):
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, source_reference="S-1")
    factories.make_report(cast.other_analyst, cast.other_places["c1"], cast.indicator)
    Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
    Alert.objects.create(community=cast.other_places["c1"], level=RiskLevel.HIGH)


def test_every_admin_page_renders_for_a_superuser(superuser_client, cast):
    make_cases(cast)
    request = type("R", (), {"user": cast.coordinator})()
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        assert superuser_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, info
        if model_admin.has_add_permission(request):
            assert superuser_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, info
        obj = model_admin.get_queryset(request).first()
        if obj is not None:
            url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            assert superuser_client.get(url).status_code == 200, info


def test_the_administrator_manages_structure_but_sees_no_cases(admin_client, cast):
    make_cases(cast)
    for name in ("ewers_region", "ewers_organisation", "ewers_user", "ewers_theme", "indicators_indicator"):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 200, name
    for name in ("indicators_fieldreport", "indicators_riskassessment", "alerts_alert", "alerts_assignment"):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 403, name
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Field reports" not in index


def test_admin_lists_follow_need_to_know_even_for_a_superuser(superuser_client, cast):
    make_cases(cast)
    inside = FieldReport.objects.get(community=cast.places["c1"])
    outside = FieldReport.objects.get(community=cast.other_places["c1"])
    listing = superuser_client.get(reverse("admin:indicators_fieldreport_changelist"))
    assert list(listing.context["cl"].result_list) == [inside]
    url = reverse("admin:indicators_fieldreport_change", args=[outside.pk])
    assert superuser_client.get(url).status_code == 302  # "does not exist" back to the list
    alerts = superuser_client.get(reverse("admin:alerts_alert_changelist")).context["cl"].result_list
    assert [a.community for a in alerts] == [cast.places["c1"]]


def region_form(code: str, name: str, level: str, parent: Region) -> dict[str, object]:
    """What the region admin form posts."""
    return {"code": code, "name": name, "level": level, "parent": parent.pk, "boundary": "null"}


def test_a_region_in_the_wrong_place_is_a_form_error(admin_client, cast):
    data = region_form("T-9", "Misplaced", RegionLevel.COMMUNITY, cast.places["region"])
    response = admin_client.post(reverse("admin:ewers_region_add"), data)
    assert response.status_code == 200
    assert "A community must sit inside a district." in response.content.decode()
    assert not Region.objects.filter(code="T-9").exists()


def test_a_region_with_children_keeps_its_level(admin_client, cast):
    district = cast.places["district"]
    data = region_form(district.code, district.name, RegionLevel.COMMUNITY, cast.other_places["district"])
    response = admin_client.post(reverse("admin:ewers_region_change", args=[district.pk]), data)
    assert response.status_code == 200
    assert "has children; its level cannot change" in response.content.decode()
    assert Region.objects.get(pk=district.pk).level == RegionLevel.DISTRICT


def test_a_region_added_in_the_admin_gets_its_ancestors(admin_client, cast):
    data = region_form("T-1-1-3", "New village", RegionLevel.COMMUNITY, cast.places["district"])
    response = admin_client.post(reverse("admin:ewers_region_add"), data)
    assert response.status_code == 302
    region = Region.objects.get(code="T-1-1-3")
    assert (region.country, region.region, region.district) == (
        cast.places["country"],
        cast.places["region"],
        cast.places["district"],
    )


def test_a_user_without_organisation_is_a_form_error(admin_client, cast):
    response = admin_client.post(
        reverse("admin:ewers_user_add"),
        {
            "username": "newbie",
            "password1": "a-long-enough-pass",
            "password2": "a-long-enough-pass",
            "usable_password": "true",
            "role": Role.ANALYST,
        },
    )
    assert response.status_code == 200
    assert "belongs to an organisation" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()
