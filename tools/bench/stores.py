"""The benchmark's own PostgreSQL database and Redis databases: created fresh, dropped or flushed after.

Only a database whose name contains ``bench`` is ever created or dropped here, so a mistyped
DATABASE_URL can never take a real database with it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

from portal.settings.base import _next_redis_db


class StoreError(Exception):
    pass


@dataclass(frozen=True)
class Database:
    name: str
    maintenance_url: str  # the same server, the `postgres` database: where CREATE/DROP DATABASE run


def bench_database(database_url: str) -> Database:
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise StoreError(f"the benchmark needs PostgreSQL, not {parts.scheme or 'nothing'!r} "
                         "(DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibaotong_bench)")
    name = unquote(parts.path.lstrip("/"))
    if "bench" not in name:
        raise StoreError(f"refusing to recreate the database {name!r}: its name must contain 'bench'")
    return Database(name=name, maintenance_url=urlunsplit(parts._replace(path="/postgres")))


def recreate_database(database_url: str) -> str:
    """DROP (if there) and CREATE the benchmark database. Returns its name."""
    db = bench_database(database_url)
    _drop(db)
    _execute(db.maintenance_url, "CREATE DATABASE {}", db.name)
    return db.name


def drop_database(database_url: str) -> None:
    _drop(bench_database(database_url))


def _drop(db: Database) -> None:
    # WITH (FORCE) ends any connection a killed server or worker left behind (PostgreSQL 13+).
    _execute(db.maintenance_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", db.name)


def _execute(url: str, statement: str, name: str) -> None:

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


def redis_databases(redis_url: str) -> list[str]:
    """The Redis databases of the broker, the cache and the channel layer's first shard (two after the broker's)."""

    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss"):
        raise StoreError("the benchmark needs REDIS_URL=redis://127.0.0.1:6379/<n>")
    db = parts.path.strip("/")
    if not db.isdigit() or int(db) == 0:
        raise StoreError("give the benchmark its own Redis database, not 0 (e.g. redis://127.0.0.1:6379/12): "
                         "it is flushed before and after the run")
    return [redis_url, _next_redis_db(redis_url), _next_redis_db(_next_redis_db(redis_url))]  # + channel layer


def flush_redis(redis_url: str) -> None:

    for url in redis_databases(redis_url):
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)
        try:
            client.flushdb()
        finally:
            client.close()


def server_versions(database_url: str, redis_url: str) -> dict[str, str]:

    versions = {}
    try:
        with psycopg.connect(database_url, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            versions["postgresql"] = str(row[0]).split()[0] if row else "?"
    except Exception as exc:
        versions["postgresql"] = f"? ({type(exc).__name__})"
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
        versions["redis"] = str(client.info("server").get("redis_version", "?"))
        client.close()
    except Exception as exc:
        versions["redis"] = f"? ({type(exc).__name__})"
    return versions


class ConnectionSampler:
    """Counts the database's open connections four times a second in a thread; `peak()` gives the highest
    count since the last call. Shows a server holding on to connections (PostgreSQL allows ~100)."""

    def __init__(self, database_url: str, interval: float = 0.25) -> None:

        self.database_url, self.interval = database_url, interval
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-pg-sampler", daemon=True)

    def start(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def _run(self) -> None:

        try:
            with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
                while not self._stop.wait(self.interval):
                    row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                       ).fetchone()
                    self._peak = max(self._peak, int(row[0]) if row else 0)
        except Exception:  # a figure, never a failure of the run
            return

    def peak(self) -> int:
        value, self._peak = self._peak, 0
        return value

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
