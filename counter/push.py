"""The counter's live place (`#counter-status`): settlement publishes `settlement.counter` events to the
counters of the institution, and the counter renders them with its own template. Registered at start-up by
CounterConfig.ready, with who may open a counter socket and what it shows on connect."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from accounts.models import Role
from live import register_counter_access, register_current_state, register_fragment
from live.fragments import COUNTER_SOCKET
from settlement.models import Settlement
from settlement.push import COUNTER, RECENT, load_settlement, render_status

TEMPLATE = "counter/_status.html"
TARGET = "counter-status"


def render_counter_status(ref: Any, language: str) -> str | None:
    settlement = load_settlement(ref)
    return render_status(settlement, TEMPLATE, language) if settlement is not None else None


def counters_current_settlement(user, query: dict[str, str]) -> list[tuple[str, Any]]:
    latest = (Settlement.objects.select_related("person", "institution")
              .filter(institution_id=user.institution_id, operator=user,
                      created_at__gte=timezone.now() - RECENT).first())
    return [(COUNTER, latest)] if latest is not None else []


def counter_of(user, session) -> int | None:
    """An operator's counter follows its institution's settlements, once the operator has passed TOTP."""
    if user.role != Role.OPERATOR or user.institution_id is None:
        return None
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return user.institution_id


def register_counter_live() -> None:
    register_fragment(COUNTER, TARGET, render_counter_status)
    register_current_state(COUNTER_SOCKET, counters_current_settlement)
    register_counter_access(counter_of)
