# Retention's removal of old refused-access rows (docs/operations.md, "Retention"): the gaps
# table, two new actions, PostgreSQL's audit_purge_refused function and the triggers that
# let only its deletes through; the gaps sealed like the events (audit.seal).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# Frozen copies of audit.seal's statements as they stood when this migration was written.
POSTGRESQL_PURGE = ["\n    CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$\n    BEGIN\n        IF TG_OP = 'DELETE' THEN\n            IF OLD.action = 'access_denied'\n               AND current_setting('ewers.audit_purge_refused', true) = 'on' THEN\n                RETURN OLD;\n            END IF;\n        END IF;\n        RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';\n    END;\n    $$ LANGUAGE plpgsql;\n    ", 'DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;', '\n    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent\n    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();\n    ', "\n    CREATE OR REPLACE FUNCTION audit_purge_refused(ids bigint[], cutoff timestamptz) RETURNS integer\n    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$\n    DECLARE\n        removed integer;\n    BEGIN\n        IF cutoff > now() - interval '30 days' THEN\n            RAISE EXCEPTION 'refused-access rows are kept at least 30 days'\n                USING ERRCODE = 'insufficient_privilege';\n        END IF;\n        PERFORM pg_advisory_xact_lock(1096107092);\n        PERFORM set_config('ewers.audit_purge_refused', 'on', true);\n        DELETE FROM audit_auditevent WHERE id = ANY(ids) AND action = 'access_denied' AND at <= cutoff;\n        GET DIAGNOSTICS removed = ROW_COUNT;\n        PERFORM set_config('ewers.audit_purge_refused', 'off', true);\n        RETURN removed;\n    END;\n    $$;\n    ", 'REVOKE ALL ON FUNCTION audit_purge_refused(bigint[], timestamptz) FROM PUBLIC;', '\n    CREATE TRIGGER audit_gap_append_only BEFORE UPDATE OR DELETE ON audit_auditgap\n    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();\n    ']
POSTGRESQL_UNPURGE = ['DROP TRIGGER IF EXISTS audit_gap_append_only ON audit_auditgap;', 'DROP FUNCTION IF EXISTS audit_purge_refused(bigint[], timestamptz);', 'DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;', '\n    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent\n    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();\n    ', 'DROP FUNCTION IF EXISTS audit_event_refuse_change();']
SQLITE_SEAL = ["\n    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent\n    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;\n    ", "\n    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent\n    WHEN ewers_audit_sealed(OLD.action)\n    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;\n    ", "\n    CREATE TRIGGER audit_gap_no_update BEFORE UPDATE ON audit_auditgap\n    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;\n    ", "\n    CREATE TRIGGER audit_gap_no_delete BEFORE DELETE ON audit_auditgap\n    WHEN ewers_audit_sealed()\n    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;\n    "]
SQLITE_UNSEAL = ['DROP TRIGGER IF EXISTS audit_event_no_update;', 'DROP TRIGGER IF EXISTS audit_event_no_delete;', 'DROP TRIGGER IF EXISTS audit_gap_no_update;', 'DROP TRIGGER IF EXISTS audit_gap_no_delete;']
SQLITE_SEAL_BEFORE = ["\n    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent\n    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;\n    ", "\n    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent\n    WHEN ewers_audit_sealed()\n    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;\n    "]


def seal_again(apps, schema_editor):
    """Going back: SQLite rebuilt the events' table, dropping its triggers; the ones of
    before this migration are put back."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UNSEAL + SQLITE_SEAL_BEFORE:
            schema_editor.execute(statement)


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL_PURGE, "sqlite": SQLITE_UNSEAL + SQLITE_SEAL}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_UNPURGE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_hash_chain'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(seal_again, migrations.RunPython.noop),
        migrations.CreateModel(
            name='AuditGap',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('before_hash', models.CharField(editable=False, max_length=64, verbose_name='hash before')),
                ('after_hash', models.CharField(editable=False, max_length=64, verbose_name='hash after')),
                ('removed', models.PositiveIntegerField(editable=False, verbose_name='rows removed')),
                ('first_id', models.BigIntegerField(editable=False, verbose_name='first row removed')),
                ('last_id', models.BigIntegerField(editable=False, verbose_name='last row removed')),
            ],
            options={
                'verbose_name': 'audit gap',
                'verbose_name_plural': 'audit gaps',
                'ordering': ['first_id'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='auditevent',
            name='audit_event_action_valid',
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('state_change', 'State change'), ('assignment_created', 'Assignment created'), ('protected_read', 'Protected field read'), ('access_denied', 'Access denied'), ('account_change', 'Account change'), ('retention_purge', 'Retention purge'), ('audit_seal', 'Audit trail gaps sealed')], max_length=32, verbose_name='action'),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['state_change', 'assignment_created', 'protected_read', 'access_denied', 'account_change', 'retention_purge', 'audit_seal'])), name='audit_event_action_valid'),
        ),
        migrations.AddField(
            model_name='auditgap',
            name='seal',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='gaps', to='audit.auditevent', verbose_name='seal'),
        ),
        migrations.RunPython(install, uninstall),
    ]
