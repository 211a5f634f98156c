"""The sockets of the live pages. Authorization is checked on connect: 4401 not signed in, 4403 signed in but
nothing to follow. Messages carry fragments already rendered in every language; each socket sends the one in
its page's language (the `?lang=` the page was served in, else the language cookie, else the default).

A socket lives no longer than the browser session that opened it: it joins its session's group
(`session_group`, a keyed hash of the key), ending the session sends `session.ended` there, and every message
is checked against the session once more before it is sent (docs/architecture.md, "Live updates")."""

from __future__ import annotations

from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

from live.auth import db_call
from live.fragments import COUNTER_SOCKET, STATUS_SOCKET, current_state, languages, render
from live.groups import institution_group, person_group, session_group, user_group, watchers_group
from live.publish import COUNTERS, PERSON, USER, WATCHERS
from live.watchers import counter_institution, may_watch, watches

SIGNED_OUT = 4401  # the same code as "not signed in": the page does not try to reconnect
FORBIDDEN = 4403


DB_SESSIONS = "django.contrib.sessions.backends.db"


def session_is_alive(session_key: str | None, user_id: int) -> bool:
    """Is this browser session still there, unexpired, and still this user's? One primary-key read."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if settings.SESSION_ENGINE == DB_SESSIONS:
        # Asked before every message a page is sent: the same read as `load()`, without building the ORM query.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT session_data FROM {Session._meta.db_table} "  # noqa: S608
                           "WHERE session_key = %s AND expire_date > %s",
                           [session_key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        return row is not None and store.decode(row[0]).get(SESSION_KEY) == str(user_id)
    return store.load().get(SESSION_KEY) == str(user_id)


def _query(scope) -> dict[str, str]:
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return {key: values[0] for key, values in parsed.items() if values}


def _cookies(scope) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _sep, val = part.strip().partition("=")
                cookies[key] = val
    return cookies


def page_language(scope) -> str:
    """The language the page was served in: `?lang=` (the page's own LANGUAGE_CODE), else the language
    cookie, else the site's default. Only languages the site speaks are taken."""
    spoken = languages()
    for candidate in (_query(scope).get("lang", ""), _cookies(scope).get(settings.LANGUAGE_COOKIE_NAME, "")):
        if candidate.lower() in spoken:
            return candidate.lower()
    return settings.LANGUAGE_CODE


async def page_html(event: dict, language: str) -> str | None:
    """The message's fragment in this page's language: as published (the site's language), or rendered here
    from the event's reference for a page in another language (live/publish.py). Called after the checks."""
    html = event["html"].get(language)
    if html is None and event.get("ref") is not None and language in languages() and event["html"]:
        html = await db_call(render)(event["kind"], event["ref"], language)
    return html or event["html"].get(settings.LANGUAGE_CODE)


class _LiveConsumer(AsyncWebsocketConsumer):
    socket = ""  # which current-state providers answer when the page connects

    async def connect(self) -> None:
        self.joined: list[str] = []
        self.ended = False
        user = self.scope.get("user")
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        if user is None or not user.is_authenticated or not self.session_key:
            await self.refuse(SIGNED_OUT)
            return
        self.session_user_id = user.pk
        groups = await db_call(self.authorize)(user)
        if groups is None:
            await self.refuse(FORBIDDEN)
            return
        self.language = page_language(self.scope)
        # Join before accepting: once the page sees its socket open, whatever is committed after reaches it
        # (messages that arrive meanwhile wait in the channel until connect returns).
        for group in [*groups, session_group(self.session_key)]:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.accept()
        # On (re)connect the page gets the current state at once: nothing missed while away.
        for html in await db_call(self.render_current)(user):
            await self.send(text_data=html)

    async def refuse(self, code: int) -> None:
        """Accept only to close with a code the page's script understands (a refused handshake has none)."""
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        return None  # the page only listens

    def authorize(self, user) -> list[str] | None:
        """The groups to join. Subclasses say who may listen; by default nobody."""
        return None

    def render_current(self, user) -> list[str]:
        rendered = (render(kind, ref, self.language) for kind, ref in current_state(self.socket, user, _query(self.scope)))
        return [html for html in rendered if html]

    def accepts(self, event: dict) -> bool:
        return False

    async def live_fragment(self, event: dict) -> None:
        if self.ended:
            return
        if event.get("stop_watching") is not None:
            await self.stop_watching(event["stop_watching"], announce=False)
        if not self.accepts(event) or not await self.still_signed_in():
            return
        if event["role"] == WATCHERS and not await self.still_may_watch(event["person_id"]):
            return
        html = await page_html(event, self.language)
        if html:
            await self.send(text_data=html)
            self.shown(event)

    def shown(self, event: dict) -> None:
        return None

    async def still_may_watch(self, person_id: int) -> bool:
        return True

    async def stop_watching(self, person_id: int, *, announce: bool) -> None:
        return None

    async def session_ended(self, event: dict) -> None:
        """Signed out, session flushed or expired, kiosk wiped: close, and leave every group at once."""
        await self.end()

    async def still_signed_in(self) -> bool:
        """Checked before each message, so a lost `session.ended` (or an expiry nobody announced) still
        stops the flow: the next push finds the session gone and closes the socket instead."""
        if self.ended:
            return False
        if await db_call(session_is_alive)(self.session_key, self.session_user_id):
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


class StatusConsumer(_LiveConsumer):
    """A signed-in person's pages: her own settlements, the people she may watch (a proxy's principals, the
    citizen a helper kiosk is serving) and notices for her. Citizens, proxies and helper kiosks alike."""

    socket = STATUS_SOCKET

    def authorize(self, user) -> list[str] | None:
        # person id -> the fragment kinds that say "you may no longer see her"
        self.watching: dict[int, tuple[str, ...]] = watches(user)
        self.watch_slots: dict[str, int] = {}  # page slot -> whose settlement it shows now
        if user.person_id is None and not self.watching:
            return None
        groups = [user_group(user.pk)] + [watchers_group(pid) for pid in self.watching]
        if user.person_id is not None:
            groups.append(person_group(user.person_id))
        return groups

    def accepts(self, event: dict) -> bool:
        if event["role"] == WATCHERS:
            return event["person_id"] in self.watching
        return event["role"] in (PERSON, USER)

    async def still_may_watch(self, person_id: int) -> bool:
        """Access is checked again for each watched message, so a grant revoked (or a helper session ended) a
        moment ago stops the flow even if its announcement was lost."""
        if await db_call(may_watch)(self.scope["user"], person_id):
            return True
        await self.stop_watching(person_id, announce=True)
        return False

    def shown(self, event: dict) -> None:
        if event["role"] == WATCHERS and event.get("target"):
            self.watch_slots[event["target"]] = event["person_id"]

    async def stop_watching(self, person_id: int, *, announce: bool) -> None:
        """Leave her watchers' group and empty every slot that shows her; with `announce`, also show the
        page what its watch provider says when a watch ends (the announcement itself said nothing)."""
        if self.ended:
            return
        ended_kinds = self.watching.pop(person_id, ())
        group = watchers_group(person_id)
        await self.channel_layer.group_discard(group, self.channel_name)
        if group in self.joined:
            self.joined.remove(group)
        for target in [t for t, pid in self.watch_slots.items() if pid == person_id]:
            del self.watch_slots[target]
            await self.send(text_data=render_to_string("live/_emptied.html", {"target": target}))
        if announce:
            for html in await db_call(self._render_each)(ended_kinds, person_id):
                await self.send(text_data=html)

    def _render_each(self, kinds: tuple[str, ...], ref: Any) -> list[str]:
        return [html for html in (render(kind, ref, self.language) for kind in kinds) if html]


class CounterConsumer(_LiveConsumer):
    """A counter operator's page: settlements of the institution whose counter a registered check says this
    is (the counter side checks the role and the TOTP), each counter only its own operator's."""

    socket = COUNTER_SOCKET

    def authorize(self, user) -> list[str] | None:
        institution_id = counter_institution(user, self.scope.get("session"))
        if institution_id is None:
            return None
        self.operator_id = user.pk
        return [institution_group(institution_id)]

    def accepts(self, event: dict) -> bool:
        # One institution, many counters: each shows its own operator's settlements (and those that came in
        # through the API with no operator), not the patient at the next window.
        operator_id = event.get("operator_id")
        return event["role"] == COUNTERS and (operator_id is None or operator_id == self.operator_id)
