"""One event loop per process, on its own daemon thread, for sending to a Redis channel layer from sync code
(Celery tasks, sync views). `async_to_sync` outside an event loop makes a new loop per call, and channels-redis
keeps its connections per loop, so every push paid for new Redis connections (measured: 180 connections and
~11 ms for 60 pushes, against 3 connections and ~1 ms on one persistent loop; docs/scale.md).

The in-memory layer of the embedded default stays on `async_to_sync`: its queues belong to the server's loop
and must not be touched from another thread."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from channels.layers import InMemoryChannelLayer

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
_pid: int | None = None


def _push_loop() -> asyncio.AbstractEventLoop:
    """The process's loop, started on first use and again in a forked child (a Celery prefork worker)."""
    global _loop, _thread, _pid
    with _lock:
        if _loop is None or _pid != os.getpid() or _thread is None or not _thread.is_alive():
            _loop = asyncio.new_event_loop()
            _thread = threading.Thread(target=_loop.run_forever, name="live-push-loop", daemon=True)
            _thread.start()
            _pid = os.getpid()
        return _loop


def uses_push_loop(layer: Any) -> bool:
    return not isinstance(layer, InMemoryChannelLayer)


def run_on_push_loop(make: Callable[[], Coroutine[Any, Any, Any]], timeout: float) -> Any:
    """Run the coroutine `make()` on the process's push loop and wait for it at most `timeout` seconds."""
    return asyncio.run_coroutine_threadsafe(make(), _push_loop()).result(timeout)
