"""Codes reach people through a gateway: the dev outbox, or an HTTP gateway that is retried."""

from __future__ import annotations

import json

import pytest
import responses

from accounts.actions import send_one_time_code
from accounts.models import MessageStatus, OutboundMessage, Purpose
from accounts.tasks import deliver_message

GATEWAY = "https://sms-gateway.test/send"


@pytest.fixture
def http_gateway(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = GATEWAY
    settings.SMS_GATEWAY_TOKEN = "gateway-token"


def test_in_development_a_code_lands_in_the_outbox_as_sent(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_one_time_code(phone_e164="+8613800138001", purpose=Purpose.SIGN_IN)
    message = OutboundMessage.objects.get()
    assert message.status == MessageStatus.SENT
    assert "验证码" in message.body


@responses.activate
def test_in_production_the_code_is_posted_to_the_gateway(db, http_gateway, django_capture_on_commit_callbacks):
    responses.post(GATEWAY, json={"ok": True})
    with django_capture_on_commit_callbacks(execute=True):
        send_one_time_code(phone_e164="+8613800138001", purpose=Purpose.SIGN_IN)
    sent = json.loads(responses.calls[0].request.body)
    assert sent["to"] == "+8613800138001" and sent["channel"] == "sms"
    assert responses.calls[0].request.headers["Authorization"] == "Bearer gateway-token"
    assert OutboundMessage.objects.get().status == MessageStatus.SENT


@responses.activate
def test_a_failing_gateway_is_retried_and_the_message_is_never_sent_twice(db, http_gateway):
    responses.post(GATEWAY, status=503)
    message = OutboundMessage.objects.create(phone="+8613800138001", body="x")
    with pytest.raises(Exception):
        deliver_message.apply(args=[message.pk], throw=True)
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert "503" in message.last_error
    responses.replace(responses.POST, GATEWAY, json={"ok": True})
    deliver_message.apply(args=[message.pk], throw=True)
    deliver_message.apply(args=[message.pk], throw=True)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len([c for c in responses.calls if c.response.status_code == 200]) == 1


def test_a_task_for_a_message_that_does_not_exist_does_nothing(db):
    assert deliver_message.apply(args=[999999]).get() == "skipped"


def test_one_time_codes_are_stored_only_as_keyed_hashes(db):
    from django.db import connection

    send_one_time_code(phone_e164="+8613800138001", purpose=Purpose.SIGN_IN)
    body = OutboundMessage.objects.get().body
    code = "".join(ch for ch in body if ch.isdigit())[:6]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_onetimecode")
        raw = repr(cursor.fetchall())
    assert code not in raw
