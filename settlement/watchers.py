"""Who is told by SMS about her offline-uploaded settlements besides herself: family proxies with
view_settlements. `family` registers the provider at start-up, so settlement never imports it. (Who may watch
her settlements live is `live.watchers`.)"""

from __future__ import annotations

from collections.abc import Callable

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
