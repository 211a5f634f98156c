"""On PostgreSQL the audit trail cannot be emptied, even by its owner by mistake, and the role the app runs as
(made by `manage.py create_app_role`) can only read it and add to it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.actions import record_event
from audit.models import AuditEvent

pytestmark = pytest.mark.service


@pytest.mark.django_db
def test_the_database_refuses_to_truncate_the_audit_trail(services, mother_user):
    assert connection.vendor == "postgresql"
    assert AuditEvent.objects.filter(subject=mother_user.person).exists()
    # Tables that point at the trail (a notice names the event it tells of) refuse a plain TRUNCATE even before
    # the trigger does; with CASCADE the statement reaches the trigger, which refuses it.
    refusals = {"TRUNCATE audit_auditevent": "append-only|referenced in a foreign key",
                "TRUNCATE audit_auditevent CASCADE": "append-only"}
    for statement, refusal in refusals.items():
        with pytest.raises(DatabaseError, match=refusal), transaction.atomic(), connection.cursor() as cursor:
            # Check this test's own deferred foreign keys now, so TRUNCATE meets the trigger, not them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(statement)
    assert AuditEvent.objects.filter(subject=mother_user.person).exists()


@pytest.mark.django_db
def test_create_app_role_prints_sql_that_grants_the_audit_trail_only_select_and_insert(services):
    out = StringIO()
    call_command("create_app_role", role="yibaotong_app", stdout=out)
    sql = out.getvalue()
    assert 'GRANT SELECT, INSERT ON "public"."audit_auditevent" TO "yibaotong_app";' in sql
    assert 'REVOKE ALL ON "public"."audit_auditevent" FROM "yibaotong_app";' in sql
    assert "OWNER" not in sql.upper().replace("OWNER OF", "")


@pytest.fixture
def app_role(services, transactional_db) -> Iterator[str]:
    """A role made by the command, on the test database; dropped afterwards (roles are cluster-wide)."""
    role = f"yibaotong_app_test_{os.getpid()}"
    call_command("create_app_role", role=role, execute=True, stdout=StringIO())
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')


def connect_as(role: str) -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(host=s.get("HOST") or "127.0.0.1", port=s.get("PORT") or 5432, dbname=s["NAME"],
                           user=role, autocommit=True, connect_timeout=5)


def test_the_app_role_can_read_and_add_audit_events_but_never_change_remove_or_unguard_them(
        app_role, mother_user, mother):
    event = record_event(action="voucher.code_shown", actor=mother_user, subject=mother)
    with connect_as(app_role) as conn:
        # What the app needs: read and add to the trail, and change its own tables.
        assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] >= 1
        conn.execute("INSERT INTO audit_auditevent (public_id, created_at, actor_label, via, action, detail) "
                     "VALUES (gen_random_uuid(), now(), '', 'system', 'test.added_by_app_role', '{}')")
        assert conn.execute("UPDATE accounts_user SET display_name = display_name WHERE id = %s",
                            [mother_user.pk]).rowcount == 1
        # What it may never do to the trail.
        for statement in (
            f"UPDATE audit_auditevent SET action = 'voucher.nothing_happened' WHERE id = {event.pk}",
            f"DELETE FROM audit_auditevent WHERE id = {event.pk}",
            "TRUNCATE audit_auditevent",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update",
            "DROP TABLE audit_auditevent",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert AuditEvent.objects.get(pk=event.pk).action == "voucher.code_shown"
    assert AuditEvent.objects.filter(action="test.added_by_app_role").count() == 1


def test_create_app_role_refuses_to_make_the_owner_the_app_role(services, transactional_db):
    from django.core.management.base import CommandError

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError):
        call_command("create_app_role", role=owner, execute=True, stdout=StringIO())
