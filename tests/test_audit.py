"""The account record is append-only and tells 奶奶 what was done on her account, and by whom."""

from __future__ import annotations

import pytest

from audit.actions import record_event
from audit.models import AppendOnlyError, AuditEvent, Via
from tests.helpers import activate_all_the_way


def test_an_audit_event_cannot_be_changed(mother_user, mother):
    event = record_event(action="voucher.code_shown", actor=mother_user, subject=mother)
    event.action = "something.else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")


def test_an_audit_event_cannot_be_deleted(mother_user, mother):
    event = record_event(action="voucher.code_shown", actor=mother_user, subject=mother)
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(subject=mother).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_grandmas_record_names_herself_and_the_hospital(mother_client, mother_user, mother):
    record_event(action="voucher.code_verified", via=Via.INSTITUTION, actor_label="测试第一医院", subject=mother)
    body = mother_client.get("/account/record/").content.decode()
    assert "开通了医保码" in body
    assert "您本人" in body
    assert "测试第一医院" in body
    assert "医院或药店核验了医保码" in body


def test_a_long_record_is_split_into_pages(mother_client, mother_user, mother):
    for _ in range(45):
        record_event(action="voucher.code_shown", actor=mother_user, subject=mother)
    first = mother_client.get("/account/record/").content.decode()
    assert "第 1 页，共 3 页" in first
    assert "下一页" in first
    last = mother_client.get("/account/record/?page=3").content.decode()
    assert "上一页" in last
    assert mother_client.get("/account/record/?page=abc").status_code == 200
    assert mother_client.get("/account/record/?page=999").status_code == 200


def test_every_activation_step_leaves_an_event_with_the_ip(client, mother):
    activate_all_the_way(client)
    events = AuditEvent.objects.filter(subject=mother)
    assert events.filter(action="voucher.activated", via=Via.SELF).count() == 1
    assert all(e.ip_address == "127.0.0.1" for e in events)


def test_even_raw_sql_cannot_change_or_delete_her_audit_events_in_the_embedded_database(mother_user, mother):
    from django.db import DatabaseError, connection, transaction

    assert connection.vendor == "sqlite"
    event = record_event(action="voucher.code_shown", actor=mother_user, subject=mother)
    for statement in ("UPDATE audit_auditevent SET action = 'voucher.nothing_happened' WHERE id = %s",
                      "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "voucher.code_shown"


def test_flush_refuses_to_erase_the_audit_trail_outside_the_tests(mother_user, mother, settings):
    from django.core.management import CommandError, call_command

    settings.AUDIT_TRAIL_FLUSHABLE = False
    event = record_event(action="voucher.code_shown", actor=mother_user, subject=mother)
    with pytest.raises(CommandError, match="append-only"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_test_suites_flush_still_empties_the_database_and_the_guard_comes_back(mother_user, mother):
    from django.core.management import call_command
    from django.db import DatabaseError, connection, transaction

    record_event(action="voucher.code_shown", actor=mother_user, subject=mother)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    event = AuditEvent.objects.create(action="x.y", via=Via.SYSTEM)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
