"""What a state change says by SMS or voice call, and to whom: the contract between `notices` (which sends
off-page notices, docs/decisions.md "Notices") and the apps whose state changes they are.

An app registers at start-up, per audit kind, a writer: (audit event) -> `NoticeText` or None (nothing to
say). `family` registers who besides her hears of each category. So `notices` imports neither settlement
nor services nor family. Leaf module: it imports no app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The three kinds of notice a person can turn off on "提醒设置" (docs/design.md §7).
SETTLEMENT = "settlement"  # 结算结果
SERVICES = "services"  # 办事进度
ACTIONS = "actions"  # 家人和帮办员的操作
CATEGORIES = (SETTLEMENT, SERVICES, ACTIONS)


@dataclass(frozen=True)
class NoticeText:
    """`for_her` goes to her registered phone; `for_family` (formatted with `name`, her masked name) to each
    proxy who may see the category; "" tells nobody. `path` is the portal page that shows the change (the
    link in the SMS). A `failure` is never held back by quiet hours nor by the hourly limit."""

    for_her: str
    for_family: str = ""
    path: str = ""
    failure: bool = False


NoticeWriter = Callable[[Any], NoticeText | None]  # audit event -> text
_writers: dict[str, tuple[str, NoticeWriter]] = {}


def register_notice_text(kind: str, category: str, writer: NoticeWriter) -> None:
    """Called at start-up by the app that records `kind`."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown notice category {category!r}")
    _writers[str(kind)] = (category, writer)


def notice_writer(kind: str) -> tuple[str, NoticeWriter] | None:
    return _writers.get(str(kind))


def categories_in_use() -> list[str]:
    """The categories some kind is registered for, in the order of CATEGORIES (what "提醒设置" offers)."""
    used = {category for category, _writer in _writers.values()}
    return [c for c in CATEGORIES if c in used]


# --- who besides her hears of each category ------------------------------------------------------------

Audience = Callable[[Any], list]  # insured person -> users
_audiences: dict[str, list[Audience]] = {}


def register_notice_audience(category: str, provider: Audience) -> None:
    """Called by `family` at start-up: e.g. the proxies with view_settlements for SETTLEMENT."""
    providers = _audiences.setdefault(category, [])
    if provider not in providers:
        providers.append(provider)


def notice_audience(category: str, person: Any) -> list:
    users: dict[int, Any] = {}
    for provider in _audiences.get(category, []):
        for user in provider(person):
            users.setdefault(user.pk, user)
    return list(users.values())


# --- the weekly digest: which proxy watches whose settlements ------------------------------------------

WatchPairs = Callable[[], list]  # () -> [(proxy user, insured person)]
_pair_providers: list[WatchPairs] = []


def register_digest_pairs(provider: WatchPairs) -> None:
    """Called by `family` at start-up: every (proxy, her) pair whose grant includes view_settlements."""
    if provider not in _pair_providers:
        _pair_providers.append(provider)


def digest_pairs() -> list:
    pairs: dict[tuple[int, int], tuple[Any, Any]] = {}
    for provider in _pair_providers:
        for user, person in provider():
            pairs.setdefault((user.pk, person.pk), (user, person))
    return list(pairs.values())
