"""Delivering SMS and voice-call codes: a development outbox, or an HTTP gateway in production."""

from __future__ import annotations

from typing import Protocol

import requests
from django.conf import settings

from accounts.models import OutboundMessage


class GatewayError(Exception):
    pass


class MessageGateway(Protocol):
    def deliver(self, message: OutboundMessage) -> None: ...


class OutboxGateway:
    """Keeps the message in the database; `/dev/outbox/` shows it when DEBUG is on."""

    def deliver(self, message: OutboundMessage) -> None:
        return None


class HttpGateway:
    """POSTs JSON to the operator's SMS/voice gateway with a bearer token."""

    def __init__(self, url: str, token: str, sender: str) -> None:
        self.url, self.token, self.sender = url, token, sender

    def deliver(self, message: OutboundMessage) -> None:
        try:
            response = requests.post(
                self.url,
                json={"to": message.phone, "channel": message.channel, "text": message.body, "sender": self.sender},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=5,
            )
        except requests.RequestException as exc:
            raise GatewayError(type(exc).__name__) from exc
        if response.status_code >= 300:
            raise GatewayError(f"gateway answered {response.status_code}")


def get_gateway() -> MessageGateway:
    if settings.SMS_BACKEND == "http":
        return HttpGateway(settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN, settings.SMS_SENDER_NAME)
    return OutboxGateway()
