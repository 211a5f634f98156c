"""The processes under test: uvicorn ASGI processes, Celery worker processes and a second Redis server for the
channel layer's second shard, on loopback only."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests

from portal.celery import app

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
STARTUP_SECONDS = 40.0


class ProcessError(Exception):
    pass


def raise_open_file_limit() -> tuple[int, int]:
    """Soft limit up to the hard limit: thousands of sockets need thousands of descriptors.
    Children started afterwards inherit it. Returns (soft, hard) as now set."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(database_url: str, redis_url: str, *, conn_max_age: int | None = None, **extra: str) -> dict[str, str]:
    """What the server and the worker get: development settings with DEBUG off, the benchmark's stores,
    quiet logs, and no per-institution rate limit (the benchmark is one institution sending hundreds).
    `conn_max_age` replaces the settings' CONN_MAX_AGE (tools.bench.server_settings) to compare."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_SETTINGS"))}
    env.update(
        # The project's development settings with the bare view the page measurement compares against.
        DJANGO_SETTINGS_MODULE="tools.bench.server_settings",
        DEBUG="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        API_RATE_LIMIT_PER_MINUTE="1000000",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if conn_max_age is not None:
        env.update(BENCH_CONN_MAX_AGE=str(conn_max_age))
    env.update(extra)
    return env


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log_path: Path
    url: str = ""
    extra: dict = field(default_factory=dict)

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def errors_in_log(self) -> int:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return text.count("Traceback (most recent call last)")

    def describe(self) -> str:
        return f"--- {self.name} (exit {self.process.poll()}) last output ---\n{self.log()}"

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after `timeout`: only this process, by its id."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                self.process.wait(timeout=10)


def spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> Service:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(args, cwd=REPO,  # noqa: S603 (our own venv's uvicorn and celery)
                                   env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    return Service(name=name, process=process, log_path=log_path)


def start_asgi_server(env: dict[str, str], log_dir: Path, name: str = "uvicorn") -> Service:
    """One uvicorn process serving portal.asgi:application, as deploy/supervisord.conf starts it."""

    port = free_port()
    server = spawn(name, [str(VENV_BIN / "uvicorn"), "portal.asgi:application", "--host", "127.0.0.1",
                               "--port", str(port), "--ws", "websockets-sansio", "--lifespan", "off",
                               "--no-access-log", "--log-level", "warning", "--backlog", "4096"], env, log_dir)
    server.url = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.trust_env = False  # loopback directly, whatever proxy the environment names
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise ProcessError("the ASGI server exited while starting\n" + server.describe())
            try:
                if session.get(server.url + "/healthz", timeout=3).status_code == 200:
                    return server
            except requests.RequestException:
                pass
            time.sleep(0.2)
    finally:
        session.close()
    server.stop()
    raise ProcessError(f"the ASGI server did not answer /healthz within {STARTUP_SECONDS:.0f}s\n" + server.describe())


def start_celery_worker(env: dict[str, str], log_dir: Path, *, pool: str = "solo", concurrency: int = 1,
                        name: str = "celery-worker") -> Service:
    """One Celery worker on the Redis broker; ready when it answers a ping."""

    if pool not in ("solo", "prefork", "threads"):
        raise ProcessError(f"unknown worker pool {pool!r}")
    if pool == "solo":
        concurrency = 1
    nodename = f"bench-{os.getpid()}-{name}@{socket.gethostname()}"
    worker = spawn(name, [str(VENV_BIN / "celery"), "-A", "portal", "worker", "-l", "warning",
                                     f"--pool={pool}", f"--concurrency={concurrency}", "-n", nodename,
                                     "--without-gossip", "--without-mingle", "--without-heartbeat"], env, log_dir)
    worker.extra = {"pool": pool, "concurrency": concurrency}
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise ProcessError("the Celery worker exited while starting\n" + worker.describe())
        with contextlib.suppress(Exception):
            if app.control.ping(destination=[nodename], timeout=1.0):
                return worker
        time.sleep(0.3)
    worker.stop()
    raise ProcessError(f"the Celery worker did not answer a ping within {STARTUP_SECONDS:.0f}s\n" + worker.describe())


def start_redis_shard(log_dir: Path) -> tuple[Service, str]:
    """A second redis-server on a free port, keeping nothing on disk: the channel layer's second shard."""
    port = free_port()
    shard = spawn("redis-shard", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no"], {**os.environ}, log_dir)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if shard.process.poll() is not None:
            break
        with contextlib.suppress(redis.ConnectionError):
            client.ping()
            return shard, url
        time.sleep(0.1)
    shard.stop()
    raise ProcessError("a second redis-server (the channel layer's second shard) did not start: is `redis-server` "
                       "installed?\n" + shard.describe())
