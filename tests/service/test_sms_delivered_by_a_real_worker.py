"""Grandma asks for a one-time code on the real server; a real Celery worker on Redis delivers it."""

from __future__ import annotations

import re
import time

import pytest

from accounts.models import MessageStatus, OutboundMessage
from core import crypto
from service.service_processes import ServiceProcess, http

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


def _wait_for_delivery(phone: str, worker: ServiceProcess, seconds: float = 15) -> OutboundMessage:
    index = crypto.blind_index("phone", phone)
    deadline = time.monotonic() + seconds
    message = None
    while time.monotonic() < deadline:
        message = OutboundMessage.objects.filter(phone_index=index).first()
        if message is not None and message.status == MessageStatus.SENT:
            return message
        time.sleep(0.2)
    state = "no message at all" if message is None else f"status {message.status!r}"
    pytest.fail(f"The code for {phone} was not delivered within {seconds}s ({state}).\n{worker.describe()}",
                pytrace=False)


@pytest.mark.service
def test_grandmas_code_is_sent_by_the_celery_worker_not_the_web_server(asgi_server, celery_worker, mother):
    with http() as session:
        page = session.get(asgi_server.url + "/activate/", timeout=15)
        assert page.status_code == 200, asgi_server.describe()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "the activation page has no CSRF token"

        response = session.post(asgi_server.url + "/activate/", timeout=15, data={
            "csrfmiddlewaretoken": token.group(1),
            "name": "王秀英",
            "id_number": "330100194403121123",
            "phone": "13800138001",
            "action": "send_sms",
        })

    assert response.status_code == 200, asgi_server.describe()
    assert "验证码已发到" in response.text, response.text[-2000:]
    assert "138****8001" in response.text

    message = _wait_for_delivery(mother.phone, celery_worker)
    assert message.attempts == 1
    assert message.sent_at is not None
    assert re.search(r"[0-9]{6}", message.body)
    # The worker's own log shows it received and finished the task; the server queues, never sends.
    worker_log = celery_worker.log(tail=200_000)
    assert "accounts.tasks.deliver_message" in worker_log
    assert re.search(r"Task accounts\.tasks\.deliver_message\[[0-9a-f-]+\] succeeded in [0-9.]+s: 'sent'",
                     worker_log), celery_worker.describe()
    assert "deliver_message" not in asgi_server.log(tail=200_000)
