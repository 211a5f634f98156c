"""The practice socket (/ws/practice/): `learn`'s practice pages, which nobody needs to be signed in for (an elder
practises before she has activated anything). Instead of a user, the browser session is what is checked: `learn`
registers, at start-up, which practice groups a session's data allows (her own practice seat, or a practice
counter she opened with its secret link), and the socket joins those. Before every message the session is read
again, so a practice that ended or expired stops at once. Groups hold ids only."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from live.consumers import FORBIDDEN, _query, page_html, page_language
from live.fragments import render
from live.publish import Audience

PRACTICE = "practice"

# session data -> the practice groups this browser may hear now
PracticeAccess = Callable[[dict[str, Any]], list[str]]
# (session data, the socket URL's query) -> (kind, ref) events a page opening now should show at once
PracticeCurrent = Callable[[dict[str, Any], dict[str, str]], list[tuple[str, Any]]]

_access: list[PracticeAccess] = []
_current: list[PracticeCurrent] = []


def practice_group(practice_id: int) -> str:
    """Her practice pages (one practice seat)."""
    return f"live.practice.{practice_id}"


def practice_counter_group(practice_id: int) -> str:
    """The practice counter of one practice (a solo practice or a class)."""
    return f"live.practice-counter.{practice_id}"


def to_practice(practice_id: int) -> Audience:
    return Audience(PRACTICE, practice_group(practice_id))


def to_practice_counter(practice_id: int) -> Audience:
    return Audience(PRACTICE, practice_counter_group(practice_id))


def register_practice_access(access: PracticeAccess, current: PracticeCurrent | None = None) -> None:
    if access not in _access:
        _access.append(access)
    if current is not None and current not in _current:
        _current.append(current)


def session_data(session_key: str | None) -> dict[str, Any]:
    if not session_key:
        return {}
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()


def allowed_groups(data: dict[str, Any]) -> set[str]:
    groups: set[str] = set()
    for access in _access:
        groups.update(access(data))
    return groups


class PracticeConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.joined: list[str] = []
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        data = await database_sync_to_async(session_data)(self.session_key)
        groups = sorted(await database_sync_to_async(allowed_groups)(data))
        if not groups:
            await self.accept()
            await self.close(code=FORBIDDEN)
            return
        self.language = page_language(self.scope)
        for group in groups:  # joined before the page hears "open": nothing pushed after that is missed
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.accept()
        for html in await database_sync_to_async(self._current)(data):
            await self.send(text_data=html)

    def _current(self, data: dict[str, Any]) -> list[str]:
        events = [event for current in _current for event in current(data, _query(self.scope))]
        rendered = (render(kind, ref, self.language) for kind, ref in events)
        return [html for html in rendered if html]

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        return None  # the page only listens

    async def live_fragment(self, event: dict) -> None:
        if event.get("role") != PRACTICE or not await self._still_allowed():
            return
        html = await page_html(event, self.language)
        if html:
            await self.send(text_data=html)

    async def session_ended(self, event: dict) -> None:
        await self.close(code=FORBIDDEN)

    async def _still_allowed(self) -> bool:
        """Read the session again: groups it no longer allows (the practice expired, was deleted or replaced)
        are left at once; with none left the socket closes."""
        data = await database_sync_to_async(session_data)(self.session_key)
        allowed = await database_sync_to_async(allowed_groups)(data)
        for group in [g for g in self.joined if g not in allowed]:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.joined.remove(group)
        if not self.joined:
            await self.close(code=FORBIDDEN)
            return False
        return True
