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


# Who is told by SMS about her offline-uploaded settlements besides herself: family proxies with
# view_settlements. `family` registers the provider at start-up, as for watching.
NoticeAudience = Callable[[object], list]  # insured person -> users to tell
_audiences: list[NoticeAudience] = []


def register_notice_audience(provider: NoticeAudience) -> None:
    if provider not in _audiences:
        _audiences.append(provider)


def notice_audience(person) -> list:
    """The users to tell about this person's settlements, each once."""
    users: dict[int, object] = {}
    for provider in _audiences:
        for user in provider(person):
            users.setdefault(user.pk, user)
    return list(users.values())
