"""Refusals in the audit trail (audit/middleware.py): every 403 or 404 answered to a signed-in
user, with a printable path; nothing for URLs no view matches."""

from __future__ import annotations

from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from tests import factories
from tests.api import token_client


def test_every_refusal_to_a_signed_in_user_is_audited(cast, client):
    outside = factories.make_report(cast.other_analyst, cast.other_places["c1"], cast.indicator)
    client.force_login(cast.analyst)
    assert client.get(reverse("reports:detail", args=[outside.pk])).status_code == 404
    api = token_client(cast.cso_user).post(reverse("api-report-list"), {}, format="json")
    assert api.status_code == 403
    client.logout()
    client.get(reverse("reports:detail", args=[outside.pk]))  # anonymous: sent to sign in, not audited
    rows = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).order_by("id")
    assert list(rows.values_list("actor_username", "status", "method", "path")) == [
        ("ana", 404, "GET", reverse("reports:detail", args=[outside.pk])),
        ("cso", 403, "POST", reverse("api-report-list")),
    ]


def test_a_refusal_is_audited_with_a_printable_path_and_nonsense_urls_are_not(cast, client):
    """A NUL in a refused URL is written escaped (PostgreSQL stores no NUL); a URL that no
    view matches reaches no object and is not recorded (nobody can flood the trail)."""
    client.force_login(cast.analyst)
    assert client.get("/api/v1/indicators/P0%001/").status_code == 404
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/static/missing.css").status_code == 404
    rows = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED)
    assert list(rows.values_list("path", flat=True)) == ["/api/v1/indicators/P0\\x{0}1/"]
