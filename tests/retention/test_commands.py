"""``manage.py retention [--dry-run]``, the daily beat task and the admin's list of runs with
the policy above it (issue 14)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Notification
from audit.models import AuditEvent
from indicators.models import FieldReport
from retention import tasks
from retention.models import RetentionRun
from tests.conftest import NARRATIVE, SOURCE
from tests.retention.test_services import closed_alert, notification, scored_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def old(cast):
    """A report scored 400 days ago and a notification of a closed alert 200 days old."""
    now = timezone.now()
    report = scored_report(cast, received=now - timedelta(days=400), scored=now - timedelta(days=400))
    alert = closed_alert(cast.places["c2"], opened=now - timedelta(days=300), closed=now - timedelta(days=299))
    notification(cast, alert, now - timedelta(days=200))
    return report


def run(*args: str) -> str:
    out = StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_the_dry_run_prints_what_would_go_and_changes_nothing(old):
    audit_rows = AuditEvent.objects.count()
    out = run("--dry-run")
    assert "policy: narratives kept 365 days" in out
    assert "would go: narratives 1" in out and "would go: notifications 1" in out
    assert "nothing changed" in out
    old.refresh_from_db()
    assert (old.narrative, old.source_reference, old.narrative_purged_at) == (NARRATIVE, SOURCE, None)
    assert Notification.objects.count() == 1
    assert not RetentionRun.objects.exists()
    assert AuditEvent.objects.count() == audit_rows
    assert NARRATIVE not in out and SOURCE not in out


def test_the_command_purges(old):
    out = run()
    assert "removed: narratives 1" in out and "removed: source_references 1" in out
    old.refresh_from_db()
    assert old.narrative == "" and old.source_reference is None
    assert RetentionRun.objects.get().total == 3


def test_the_daily_task_runs_the_purge(old):
    assert settings.CELERY_BEAT_SCHEDULE["retention-purge"]["task"] == "retention.tasks.retention_purge"
    run_id = tasks.retention_purge.delay().get()
    assert RetentionRun.objects.get(pk=run_id).narratives == 1
    assert FieldReport.objects.get(pk=old.pk).narrative_purged_at is not None


def test_the_admin_shows_the_policy_above_the_runs(old, admin_client):
    run()
    page = admin_client.get("/admin/retention/retentionrun/").content.decode()
    assert "The retention policy in force" in page and "EWERS_RETAIN_NARRATIVE_DAYS" in page
    assert page.index("retention-policy") < page.index("result_list")
    assert admin_client.get("/admin/retention/retentionrun/add/").status_code == 403


def test_the_report_page_says_when_its_narrative_was_purged(old, cast, client):
    run()
    client.force_login(cast.analyst)
    page = client.get(f"/reports/{old.pk}/").content.decode()
    assert "under the retention policy" in page and NARRATIVE not in page
