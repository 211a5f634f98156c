"""Codes reach people through a gateway: the dev outbox, or an HTTP gateway that is retried."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import responses
from django.utils import timezone

from accounts.actions import send_one_time_code
from accounts.models import MessageStatus, OneTimeCode, OutboundMessage, Purpose
from accounts.tasks import deliver_message, resend_pending_messages

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


# --- Redis away: no error page, nothing pending for ever (docs/threat-model.md) ----------------------------

CLOSED_PORT = "redis://127.0.0.1:1/0"
GRANDMA = {"name": "王秀英", "id_number": "330100194403121123", "phone": "13800138001", "action": "send_sms"}


@pytest.fixture
def broker_down():
    """The Celery broker at a closed port, and tasks really sent to it (not run in-process)."""
    app = deliver_message.app
    saved = {key: app.conf[key] for key in ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER")}
    # Celery keeps its connection pools on the app: start from none, and put the configured ones back after.
    saved_pools = app._pool, app.amqp._producer_pool
    app._pool = app.amqp._producer_pool = None
    app.conf.update(CELERY_BROKER_URL=CLOSED_PORT, CELERY_TASK_ALWAYS_EAGER=False)
    yield
    app.conf.update(saved)
    app._pool, app.amqp._producer_pool = saved_pools


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_PORT}}


def test_with_redis_away_asking_for_a_code_says_to_try_later_and_leaves_nothing_behind(
        client, mother, broker_down, cache_down):
    response = client.post("/activate/", GRANDMA)
    body = response.content.decode()
    assert response.status_code == 200
    assert "请过几分钟再试" in body and "12393" in body
    assert not OutboundMessage.objects.exists()
    assert not OneTimeCode.objects.exists()


def test_with_the_broker_away_asking_for_a_code_says_the_sms_cannot_go_now(client, mother, broker_down):
    response = client.post("/activate/", GRANDMA)
    body = response.content.decode()
    assert response.status_code == 200
    assert "短信暂时发不出去，请过几分钟再试" in body and "12393" in body
    assert "验证码已发到" not in body
    assert not OutboundMessage.objects.exists()
    # Her hourly allowance of codes is not used up by codes that were never made.
    assert not OneTimeCode.objects.exists()


def test_with_the_broker_away_the_son_is_told_and_no_request_is_left_waiting(son, mother, broker_down):
    from conftest import client_for
    from family.models import ProxyGrant

    response = client_for(son).post("/family/add/", {"name": "王秀英", "id_number": "330100194403121123",
                                                     "relationship": "child", "scopes": ["show_code"]})
    assert response.status_code == 200
    assert "短信暂时发不出去" in response.content.decode()
    assert not ProxyGrant.objects.exists()


def test_a_message_the_broker_refused_after_all_stays_pending_for_the_resend_job(client, mother, broker_down,
                                                                               monkeypatch):
    # The broker answered the check before the code was made, then went away before the task was sent.
    monkeypatch.setattr("accounts.actions.delivery_possible", lambda: True)
    response = client.post("/activate/", GRANDMA)
    assert response.status_code == 200
    message = OutboundMessage.objects.get()
    assert message.status == MessageStatus.PENDING


def _pending(age_seconds: int, **fields) -> OutboundMessage:
    message = OutboundMessage.objects.create(phone="+8613800138001", body="【医保通】您的验证码是123456", **fields)
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - dt.timedelta(seconds=age_seconds))
    return message


@responses.activate
def test_the_resend_job_delivers_a_stuck_message_once_even_when_run_twice(db, http_gateway):
    responses.post(GATEWAY, json={"ok": True})
    message = _pending(90)
    assert resend_pending_messages.apply().get() == 1
    assert resend_pending_messages.apply().get() == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.sent_at is not None
    assert len(responses.calls) == 1


@responses.activate
def test_the_resend_job_leaves_fresh_messages_to_their_own_task(db, http_gateway):
    responses.post(GATEWAY, json={"ok": True})
    message = _pending(5)
    assert resend_pending_messages.apply().get() == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert not responses.calls


@responses.activate
def test_the_resend_job_gives_up_on_what_is_too_old_or_tried_too_often(db, http_gateway, settings):
    responses.post(GATEWAY, status=503)
    stale = _pending(settings.SMS_RESEND_MAX_AGE_SECONDS + 60)
    old_call = _pending(settings.OTP_CODE_TTL_SECONDS + 60, channel="voice")
    settings.SMS_RESEND_MAX_ATTEMPTS = 2
    failing = _pending(120)
    resend_pending_messages.apply()
    failing.refresh_from_db()
    assert failing.status == MessageStatus.PENDING and failing.attempts == 1
    resend_pending_messages.apply()
    for message in (stale, old_call, failing):
        message.refresh_from_db()
        assert message.status == MessageStatus.FAILED
    assert len(responses.calls) == 2  # only the message still worth sending was tried


def test_the_resend_job_runs_every_minute_on_beat():
    from portal.celery import app

    entries = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert entries["accounts.tasks.resend_pending_messages"] == 60.0
    assert "accounts.tasks.resend_pending_messages" in app.tasks
