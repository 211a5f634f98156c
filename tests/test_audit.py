"""The account record is append-only and tells 奶奶 what was done on her account, and by whom."""

from __future__ import annotations

import pytest

from audit.actions import record_event
from audit.models import AppendOnlyError, AuditEvent, Via


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
    from tests.test_activation import activate_all_the_way

    activate_all_the_way(client)
    events = AuditEvent.objects.filter(subject=mother)
    assert events.filter(action="voucher.activated", via=Via.SELF).count() == 1
    assert all(e.ip_address == "127.0.0.1" for e in events)
