"""The daily retention task on a real Celery worker (Redis, PostgreSQL): it purges what is
due, removes old refusals through the database's function, and the audit chain verifies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEvent, AuditGap
from audit.services import audit_record
from indicators.models import FieldReport
from retention import tasks
from retention.models import RetentionRun
from tests.conftest import requires_real_services
from tests.polling import WAIT_SECONDS
from tests.retention.test_services import scored_report

pytestmark = [requires_real_services, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_runs_the_daily_purge(cast, celery_app, celery_worker):
    now = timezone.now()
    report = scored_report(cast, received=now - timedelta(days=400), scored=now - timedelta(days=400))
    audit_record(action=AuditAction.ACCESS_DENIED, actor=cast.analyst, status=404, at=now - timedelta(days=400))
    audit_record(action=AuditAction.STATE_CHANGE, object_type="alert", object_id=1)
    run_id = tasks.retention_purge.apply_async(ignore_result=False).get(timeout=WAIT_SECONDS)
    run = RetentionRun.objects.get(pk=run_id)
    assert (run.narratives, run.source_references, run.refused_access) == (1, 1, 1)
    assert FieldReport.objects.get(pk=report.pk).narrative == ""
    assert AuditGap.objects.count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).exists()
    call_command("audit_verify", verbosity=0)
