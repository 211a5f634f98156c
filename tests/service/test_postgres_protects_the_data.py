"""In PostgreSQL itself: identifiers are stored encrypted, and the audit trail cannot be rewritten."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from insurance.models import InsuredPerson

pytestmark = pytest.mark.service


def _raw_row(table: str, pk: int) -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        columns = [c.name for c in cursor.description]
        row = cursor.fetchone()
    assert row is not None
    return dict(zip(columns, row, strict=True))


@pytest.mark.service
@pytest.mark.django_db
def test_grandmas_id_number_and_phone_are_not_readable_in_the_database_row(services, mother):
    assert connection.vendor == "postgresql"
    row = _raw_row("insurance_insuredperson", mother.pk)
    raw = " ".join(str(value) for value in row.values())

    assert "330100194403121123" not in raw
    assert "13800138001" not in raw
    # The row really holds her data, only sealed: the application still reads it back.
    reread = InsuredPerson.objects.get(pk=mother.pk)
    assert reread.id_number == "330100194403121123"
    assert reread.phone == "+8613800138001"
    assert row["id_number"] and row["phone"]


@pytest.mark.service
@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_an_audit_event_even_with_raw_sql(services, mother_user):
    event = AuditEvent.objects.filter(subject=mother_user.person).first()
    assert event is not None, "activating grandma's voucher should have left an audit event"

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'voucher.nothing_happened' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert _raw_row("audit_auditevent", event.pk)["action"] == event.action
