"""Websockets for live settlement status. Authorization is checked on connect: 4401 not signed in,
4403 signed in but not allowed. Group names hold ids only; messages carry pre-rendered fragments.

A socket lives no longer than the browser session that opened it: each joins its session's group
(`session_group`, a keyed hash of the key), ending the session sends `session.ended` there, and every
message is checked against the session once more before it is sent (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from settlement.models import Settlement
from settlement.push import (
    institution_group,
    person_group,
    render_status,
    session_group,
    user_group,
    watchers_group,
)
from settlement.watchers import may_watch, watched_person_ids

RECENT = dt.timedelta(minutes=15)
SHOW_FINISHED_FOR = dt.timedelta(minutes=2)
SIGNED_OUT = 4401  # the same code as "not signed in": the page does not try to reconnect


def session_is_alive(session_key: str | None, user_id: int) -> bool:
    """Is this browser session still there, unexpired, and still this user's? One primary-key read."""
    from importlib import import_module

    from django.contrib.auth import SESSION_KEY

    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return store.load().get(SESSION_KEY) == str(user_id)


def _language(scope) -> str:
    cookies = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _sep, val = part.strip().partition("=")
                cookies[key] = val
    return "en" if cookies.get("django_language") == "en" else "zh-hans"


class _StatusConsumer(AsyncWebsocketConsumer):
    template = ""

    async def connect(self) -> None:
        self.joined: list[str] = []
        self.ended = False
        user = self.scope.get("user")
        await self.accept()
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        if user is None or not user.is_authenticated or not self.session_key:
            await self.close(code=4401)
            return
        self.session_user_id = user.pk
        groups, latest_id = await database_sync_to_async(self.authorize)(user)
        if groups is None:
            await self.close(code=4403)
            return
        self.language = _language(self.scope)
        for group in [*groups, session_group(self.session_key)]:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        # On (re)connect the page gets the current state at once: nothing missed while away.
        if latest_id is not None:
            html = await database_sync_to_async(self.render_current)(latest_id)
            if html:
                await self.send(text_data=html)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        return None  # the page only listens

    async def settlement_update(self, event: dict) -> None:
        if await self.still_signed_in():
            await self.send_fragment(event)

    async def send_fragment(self, event: dict) -> None:
        await self.send(text_data=event["html"].get(self.language) or event["html"].get("zh-hans"))

    async def notice_show(self, event: dict) -> None:
        """A one-off fragment for this user's pages (for example a parent's 请家人帮我)."""
        if await self.still_signed_in():
            await self.send_fragment(event)

    async def session_ended(self, event: dict) -> None:
        """Signed out, session flushed or expired, kiosk wiped: close, and leave every group at once."""
        await self.end()

    async def still_signed_in(self) -> bool:
        """Checked before each message, so a lost `session.ended` (or an expiry nobody announced) still
        stops the flow: the next push finds the session gone and closes the socket instead."""
        if self.ended:
            return False
        if await database_sync_to_async(session_is_alive)(self.session_key, self.session_user_id):
            return True
        await self.end()
        return False

    async def end(self) -> None:
        if self.ended:
            return
        self.ended = True
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []
        await self.close(code=SIGNED_OUT)

    def authorize(self, user) -> tuple[list[str] | None, int | None]:
        """(groups to join, settlement to show at once). Subclasses say who may listen; by default nobody."""
        return None, None

    def render_current(self, settlement_id: int) -> str:
        settlement = Settlement.objects.select_related("person", "institution").get(pk=settlement_id)
        return render_status(settlement, self.template, self.language)


class PersonStatusConsumer(_StatusConsumer):
    """A citizen's open pages: her own settlements (proxies and helper sessions join with their issues)."""

    template = "settlement/_status.html"

    def authorize(self, user):
        self.user_id = user.pk
        self.watching = set(watched_person_ids(user))
        if user.person_id is None and not self.watching:
            return None, None
        groups = [user_group(user.pk)] + [watchers_group(pid) for pid in sorted(self.watching)]
        if user.person_id is not None:
            groups.append(person_group(user.person_id))
            return groups, self.current_for(person_id=user.person_id)
        return groups, None

    async def settlement_watch(self, event: dict) -> None:
        """A watched person's settlement. Access is checked again for each message, so a grant revoked
        a moment ago stops the flow even if the revoke push itself was lost."""
        person_id = event.get("person_id")
        if person_id not in self.watching:
            return
        if not await self.still_signed_in():
            return
        user = self.scope["user"]
        if not await database_sync_to_async(may_watch)(user, person_id):
            await self._stop_watching(person_id)
            return
        await self.send_fragment(event)

    async def access_revoked(self, event: dict) -> None:
        await self._stop_watching(event["person_id"])

    async def _stop_watching(self, person_id: int) -> None:
        if self.ended:
            return
        self.watching.discard(person_id)
        group = watchers_group(person_id)
        await self.channel_layer.group_discard(group, self.channel_name)
        if group in self.joined:
            self.joined.remove(group)
        await self.send(text_data=render_to_string("settlement/_watch_revoked.html", {"person_id": person_id}))

    def current_for(self, **filters) -> int | None:
        """What a page opening now should show: a settlement still running, or one that ended a moment
        ago (she reloaded while waiting). `?after=<id>` means she has seen that one and wants her code."""
        from urllib.parse import parse_qs

        now = timezone.now()
        latest = Settlement.objects.filter(created_at__gte=now - RECENT, **filters).first()
        if latest is None:
            return None
        after = parse_qs(self.scope.get("query_string", b"").decode()).get("after", [""])[0]
        if after == str(latest.public_id):
            return None
        if latest.is_final and latest.finished_at and now - latest.finished_at > SHOW_FINISHED_FOR:
            return None
        return latest.pk


class CounterStatusConsumer(_StatusConsumer):
    """A counter operator's page: settlements of the operator's own institution, after TOTP."""

    template = "settlement/_counter_status.html"

    def authorize(self, user):
        from accounts.models import Role

        if user.role != Role.OPERATOR or user.institution_id is None or not _otp_verified(self.scope, user):
            return None, None
        self.operator_id = user.pk
        latest = (Settlement.objects.filter(institution_id=user.institution_id, operator=user,
                                            created_at__gte=timezone.now() - RECENT)
                  .values_list("pk", flat=True).first())
        return [institution_group(user.institution_id)], latest

    async def settlement_update(self, event: dict) -> None:
        # One institution, many counters: each shows its own operator's settlements (and those that
        # came in through the API with no operator), not the patient at the next window.
        operator_id = event.get("operator_id")
        if operator_id is not None and operator_id != getattr(self, "operator_id", None):
            return
        await super().settlement_update(event)


def _otp_verified(scope, user) -> bool:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    session = scope.get("session")
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed
