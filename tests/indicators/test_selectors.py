"""Reads of the indicators app (indicators/selectors.py): each showing of a source reference
is audited, without the value."""

from __future__ import annotations

from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from tests import factories
from tests.api import token_client
from tests.conftest import SOURCE, report


def test_each_showing_of_a_source_reference_is_audited_without_the_value(cast, client):
    shown = report(cast, [cast.indicator], value=1)
    other = factories.make_report(cast.analyst, cast.places["c2"], cast.indicator, source_reference=None)
    client.force_login(cast.coordinator)
    page = client.get(reverse("reports:detail", args=[shown.pk]))
    assert SOURCE in page.content.decode()
    client.get(reverse("reports:detail", args=[other.pk]))  # none given: nothing read
    api = token_client(cast.analyst).get(reverse("api-report-detail", args=[shown.pk]))
    assert api.json()["source_reference"] == SOURCE
    rows = AuditEvent.objects.filter(action=AuditAction.PROTECTED_READ).order_by("id")
    assert list(rows.values_list("actor_username", "object_type", "object_id", "detail", "method")) == [
        ("coord", "report", str(shown.pk), "source_reference", "GET"),
        ("ana", "report", str(shown.pk), "source_reference", "GET"),
    ]
    assert [r.path for r in rows] == [
        reverse("reports:detail", args=[shown.pk]),
        reverse("api-report-detail", args=[shown.pk]),
    ]
    # Those who may not see it read nothing, and nothing is logged for them.
    client.force_login(cast.cso_user)
    client.get(reverse("reports:detail", args=[shown.pk]))
    assert rows.count() == 2
