"""The database refuses to rewrite the audit trail on every engine we run on.

PostgreSQL: 0002 refuses UPDATE and DELETE row by row; TRUNCATE fires no row triggers, so a statement
trigger refuses it too. What a trigger cannot stop (ALTER TABLE ... DISABLE TRIGGER, DROP) is stopped by
running the app as a role that does not own the table: `manage.py create_app_role` (README, "Production").

SQLite (the embedded default): BEFORE UPDATE and BEFORE DELETE triggers. SQLite drops a table's triggers
when Django rebuilds the table, so a later migration that alters audit_auditevent must create them again
(tests/test_audit.py fails if they are missing).
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""
POSTGRES_BACKWARD = "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;"

SQLITE_FORWARD = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(forward, backward)]
