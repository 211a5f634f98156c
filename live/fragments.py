"""What a pushed event looks like on a page. Each app registers, at start-up, a renderer for each of its event
kinds and the id of the one place on the page that kind fills (`hx-swap-oob` by that id), so every app renders
its own fragments from its own templates and `live` imports none of them.

A renderer takes the event's `ref` (what the publishing app passed: an id, or an object it loaded once) and a
language, and returns the HTML, or None when there is nothing to show. `live` renders each event once per
language (inside `translation.override`) and lets every socket pick its page's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

Renderer = Callable[[Any, str], str | None]
# (user, the socket URL's query) -> the events to show a page that opens now, as (kind, ref) pairs.
CurrentState = Callable[[Any, dict[str, str]], list[tuple[str, Any]]]

STATUS_SOCKET = "status"  # citizens, proxies and helper kiosks: /ws/status/
COUNTER_SOCKET = "counter"  # a counter operator's page: /ws/counter/


@dataclass(frozen=True)
class FragmentKind:
    kind: str
    target_id: str
    render: Renderer


_fragments: dict[str, FragmentKind] = {}
_current: dict[str, list[CurrentState]] = {STATUS_SOCKET: [], COUNTER_SOCKET: []}


def register_fragment(kind: str, target_id: str, render: Renderer) -> None:
    """`kind` ("settlement.status", "family.access_revoked", ...) fills the element `#<target_id>`."""
    known = _fragments.get(kind)
    if known is not None and (known.target_id, known.render) != (target_id, render):
        raise ImproperlyConfigured(f"live fragment kind {kind!r} is registered twice")
    _fragments[kind] = FragmentKind(kind, target_id, render)


def fragment_kind(kind: str) -> FragmentKind:
    try:
        return _fragments[kind]
    except KeyError:
        raise ImproperlyConfigured(f"no live fragment is registered for {kind!r}") from None


def registered_kinds() -> list[str]:
    return sorted(_fragments)


def register_current_state(socket: str, provider: CurrentState) -> None:
    """What a page opening now should show at once (a reconnecting page misses nothing)."""
    providers = _current[socket]
    if provider not in providers:
        providers.append(provider)


def current_state(socket: str, user: Any, query: dict[str, str]) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    for provider in _current[socket]:
        events.extend(provider(user, query))
    return events


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def render(kind: str, ref: Any, language: str) -> str | None:
    with translation.override(language):
        return fragment_kind(kind).render(ref, language) or None


def render_in(kind: str, ref: Any, language: str) -> dict[str, str]:
    """The fragment in one language, in the shape of `render_all` (empty when there is nothing to show)."""
    html = render(kind, ref, language)
    return {language: html} if html else {}


def render_all(kind: str, ref: Any) -> dict[str, str]:
    """The fragment in every language the site speaks (those a renderer has nothing for are left out)."""
    rendered = {language: render(kind, ref, language) for language in languages()}
    return {language: html for language, html in rendered.items() if html}
