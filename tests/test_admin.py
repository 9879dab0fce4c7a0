"""The admin site: every page an administrator opens renders, bad input is a form error."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from alerts.models import Alert
from ewers.choices import RegionLevel, RiskLevel, Role
from ewers.models import Region, User
from indicators.models import FieldReport, Indicator
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(cast, client):
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client.force_login(cast.admin)
    return client


def test_every_changelist_and_add_page_renders(admin_client, cast):
    factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, source_reference="S-1")
    Alert.objects.create(community=cast.places["c1"], level=RiskLevel.HIGH)
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        assert admin_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, info
        if model_admin.has_add_permission(type("R", (), {"user": cast.admin})()):
            assert admin_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, info
        obj = model.objects.first()
        if obj is not None:
            assert admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200, info


def test_the_report_page_never_shows_the_source_reference(admin_client, cast):
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, source_reference="Imam Yusof")
    page = admin_client.get(reverse("admin:indicators_fieldreport_change", args=[report.pk])).content.decode()
    assert "Imam Yusof" not in page
    assert report.narrative in page


def test_a_region_in_the_wrong_place_is_a_form_error(admin_client, cast):
    response = admin_client.post(
        reverse("admin:ewers_region_add"),
        {
            "code": "T-9",
            "name": "Misplaced",
            "level": RegionLevel.COMMUNITY,
            "parent": cast.places["region"].pk,
            "boundary": "null",
        },
    )
    assert response.status_code == 200
    assert "A community must sit inside a district." in response.content.decode()
    assert not Region.objects.filter(code="T-9").exists()


def test_a_region_added_in_the_admin_gets_its_ancestors(admin_client, cast):
    response = admin_client.post(
        reverse("admin:ewers_region_add"),
        {
            "code": "T-1-1-3",
            "name": "New village",
            "level": RegionLevel.COMMUNITY,
            "parent": cast.places["district"].pk,
            "boundary": "null",
        },
    )
    assert response.status_code == 302
    region = Region.objects.get(code="T-1-1-3")
    assert (region.country, region.region, region.district) == (
        cast.places["country"],
        cast.places["region"],
        cast.places["district"],
    )


def test_an_indicator_changed_in_the_admin_is_versioned(admin_client, cast):
    indicator = cast.indicator
    data = {
        "code": indicator.code,
        "name": indicator.name,
        "description": "",
        "category": indicator.category,
        "theme": indicator.theme_id,
        "polarity": indicator.polarity,
        "weight": "2.0",
        "scale_min": "0",
        "scale_max": "4",
        "scale_labels": "{}",
        "threshold_moderate": "2",
        "threshold_high": "3",
        "threshold_critical": "4",
        "half_life_days": "21",
        "is_active": "on",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "1",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(reverse("admin:indicators_indicator_change", args=[indicator.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    indicator.refresh_from_db()
    assert (indicator.version, indicator.weight) == (2, 2.0)
    assert indicator.versions.get(version=2).changed_by == cast.admin


def test_thresholds_out_of_order_are_a_form_error(admin_client, cast):
    response = admin_client.post(
        reverse("admin:indicators_indicator_add"),
        {
            "code": "X01",
            "name": "X",
            "category": "proximate",
            "theme": cast.indicator.theme_id,
            "polarity": "risk",
            "weight": "1",
            "scale_min": "0",
            "scale_max": "4",
            "scale_labels": "{}",
            "threshold_moderate": "3",
            "threshold_high": "2",
            "threshold_critical": "4",
            "half_life_days": "10",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "Thresholds must rise" in response.content.decode()
    assert not Indicator.objects.filter(code="X01").exists()


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


def test_reports_cannot_be_added_or_deleted_in_the_admin(admin_client, cast):
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    assert admin_client.get(reverse("admin:indicators_fieldreport_add")).status_code == 403
    assert admin_client.post(reverse("admin:indicators_fieldreport_delete", args=[report.pk])).status_code == 403
    assert FieldReport.objects.filter(pk=report.pk).exists()
