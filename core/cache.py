"""Django's Redis cache with one client per process. Django makes a cache object per request context, and under
ASGI every request is a new context: each request built a new connection pool and so opened a new Redis
connection (measured: 50 connections for 50 API requests), and every cache call built a new `redis.Redis`
(~0.4 ms of Python each). Here every cache object of a process shares one client, whose pool is thread-safe and
re-made after a fork by redis-py itself (docs/decisions.md, "One Redis cache client per process")."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_shared: dict[tuple[tuple[str, ...], str], RedisCacheClient] = {}
_lock = threading.Lock()


class _ReusingClient(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._redis: dict[int, Any] = {}

    def get_client(self, key: str | None = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._redis[index] = self._client(connection_pool=self._pools[index])
        return client


class SharedRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache`, its client shared by every cache object of the process."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient

    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _shared.get(key)
            if client is None:
                client = _shared[key] = self._class(self._servers, **self._options)
        return client
