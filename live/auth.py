"""The socket's sign-in check, and every database call a socket makes, off the one shared thread.

Channels runs `database_sync_to_async` calls on a single thread per process (thread_sensitive), so a burst of
connects queued behind each other (~50 a second per process, docs/scale.md). These calls touch no
thread-bound state (each takes a pooled connection and gives it back), so they run on the executor's threads
side by side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.auth import AuthMiddleware, get_user
from channels.db import database_sync_to_async
from channels.sessions import CookieMiddleware, SessionMiddleware


def db_call(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` run on a pool thread, with Django's connection handling around it (as database_sync_to_async)."""
    return database_sync_to_async(fn, thread_sensitive=False)


_load_user = db_call(get_user.func)


class ParallelAuthMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope: dict) -> None:
        scope["user"]._wrapped = await _load_user(scope)


def live_auth_stack(inner: Any) -> Any:
    """channels.auth.AuthMiddlewareStack, with the user loaded off the shared thread."""
    return CookieMiddleware(SessionMiddleware(ParallelAuthMiddleware(inner)))
