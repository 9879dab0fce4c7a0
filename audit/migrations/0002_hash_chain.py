# The hash chain (audit.chain): every row gets the previous row's hash and its own, the
# existing rows in id order; and the rows that name several objects (object_ids).

from django.db import migrations, models

from audit.chain import GENESIS, row_hash

# Frozen copies of audit.seal's statements as they stood when this migration was written.
SQLITE_SEAL = ["\n    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent\n    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;\n    ", "\n    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent\n    WHEN ewers_audit_sealed()\n    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;\n    "]
SQLITE_UNSEAL = ['DROP TRIGGER IF EXISTS audit_event_no_update;', 'DROP TRIGGER IF EXISTS audit_event_no_delete;']
ACTIONS = ['state_change', 'assignment_created', 'protected_read', 'access_denied', 'account_change']


def chain_fill(apps, schema_editor):
    """Chain the rows written before the chain existed, oldest first. The seal refuses
    UPDATE: it is lifted for this step (the migration runs as the table's owner) and put
    back. SQLite rebuilt the table for the new columns, dropping its triggers: they are
    installed again here."""
    vendor = schema_editor.connection.vendor
    AuditEvent = apps.get_model("audit", "AuditEvent")
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    elif vendor == "sqlite":
        for statement in SQLITE_UNSEAL:
            schema_editor.execute(statement)
    previous = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        event.prev_hash = previous
        event.hash = row_hash(previous, event)
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)
        previous = event.hash
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")
    elif vendor == "sqlite":
        for statement in SQLITE_SEAL:
            schema_editor.execute(statement)


def seal_again(apps, schema_editor):
    """Going back: SQLite rebuilds the table again, dropping the triggers; put them back."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UNSEAL + SQLITE_SEAL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_audit_trail'),
    ]

    operations = [
        migrations.RunPython(seal_again, migrations.RunPython.noop),
        migrations.AddField(
            model_name='auditevent',
            name='object_ids',
            field=models.TextField(blank=True, verbose_name='object ids'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(default='', editable=False, max_length=64, verbose_name='previous hash'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(default='', editable=False, max_length=64, verbose_name='hash'),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('state_change', 'State change'), ('assignment_created', 'Assignment created'), ('protected_read', 'Protected field read'), ('access_denied', 'Access denied'), ('account_change', 'Account change')], max_length=32, verbose_name='action'),
        ),
        migrations.RemoveConstraint(
            model_name='auditevent',
            name='audit_event_action_valid',
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ACTIONS)), name='audit_event_action_valid'),
        ),
        migrations.RunPython(chain_fill, seal_again),
    ]
