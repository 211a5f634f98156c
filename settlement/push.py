"""Settlement's live events (published through `live`): her own pages show `#settlement-status`, the pages of
everyone allowed to watch her (proxies with view_settlements, a helper kiosk serving her) show `#family-live`,
and her counter's pages get `settlement.counter` events, which the counter app renders into its own place.
Registered at start-up by SettlementConfig.ready.

The settlement is loaded once per push and its fragments rendered once per language, not once per page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from live import Event, publish_all, register_current_state, register_fragment, to_counters, to_person, to_watchers
from live.fragments import STATUS_SOCKET
from settlement.models import Settlement
from settlement.texts import headline, spoken

STATUS = "settlement.status"  # her own settlement, on her pages
WATCHED = "settlement.watched"  # a settlement of someone this page may watch
COUNTER = "settlement.counter"  # the counter's own settlements: rendered by the counter app (counter/push.py)
TEMPLATES = {STATUS: "settlement/_status.html", WATCHED: "settlement/_watch_status.html"}
TARGETS = {STATUS: "settlement-status", WATCHED: "family-live"}

RECENT = dt.timedelta(minutes=15)
SHOW_FINISHED_FOR = dt.timedelta(minutes=2)


def render_status(settlement: Settlement, template: str, language: str) -> str:
    with translation.override(language):
        return render_to_string(template, {"s": settlement, "headline": headline(settlement),
                                           "spoken": spoken(settlement)})


def load_settlement(ref: Any) -> Settlement | None:
    if isinstance(ref, Settlement):
        return ref
    return Settlement.objects.select_related("person", "institution").filter(pk=ref).first()


def _renderer(template: str):
    def render(ref: Any, language: str) -> str | None:
        settlement = load_settlement(ref)
        return render_status(settlement, template, language) if settlement is not None else None

    return render


def push_settlement(settlement: Settlement | int) -> None:
    """Send the current state to everyone allowed to see it. A failing channel layer never fails the
    settlement (pages re-fetch on reconnect); each send is bounded by live's PUSH_TIMEOUT, so a Redis that
    stalls cannot hold the worker (or, for the first push, the counter's request) after the state is committed."""
    settlement = load_settlement(settlement)
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


RENDERERS = {kind: _renderer(template) for kind, template in TEMPLATES.items()}


def register_settlement_live() -> None:
    for kind, render in RENDERERS.items():
        register_fragment(kind, TARGETS[kind], render)
    register_current_state(STATUS_SOCKET, her_current_settlement)
