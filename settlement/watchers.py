"""Who else may watch a person's settlements live. Other apps (family, assist) register providers,
so settlement never imports them: dependencies keep pointing one way."""

from __future__ import annotations

from collections.abc import Callable

WatchProvider = Callable[[object], list[int]]  # user -> ids of insured people that user may watch
_providers: list[WatchProvider] = []


def register_watch_provider(provider: WatchProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def watched_person_ids(user) -> list[int]:
    ids: set[int] = set()
    for provider in _providers:
        ids.update(provider(user))
    ids.discard(getattr(user, "person_id", None))
    return sorted(ids)


def may_watch(user, person_id: int) -> bool:
    return person_id in watched_person_ids(user)
