"""Who may watch whom. Other apps register providers at start-up (AppConfig.ready), so `live` imports none of
them and they import nothing of each other: family says which principals a proxy may watch, assist which
citizen a helper's kiosk is serving, the counter side which institution an operator's counter shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

WatchProvider = Callable[[Any], list[int]]  # user -> ids of insured people that user may watch
CounterAccess = Callable[[Any, Any], int | None]  # (user, session) -> the institution whose counter it is, or None


@dataclass(frozen=True)
class _Provider:
    provider: WatchProvider
    ended: str | None  # the fragment kind a page is shown when this watch ends (ref: the person's id)


_providers: list[_Provider] = []
_counter_checks: list[CounterAccess] = []


def register_watch_provider(provider: WatchProvider, *, ended: str | None = None) -> None:
    """`ended`: the fragment kind (registered by the same app) that tells a page the watch is over, shown when
    the consumer's own re-check finds it gone although the announcement never came."""
    if all(known.provider is not provider for known in _providers):
        _providers.append(_Provider(provider, ended))


def watches(user: Any) -> dict[int, tuple[str, ...]]:
    """Everyone this user may watch besides herself, each with the fragment kinds that say the watch ended."""
    found: dict[int, list[str]] = {}
    for known in _providers:
        for person_id in known.provider(user):
            kinds = found.setdefault(person_id, [])
            if known.ended and known.ended not in kinds:
                kinds.append(known.ended)
    found.pop(getattr(user, "person_id", None), None)
    return {person_id: tuple(kinds) for person_id, kinds in sorted(found.items())}


def watched_person_ids(user: Any) -> list[int]:
    return list(watches(user))


def may_watch(user: Any, person_id: int) -> bool:
    return person_id in watches(user)


def register_counter_access(check: CounterAccess) -> None:
    if check not in _counter_checks:
        _counter_checks.append(check)


def counter_institution(user: Any, session: Any) -> int | None:
    """The institution whose counter this signed-in browser may follow; None (the socket is refused) unless a
    registered check says so. Nobody is a counter by default."""
    for check in _counter_checks:
        institution_id = check(user, session)
        if institution_id is not None:
            return institution_id
    return None
