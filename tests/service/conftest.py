"""The service-backed suite: real PostgreSQL and Redis, a real ASGI server and a real Celery worker.

Run with ``make test-service``. When ``SERVICE_TESTS=1`` or ``CI`` is set, a missing service is a
failure that names the service and its address; on a developer's machine without the services the
tests are skipped with the same message. ``make test`` (``-m "not service"``) never selects them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.service_processes import (
    REPO,
    STARTUP_SECONDS,
    VENV_BIN,
    ServiceProcess,
    settings_fingerprint,
    spawn,
    start_asgi_server,
    subprocess_env,
    subprocess_settings_fingerprint,
    url_of_the_test_database,
)

SERVICE_DIR = Path(__file__).resolve().parent


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
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
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
    from portal.celery import app

    nodename = f"service-tests-{os.getpid()}@{socket.gethostname()}"
    worker = spawn("celery-worker", [str(VENV_BIN / "celery"), "-A", "portal", "worker", "-l", "info",
                                      "--pool=solo", "--concurrency=1", "-n", nodename, "--without-gossip",
                                      "--without-mingle"], service_env, service_logs)
    deadline = time.monotonic() + STARTUP_SECONDS
    ready = False
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"The Celery worker exited with {worker.process.returncode} while starting.\n"
                        + worker.describe(), pytrace=False)
        with contextlib.suppress(Exception):
            if app.control.ping(destination=[nodename], timeout=1.0):
                ready = True
                break
        time.sleep(0.3)
    if not ready:
        worker.stop()
        pytest.fail(f"The Celery worker did not answer a ping within {STARTUP_SECONDS}s.\n" + worker.describe(),
                    pytrace=False)
    yield worker
    worker.stop()
