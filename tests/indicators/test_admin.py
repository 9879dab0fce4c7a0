"""The indicators' admin (indicators/admin.py): an indicator changed there is versioned; reports
are never added, deleted or shown with their source."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from indicators.frameworks import framework_parse
from indicators.models import FieldReport, Indicator
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_report_page_never_shows_the_source_reference(superuser_client, cast):
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator, source_reference="Imam Yusof")
    page = superuser_client.get(reverse("admin:indicators_fieldreport_change", args=[report.pk])).content.decode()
    assert "Imam Yusof" not in page
    assert report.narrative in page


def indicator_form(theme_id: int, *, versions: int = 0, **values: str) -> dict[str, object]:
    """What the indicator admin form posts: a valid proximate indicator unless overridden."""
    data: dict[str, object] = {
        "code": "X01",
        "name": "X",
        "description": "",
        "category": "proximate",
        "theme": theme_id,
        "polarity": "risk",
        "weight": "1",
        "scale_min": "0",
        "scale_max": "4",
        "scale_labels": "{}",
        "threshold_moderate": "2",
        "threshold_high": "3",
        "threshold_critical": "4",
        "half_life_days": "21",
        "handling_level": "partners",
        "is_active": "on",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": str(versions),
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    return data | values


def test_an_indicator_changed_in_the_admin_is_versioned(admin_client, cast):
    indicator = cast.indicator
    data = indicator_form(indicator.theme_id, versions=1, code=indicator.code, name=indicator.name, weight="2.0")
    response = admin_client.post(reverse("admin:indicators_indicator_change", args=[indicator.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    indicator.refresh_from_db()
    assert (indicator.version, indicator.weight, indicator.name) == (2, 2.0, "Hate speech in local forums")
    assert indicator.versions.get(version=2).changed_by == cast.admin


def test_an_indicator_deactivated_in_the_admin_stays_inactive(admin_client, cast):
    indicator = cast.indicator
    data = indicator_form(indicator.theme_id, versions=1, code=indicator.code, name=indicator.name)
    del data["is_active"]
    response = admin_client.post(reverse("admin:indicators_indicator_change", args=[indicator.pk]), data)
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert not indicator.is_active
    assert Indicator.objects.count() == 1


def test_thresholds_out_of_order_are_a_form_error(admin_client, cast):
    data = indicator_form(cast.indicator.theme_id, threshold_moderate="3", threshold_high="2")
    response = admin_client.post(reverse("admin:indicators_indicator_add"), data)
    assert response.status_code == 200
    assert "Thresholds must rise" in response.content.decode()
    assert not Indicator.objects.filter(code="X01").exists()


def test_reports_cannot_be_added_or_deleted_in_the_admin(superuser_client, cast):
    report = factories.make_report(cast.analyst, cast.places["c1"], cast.indicator)
    assert superuser_client.get(reverse("admin:indicators_fieldreport_add")).status_code == 403
    url = reverse("admin:indicators_fieldreport_delete", args=[report.pk])
    assert superuser_client.post(url).status_code == 403
    assert FieldReport.objects.filter(pk=report.pk).exists()


def test_chosen_indicators_export_as_a_framework_with_their_themes(admin_client, cast):
    other = factories.make_indicator("W01", theme=factories.make_theme("weapons"))
    factories.make_indicator("W02", theme=other.theme)
    response = admin_client.post(
        reverse("admin:indicators_indicator_changelist"),
        {"action": "framework_export_action", "_selected_action": [cast.indicator.pk, other.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="indicator-framework.json"'
    framework = framework_parse(json.loads(response.content))  # a file framework_import takes
    assert [spec.code for spec in framework.indicators] == ["P01", "W01"]
    assert [theme.code for theme in framework.themes] == ["tension", "weapons"]
