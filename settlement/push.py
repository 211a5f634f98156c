"""Settlement's live events (published through `live`): her own pages show `#settlement-status`, the pages of
everyone allowed to watch her (proxies with view_settlements, a helper kiosk serving her) show `#family-live`,
and her counter shows `#counter-status`. Registered at start-up by SettlementConfig.ready.

The settlement is loaded once per push and its fragments rendered once per language, not once per page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from accounts.models import Role
from live import (
    Event,
    publish_all,
    register_counter_access,
    register_current_state,
    register_fragment,
    to_counters,
    to_person,
    to_watchers,
)
from live.fragments import COUNTER_SOCKET, STATUS_SOCKET
from settlement.models import Settlement
from settlement.texts import headline, spoken

STATUS = "settlement.status"  # her own settlement, on her pages
WATCHED = "settlement.watched"  # a settlement of someone this page may watch
COUNTER = "settlement.counter"  # the counter's own settlements
TEMPLATES = {STATUS: "settlement/_status.html", WATCHED: "settlement/_watch_status.html",
             COUNTER: "counter/_status.html"}
TARGETS = {STATUS: "settlement-status", WATCHED: "family-live", COUNTER: "counter-status"}

RECENT = dt.timedelta(minutes=15)
SHOW_FINISHED_FOR = dt.timedelta(minutes=2)


def render_status(settlement: Settlement, template: str, language: str) -> str:
    with translation.override(language):
        return render_to_string(template, {"s": settlement, "headline": headline(settlement),
                                           "spoken": spoken(settlement)})


def _load(ref: Any) -> Settlement | None:
    if isinstance(ref, Settlement):
        return ref
    return Settlement.objects.select_related("person", "institution").filter(pk=ref).first()


def _renderer(template: str):
    def render(ref: Any, language: str) -> str | None:
        settlement = _load(ref)
        return render_status(settlement, template, language) if settlement is not None else None

    return render


def push_settlement(settlement_id: int) -> None:
    """Send the current state to everyone allowed to see it. A failing channel layer never fails the
    settlement (pages re-fetch on reconnect); each send is bounded by live's PUSH_TIMEOUT, so a Redis that
    stalls cannot hold the worker (or, for the first push, the counter's request) after the state is committed."""
    settlement = _load(settlement_id)
    if settlement is None:
        return
    publish_all([
        Event(STATUS, to_person(settlement.person_id), settlement),
        Event(WATCHED, to_watchers(settlement.person_id), settlement),
        # operator: each counter shows only its own operator's settlements (and those with none).
        Event(COUNTER, to_counters(settlement.institution_id, settlement.operator_id), settlement),
    ])


def her_current_settlement(user, query: dict[str, str]) -> list[tuple[str, Any]]:
    """What her page opening now should show: a settlement still running, or one that ended a moment ago
    (she reloaded while waiting). `?after=<id>` means she has seen that one and wants her code."""
    if user.person_id is None:
        return []
    now = timezone.now()
    latest = (Settlement.objects.select_related("person", "institution")
              .filter(person_id=user.person_id, created_at__gte=now - RECENT).first())
    if latest is None or query.get("after") == str(latest.public_id):
        return []
    if latest.is_final and latest.finished_at and now - latest.finished_at > SHOW_FINISHED_FOR:
        return []
    return [(STATUS, latest)]


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


RENDERERS = {kind: _renderer(template) for kind, template in TEMPLATES.items()}


def register_settlement_live() -> None:
    for kind, render in RENDERERS.items():
        register_fragment(kind, TARGETS[kind], render)
    register_current_state(STATUS_SOCKET, her_current_settlement)
    register_current_state(COUNTER_SOCKET, counters_current_settlement)
    register_counter_access(counter_of)
