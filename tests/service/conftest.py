"""The service-backed suite: real PostgreSQL and Redis, a real ASGI server and a real Celery worker.

Run with ``make test-service``. When ``SERVICE_TESTS=1`` or ``CI`` is set, a missing service is a
failure that names the service and its address; on a developer's machine without the services the
tests are skipped with the same message. ``make test`` (``-m "not service"``) never selects them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.service_processes import (
    REPO,
    ServiceProcess,
    redis_database,
    settings_fingerprint,
    start_asgi_server,
    start_celery_worker,
    subprocess_env,
    subprocess_settings_fingerprint,
    url_of_the_test_database,
)

SERVICE_DIR = Path(__file__).resolve().parent
# REDIS_URL's database holds the broker and the channel layer, the next one the cache (settings/base.py);
# this one is the broker of tests that must keep their task away from the session's worker.
PRIVATE_BROKER_DB = 5


def _strict() -> bool:
    """On CI, or when asked for the service suite, a missing service must fail the run, never skip it."""
    return any(os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no") for name in ("SERVICE_TESTS", "CI"))


def _missing(message: str) -> None:
    if _strict():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything in this folder needs services: make sure `-m "not service"` leaves all of it out."""
    for item in items:
        if SERVICE_DIR in Path(str(item.path)).parents and item.get_closest_marker("service") is None:
            item.add_marker(pytest.mark.service)


# --- are the services there? -------------------------------------------------------------------


def _redact(url: str) -> str:
    """The address without a password, for messages."""
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, _, userinfo = head.partition("://")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}@{tail}"


def _check_postgres(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL is not reachable at {_redact(url)} ({type(exc).__name__}: {str(exc).strip()[:200]})"
    return None


def _check_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except Exception as exc:
        return f"Redis is not reachable at {_redact(url)} ({type(exc).__name__}: {exc})"
    return None


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """PostgreSQL and Redis are reachable, and the settings really use them."""
    from django.conf import settings

    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    problems = []
    if not database_url.startswith(("postgres://", "postgresql://")):
        problems.append(
            "DATABASE_URL is not set to PostgreSQL (got "
            f"{_redact(database_url) or 'nothing'}); the service tests need e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres — run `make test-service`"
        )
    if not redis_url.startswith(("redis://", "rediss://")):
        problems.append(
            f"REDIS_URL is not set to Redis (got {_redact(redis_url) or 'nothing'}); the service tests need "
            "e.g. REDIS_URL=redis://127.0.0.1:6379/0 — run `make test-service`"
        )
    if not problems:
        problems += [p for p in (_check_postgres(database_url), _check_redis(redis_url)) if p]
    if problems:
        _missing("Service tests cannot run: " + "; ".join(problems))

    # The process was configured from the same environment: prove the Redis-backed settings are live.
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql", settings.DATABASES
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert settings.CACHES["default"]["BACKEND"] == "core.cache.SharedRedisCache"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    return {"database_url": database_url, "redis_url": redis_url}


@pytest.fixture(autouse=True)
def _fresh_cache(services: dict[str, str]) -> Iterator[None]:
    """Overrides the root fixture: clear only the cache's keys.

    ``cache.clear()`` on the Redis cache is FLUSHDB, which would also wipe Celery's queue bindings
    and channels-redis groups that live in the same Redis database.
    """
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=cache.make_key("*")):
        client.delete(key)
    yield


# --- real processes -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def service_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-logs")


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Collected static files: with DEBUG off the manifest storage refuses pages without them."""
    root = tmp_path_factory.mktemp("staticfiles")
    env = subprocess_env("sqlite:///:memory:", "", STATIC_ROOT=str(root))
    env.pop("REDIS_URL")
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"collectstatic failed:\n{result.stdout}\n{result.stderr}"
    return root


@pytest.fixture(scope="session")
def service_env(services: dict[str, str], django_db_setup, static_root: Path) -> dict[str, str]:
    """What every subprocess gets; asks for the test database first so it exists.

    The subprocesses run portal.settings.dev, this process portal.settings.test: both must hold the
    same encryption, index and signing keys, or the server could not read what the tests wrote.
    """
    env = subprocess_env(url_of_the_test_database(), services["redis_url"], STATIC_ROOT=str(static_root))
    if subprocess_settings_fingerprint(env) != settings_fingerprint():
        pytest.fail("portal.settings.dev and portal.settings.test hold different keys (FIELD_ENCRYPTION_KEYS, "
                    "FIELD_INDEX_KEY, CODE_SIGNING_KEYS or SECRET_KEY): the server could not read the test data.",
                    pytrace=False)
    return env


@pytest.fixture(scope="session")
def asgi_server(service_env: dict[str, str], service_logs: Path) -> Iterator[ServiceProcess]:
    server = start_asgi_server("asgi-server", service_env, service_logs)
    yield server
    server.stop()
    if server.process.returncode not in (0, -signal.SIGTERM):
        sys.stderr.write(f"\nThe ASGI server ended with {server.process.returncode}.\n{server.describe()}\n")


@pytest.fixture
def start_server(service_env: dict[str, str], service_logs: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Start another ASGI server with some variables changed; stopped after the test."""
    started: list[ServiceProcess] = []

    def start(name: str, **overrides: str) -> ServiceProcess:
        server = start_asgi_server(name, {**service_env, **overrides}, service_logs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def celery_worker(service_env: dict[str, str], service_logs: Path) -> Iterator[ServiceProcess]:
    """A real `celery worker` on Redis, answering a ping before any test uses it."""
    worker = start_celery_worker("celery-worker", service_env, service_logs)
    yield worker
    worker.stop()


@pytest.fixture
def start_worker(service_env: dict[str, str], service_logs: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Start another Celery worker with some variables changed; stopped (if still alive) after the test."""
    started: list[ServiceProcess] = []

    def start(name: str, **overrides: str) -> ServiceProcess:
        worker = start_celery_worker(name, {**service_env, **overrides}, service_logs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def private_broker(services: dict[str, str]) -> Iterator[str]:
    """A Redis database that only this test's server and workers use as their Celery broker.

    The session's `celery_worker` listens on the usual broker: a test that kills its own worker, or
    gives it a broken channel layer, must not have that healthy worker take the task instead. The
    database is emptied before and after, so no message from an earlier run is redelivered.
    """
    import redis

    url = redis_database(services["redis_url"], PRIVATE_BROKER_DB)
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()
