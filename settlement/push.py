"""Pushing settlement status to everyone allowed to see it. Group names hold ids only.

The fragment is rendered once per language and sent in the group message, so a thousand open pages
cost one render, not a thousand. Who may join a group is checked when the socket connects.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string
from django.utils import translation

from settlement.models import Settlement
from settlement.texts import headline, spoken

log = logging.getLogger(__name__)
LANGUAGES = ("zh-hans", "en")
PUSH_TIMEOUT = 2.0  # seconds for one push to all groups


def person_group(person_id: int) -> str:
    return f"settlement.person.{person_id}"


def watchers_group(person_id: int) -> str:
    """Proxies (and helper sessions) watching a person: they get a fragment that names her."""
    return f"settlement.watchers.{person_id}"


def user_group(user_id: int) -> str:
    """Every socket of one user: used to take access away at once (a revoked grant)."""
    return f"settlement.user.{user_id}"


def institution_group(institution_id: int) -> str:
    return f"settlement.institution.{institution_id}"


def session_group(session_key: str) -> str:
    """Every socket opened under one signed-in browser session, so ending the session closes them all.
    Named by a keyed hash of the session key: the key itself (a bearer secret) never reaches Redis."""
    from django.utils.crypto import salted_hmac

    digest = salted_hmac("settlement.session-group", session_key, algorithm="sha256").hexdigest()[:40]
    return f"settlement.session.{digest}"


def close_session_sockets(session_key: str | None) -> None:
    """The session ended (sign-out, flush, a kiosk wiped): its open sockets close and hear nothing more.
    Bounded like every push; if the message is lost, the consumer's per-message session check still stops it."""
    layer = get_channel_layer()
    if not session_key or layer is None:
        return

    async def send() -> None:
        await asyncio.wait_for(layer.group_send(session_group(session_key), {"type": "session.ended"}),
                               timeout=PUSH_TIMEOUT)

    try:
        async_to_sync(send)()
    except Exception:
        log.warning("closing the sockets of an ended session failed", exc_info=True)


def render_status(settlement: Settlement, template: str, language: str) -> str:
    with translation.override(language):
        return render_to_string(template, {"s": settlement, "headline": headline(settlement),
                                           "spoken": spoken(settlement)})


def rendered(settlement: Settlement, template: str) -> dict[str, str]:
    return {lang: render_status(settlement, template, lang) for lang in LANGUAGES}


def push_settlement(settlement_id: int) -> None:
    """Send the current state. A failing channel layer never fails the settlement: pages re-fetch on reconnect.

    Each send is bounded by PUSH_TIMEOUT: a Redis that stalls or a link that drops packets would otherwise
    hold the worker (and, for the first push, the counter's request) forever, after the state is committed.
    """
    settlement = Settlement.objects.select_related("person", "institution").filter(pk=settlement_id).first()
    if settlement is None:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    messages = []
    for group, template in ((person_group(settlement.person_id), "settlement/_status.html"),
                            (watchers_group(settlement.person_id), "settlement/_watch_status.html"),
                            (institution_group(settlement.institution_id), "settlement/_counter_status.html")):
        try:
            # operator_id: each counter shows only its own operator's settlements (CounterStatusConsumer).
            kind = "settlement.watch" if group.startswith("settlement.watchers.") else "settlement.update"
            messages.append((group, {"type": kind, "settlement_id": settlement.pk, "person_id": settlement.person_id,
                                     "status": settlement.status, "operator_id": settlement.operator_id,
                                     "html": rendered(settlement, template),
                                     "sent_at": _now()}))
        except Exception:
            log.exception("could not render the push of settlement %s to %s", settlement.pk, group)
    async_to_sync(_send_all)(layer, settlement.pk, messages)


async def _send_all(layer, settlement_id: int, messages: list[tuple[str, dict]]) -> None:
    async def send(group: str, message: dict) -> None:
        try:
            await asyncio.wait_for(layer.group_send(group, message), timeout=PUSH_TIMEOUT)
        except Exception:  # Redis away or silent: log and carry on; the state is in the database
            log.warning("push of settlement %s to %s failed", settlement_id, group, exc_info=True)

    await asyncio.gather(*(send(group, message) for group, message in messages))


def _now() -> float:
    import time

    return time.time()
