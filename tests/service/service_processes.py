"""Real server and worker processes for the service suite: start, wait until ready, stop, show output;
and what the settlement tests do with them: signed POSTs, waiting on the database, websocket clients."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
STARTUP_SECONDS = 40


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http() -> requests.Session:
    """A client that talks to loopback directly, whatever proxy the environment names."""
    session = requests.Session()
    session.trust_env = False
    return session


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen
    log_path: Path
    url: str = ""
    nodename: str = ""  # a Celery worker's name, for pings

    def log(self, tail: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return text[-tail:]

    def describe(self) -> str:
        return f"--- {self.name} output (last lines) ---\n{self.log()}"

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: no shutdown code runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def url_of_the_test_database() -> str:
    """The pytest-django test database (e.g. test_postgres), so the subprocess sees what tests commit."""
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s.get("USER") or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(s['NAME'], safe='')}"


def subprocess_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server or worker: dev settings, DEBUG off, the test database and Redis.

    Keys are not passed: portal.settings.dev derives the same field, index and signing keys as
    portal.settings.test when the variables are unset, and inherits them when they are set.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.dev",
        DEBUG="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        OTP_RESEND_AFTER_SECONDS="0",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> ServiceProcess:
    log_path = log_dir / f"{name}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(args, cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                               start_new_session=True)
    log_file.close()
    return ServiceProcess(name=name, process=process, log_path=log_path)


def start_asgi_server(name: str, env: dict[str, str], log_dir: Path) -> ServiceProcess:
    """uvicorn serving portal.asgi:application on a free loopback port, answering /healthz."""
    port = free_port()
    server = spawn(name, [str(VENV_BIN / "uvicorn"), "portal.asgi:application", "--host", "127.0.0.1",
                           "--port", str(port), "--lifespan", "off", "--no-access-log"], env, log_dir)
    server.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    with http() as session:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(f"The ASGI server {name} exited with {server.process.returncode} while starting.\n"
                            + server.describe(), pytrace=False)
            try:
                session.get(server.url + "/healthz", timeout=3)
            except requests.ConnectionError:
                time.sleep(0.2)
                continue
            return server  # any answer, 200 or 503, means it is serving
    server.stop()
    pytest.fail(f"The ASGI server {name} did not answer /healthz within {STARTUP_SECONDS}s.\n" + server.describe(),
                pytrace=False)


_worker_serial = itertools.count(1)


def redis_database(url: str, number: int) -> str:
    """The same Redis server, another database: redis://host:6379/0 -> redis://host:6379/<number>."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


def broker_url_of(env: dict[str, str]) -> str:
    """The broker a process started with this environment uses (portal/settings/base.py's rule)."""
    return env.get("CELERY_BROKER_URL") or env["REDIS_URL"]


def worker_answers_ping(broker_url: str, nodename: str, timeout: float = 1.0) -> bool:
    """Ask one worker, by name, over its own broker (which may not be this process's broker)."""
    from celery import Celery

    # While it waits for replies kombu runs a restore pass under the broker's `unacked_mutex`; on its own
    # key, the probe can never make a starting worker skip its restore pass (MutexHeld).
    probe = Celery("service-probe", broker=broker_url, set_as_current=False,
                   broker_transport_options={"unacked_mutex_key": "service-probe.unacked_mutex"})
    try:
        return bool(probe.control.ping(destination=[nodename], timeout=timeout))
    finally:
        probe.close()


def start_celery_worker(name: str, env: dict[str, str], log_dir: Path) -> ServiceProcess:
    """A real `celery worker` (solo pool) on the broker of `env`, answering a ping before it is returned."""
    nodename = f"{name}-{os.getpid()}-{next(_worker_serial)}@{socket.gethostname()}"
    worker = spawn(name, [str(VENV_BIN / "celery"), "-A", "portal", "worker", "-l", "info", "--pool=solo",
                          "--concurrency=1", "-n", nodename, "--without-gossip", "--without-mingle"], env, log_dir)
    worker.nodename = nodename
    broker_url = broker_url_of(env)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"The Celery worker {name} exited with {worker.process.returncode} while starting.\n"
                        + worker.describe(), pytrace=False)
        try:
            if worker_answers_ping(broker_url, nodename):
                return worker
        except Exception:  # the broker connection is being set up; ask again
            pass
        time.sleep(0.3)
    worker.stop()
    pytest.fail(f"The Celery worker {name} did not answer a ping within {STARTUP_SECONDS}s.\n" + worker.describe(),
                pytrace=False)



def settings_fingerprint() -> str:
    """A digest of the keys that must agree between the test process and its server and worker."""
    import hashlib

    from django.conf import settings

    parts = [
        repr([(k.key_id, k.key) for k in settings.FIELD_ENCRYPTION_KEYS]),
        settings.FIELD_INDEX_KEY,
        repr([(k.key_id, k.key) for k in settings.CODE_SIGNING_KEYS]),
        settings.SECRET_KEY,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def subprocess_settings_fingerprint(env: dict[str, str]) -> str:
    """The same digest, computed by a fresh process with the subprocess environment."""
    code = "from service.service_processes import settings_fingerprint; print(settings_fingerprint())"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
        env={**env, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])},
    )
    assert result.returncode == 0, f"could not import {env['DJANGO_SETTINGS_MODULE']}:\n{result.stderr}"
    return result.stdout.strip().splitlines()[-1]


# --- settlements and live status over the real processes ------------------------------------------


def signed_post(server: ServiceProcess, institution, path: str, payload: dict) -> requests.Response:
    """POST to the institution API the way a counter does: JSON, signed with the institution's secret."""
    import json

    from settlement.signing import signed_headers

    body = json.dumps(payload).encode()
    headers = {**signed_headers(institution.api_key_id, institution.api_secret, "POST", path, body),
               "Content-Type": "application/json"}
    with http() as session:
        return session.post(server.url + path, data=body, headers=headers, timeout=15)


def wait_for_settlement(public_id: str, statuses: set[str], seconds: float, *processes: ServiceProcess):
    """Poll the database (what the counter's GET would read) until the settlement reaches one of `statuses`."""
    from settlement.models import Settlement

    deadline = time.monotonic() + seconds
    settlement = None
    while time.monotonic() < deadline:
        settlement = Settlement.objects.filter(public_id=public_id).first()
        if settlement is not None and settlement.status in statuses:
            return settlement
        time.sleep(0.1)
    state = "no such settlement" if settlement is None else f"still {settlement.status!r}"
    pytest.fail(f"Settlement {public_id} did not reach {sorted(map(str, statuses))} within {seconds}s ({state}).\n"
                + "\n".join(p.describe() for p in processes), pytrace=False)


def session_cookie(user) -> str:
    """Sign her in (as the SMS sign-in would) and return the session id her browser would hold."""
    from django.test import Client

    client = Client()
    client.force_login(user, backend="accounts.backends.PhonePasswordBackend")
    return client.cookies["sessionid"].value


def open_status_socket(server: ServiceProcess, session: str | None = None, path: str = "/ws/status/"):
    """A real websocket client (the `websockets` library) on the page's socket, with her session cookie."""
    from websockets.sync.client import connect

    headers = {"Origin": server.url}
    if session is not None:
        headers["Cookie"] = f"sessionid={session}"
    return connect(server.url.replace("http://", "ws://") + path, additional_headers=headers, proxy=None,
                   open_timeout=10, close_timeout=2)


def wait_until_logged(process: ServiceProcess, needle: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if needle in process.log(tail=500_000):
            return
        time.sleep(0.1)
    pytest.fail(f"{process.name} did not log {needle!r} within {seconds}s.\n{process.describe()}", pytrace=False)
