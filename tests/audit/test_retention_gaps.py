"""Retention's removal of old refused-access rows keeps the audit trail verifiable
(issue 14; docs/operations.md, "Retention"): a gap for each run of removed rows, a seal
row with their digest, ``audit_verify`` accepting only sealed gaps; nothing else removed."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from audit.chain import GENESIS, LinkRow, bridges_sealed, chain_verify, gaps_digest, gaps_find, row_hash
from audit.choices import AuditAction
from audit.models import AuditEvent, AuditGap
from audit.services import audit_purge_refused, audit_record

DENIED = AuditAction.ACCESS_DENIED


# --- The pure chain: gaps found, bridged, sealed ------------------------------------


class Row:
    """A row as the chain reads it (audit.chain.HASHED_FIELDS)."""

    def __init__(self, pk: int, prev_hash: str) -> None:
        self.pk = pk
        self.at = timezone.now()
        self.actor_id = None
        self.actor_username = ""
        self.action = "state_change"
        self.object_type = "alert"
        self.object_id = str(pk)
        self.object_ids = ""
        self.detail = ""
        self.path = ""
        self.method = ""
        self.status = None
        self.prev_hash = prev_hash
        self.hash = row_hash(prev_hash, self)


def chain(n: int) -> list[Row]:
    rows: list[Row] = []
    for pk in range(1, n + 1):
        rows.append(Row(pk, rows[-1].hash if rows else GENESIS))
    return rows


def links(rows: list[Row]) -> list[LinkRow]:
    return [LinkRow(r.pk, r.prev_hash, r.hash) for r in rows]


@given(st.integers(1, 30).flatmap(lambda n: st.tuples(st.just(n), st.sets(st.integers(1, n)))))
def test_any_removal_is_bridged_by_its_gaps_and_by_nothing_else(case):
    n, removing = case
    rows = chain(n)
    gaps = gaps_find(links(rows), removing)
    assert sum(g.removed for g in gaps) == len(removing)
    kept = [r for r in rows if r.pk not in removing]
    bridges, removed = bridges_sealed({1: gaps_digest(gaps)}, {1: gaps})
    report = chain_verify(kept, bridges, removed)
    assert report.intact and report.checked == len(kept) and report.removed == len(removing)
    # Without the gaps, a removal anywhere but at the end is a break.
    tail_only = removing == set(range(n - len(removing) + 1, n + 1))
    assert chain_verify(kept).intact == tail_only


def test_a_gap_changed_added_or_taken_away_voids_its_seal():
    rows = chain(6)
    gaps = gaps_find(links(rows), {2, 4})
    digest = gaps_digest(gaps)
    assert len(gaps) == 2
    forged = gaps_find(links(rows), {2, 3, 4})
    for tampered in (gaps[:1], [*gaps, *forged], forged):
        assert bridges_sealed({1: digest}, {1: tampered}) == ([], 0)
    kept = [r for r in rows if r.pk not in {2, 4}]
    assert not chain_verify(kept, *bridges_sealed({1: digest}, {1: gaps[:1]})).intact


# --- The database: only refused-access rows older than the cutoff, the chain intact ---


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def trail(now):
    """Old refusals in two runs and at the end, between other old rows; a recent refusal."""
    old = now - timedelta(days=400)
    actions = [DENIED, DENIED, "state_change", DENIED, "protected_read", DENIED, DENIED]
    rows = [audit_record(action=a, object_type="report", object_id=i, at=old) for i, a in enumerate(actions)]
    rows.append(audit_record(action=DENIED, object_type="report", object_id=99, at=now - timedelta(days=40)))
    return rows


def test_old_refusals_go_and_the_chain_still_verifies(db):
    now = timezone.now()
    rows = trail(now)
    removed = audit_purge_refused(cutoff=now - timedelta(days=365), batch=100, now=now)
    assert removed == 5
    left = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert left == ["state_change", "protected_read", DENIED, AuditAction.AUDIT_SEAL]
    assert AuditEvent.objects.filter(pk=rows[-1].pk).exists()  # the recent refusal stays
    seal = AuditEvent.objects.get(action=AuditAction.AUDIT_SEAL)
    assert seal.detail.startswith("removed 5 refused-access rows before ")
    assert [(g.first_id, g.last_id, g.removed) for g in AuditGap.objects.filter(seal=seal)] == [
        (rows[0].pk, rows[1].pk, 2),
        (rows[3].pk, rows[3].pk, 1),
        (rows[5].pk, rows[6].pk, 2),
    ]
    out = verify()
    assert "intact: 4 rows" in out and "Retention removed 5 refused-access rows" in out


def test_a_second_purge_next_to_the_first_still_verifies(db):
    now = timezone.now()
    rows = trail(now)
    assert audit_purge_refused(cutoff=now - timedelta(days=365), batch=2, now=now) == 2
    assert audit_purge_refused(cutoff=now - timedelta(days=365), batch=2, now=now) == 2
    assert "Retention removed 4 refused-access rows" in verify()
    assert audit_purge_refused(cutoff=now - timedelta(days=365), batch=2, now=now) == 1
    assert "intact: 6 rows" in verify()
    assert AuditEvent.objects.filter(pk__in=[rows[2].pk, rows[4].pk, rows[7].pk]).count() == 3


def test_the_batch_limit_takes_the_oldest_first(db):
    now = timezone.now()
    rows = trail(now)
    assert audit_purge_refused(cutoff=now - timedelta(days=365), batch=3, now=now) == 3
    gone = {rows[0].pk, rows[1].pk, rows[3].pk}
    assert not AuditEvent.objects.filter(pk__in=gone).exists()
    assert AuditEvent.objects.filter(pk=rows[5].pk).exists()
    assert "intact" in verify()


def test_nothing_newer_than_the_floor_is_removed(db):
    now = timezone.now()
    with pytest.raises(ValueError, match="at least 30 days"):
        audit_purge_refused(cutoff=now - timedelta(days=29), batch=10, now=now)


def tamper(sql: str, params: list[object]) -> None:
    """Change the gaps behind the seal's back, as only the tables' owner could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_gap_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_gap_no_delete")
            cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditgap SET removed = removed + 1 WHERE id = %s",
        "DELETE FROM audit_auditgap WHERE id = %s",
        "INSERT INTO audit_auditgap (seal_id, before_hash, after_hash, removed, first_id, last_id)"
        " SELECT seal_id, before_hash, after_hash, 1, first_id, last_id FROM audit_auditgap WHERE id = %s",
    ],
)
def test_a_gap_changed_removed_or_forged_breaks_the_verification(db, sql):
    now = timezone.now()
    trail(now)
    audit_purge_refused(cutoff=now - timedelta(days=365), batch=100, now=now)
    tamper(sql, [AuditGap.objects.order_by("id").first().pk])
    with pytest.raises(CommandError, match="broken at row"):
        verify()


def test_the_database_refuses_any_other_removal(db):
    now = timezone.now()
    rows = trail(now)
    audit_purge_refused(cutoff=now - timedelta(days=365), batch=100, now=now)
    gap = AuditGap.objects.first()
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=rows[-1].pk).delete(),
        lambda: AuditGap.objects.filter(pk=gap.pk).update(removed=9),
        lambda: AuditGap.objects.filter(pk=gap.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()


def test_the_admin_verification_says_what_retention_removed(cast):
    from django.test import Client

    now = timezone.now()
    trail(now)
    audit_purge_refused(cutoff=now - timedelta(days=365), batch=100, now=now)
    client = Client()
    client.force_login(cast.admin)
    page = client.get("/admin/audit/auditevent/verify/").content.decode()
    assert "The audit trail is intact" in page and "Retention removed 5 refused-access events" in page


@pytest.mark.django_db(transaction=True)
def test_a_whole_database_flush_empties_the_gaps_too():
    now = timezone.now()
    trail(now)
    audit_purge_refused(cutoff=now - timedelta(days=365), batch=100, now=now)
    assert AuditGap.objects.exists()
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditGap.objects.exists() and not AuditEvent.objects.exists()
