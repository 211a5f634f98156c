"""A message stuck as pending (its task never reached a worker) is sent by the beat job exactly once, on
PostgreSQL, even when two workers run the job at the same moment, or the job meets the message's own
delayed task (docs/threat-model.md)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import MessageStatus, OutboundMessage
from accounts.tasks import deliver_message, resend_pending_messages

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


class SlowGateway:
    """Takes its time, as a real SMS gateway does, and counts what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self._lock = threading.Lock()

    def deliver(self, message: OutboundMessage) -> None:
        time.sleep(0.5)
        with self._lock:
            self.sent.append(message.pk)


@pytest.fixture
def gateway(monkeypatch, services) -> SlowGateway:
    fake = SlowGateway()
    monkeypatch.setattr("accounts.tasks.get_gateway", lambda: fake)
    return fake


def _stuck_message() -> OutboundMessage:
    message = OutboundMessage.objects.create(phone="+8613800138001", body="【医保通】您的验证码是123456")
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))
    return message


def _at_once(*jobs) -> None:
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            start.wait()
            job()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


def test_two_workers_running_the_resend_job_at_once_send_a_stuck_message_once(gateway):
    message = _stuck_message()
    _at_once(lambda: resend_pending_messages.apply(), lambda: resend_pending_messages.apply())
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    assert gateway.sent == [message.pk]


def test_the_resend_job_and_the_messages_own_late_task_send_it_once(gateway):
    message = _stuck_message()
    _at_once(lambda: resend_pending_messages.apply(), lambda: deliver_message.apply(args=[message.pk]))
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert gateway.sent == [message.pk]
