"""What every measurement gets: the configuration, the running server, the citizens and their sockets,
a signed API client, and helpers to run blocking work (the ORM, HTTP) off the event loop."""

from __future__ import annotations

import asyncio
import itertools
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from django.db import connections

from settlement.signing import signed_headers
from tools.bench.people import BenchInstitution, Citizen, Watcher, bill_payload
from tools.bench.sockets import SocketPool
from vouchers.codes import issue_code_token

T = TypeVar("T")
SETTLEMENTS_PATH = "/api/v1/settlements"
IDLE_REUSE_SECONDS = 3.0


@dataclass(frozen=True)
class BenchConfig:
    clients: int = 1000
    settlements: int = 200
    settlement_concurrency: int = 10
    sustained: int = 300
    sustained_concurrency: int = 20
    push_threads: int = 2  # publisher processes of the push measurement
    push_rate: int = 50  # settlements committed and pushed per second in the push measurement (0: flat out)
    connect_concurrency: int = 100
    asgi_processes: int = 2  # uvicorn processes; sockets and API requests are spread over them in turn
    workers: int = 2  # Celery worker processes (one worker = one process: pool solo unless asked otherwise)
    worker_pool: str = "solo"
    worker_concurrency: int = 1
    shards: int = 2  # Redis servers under the channel layer (a second redis-server is started for the run)
    proxy_every: int = 5  # every n-th citizen has a son whose page follows her settlements (0: none)
    counter_socket: bool = True  # one counter page of the institution, which hears every API settlement
    page_seconds: float = 10.0  # the code page and the bare view are each loaded this long
    page_clients: int = 8  # HTTP keep-alive clients loading them
    soak_seconds: float = 600.0
    soak_rate: int = 300  # pushes per second offered during the soak
    soak_processes: int = 4  # publisher processes of the soak
    measures: tuple[str, ...] = ("push", "phone", "sustained", "floor", "pages", "voice")
    server_conn_max_age: int | None = None  # None: the project's settings; a number replaces CONN_MAX_AGE
    final_timeout: float = 30.0  # the longest a settlement's final fragment may take before it counts as lost

    def citizens_needed(self) -> int:
        api = (self.settlements if "phone" in self.measures else 0) + (
            self.sustained if {"sustained", "floor"} & set(self.measures) else 0)
        pages = self.page_clients if "pages" in self.measures else 0  # one signed-in citizen per page client
        return max(self.clients if {"push", "soak"} & set(self.measures) else 0, api, pages, 1)

    def needs_worker(self) -> bool:
        return bool({"phone", "sustained", "floor"} & set(self.measures))


@dataclass(frozen=True)
class PostResult:
    sent_at: float  # time.time() just before the request went out
    answered_at: float
    status: int
    body: dict

    @property
    def public_id(self) -> str | None:
        return str(self.body.get("id")) if self.status == 202 and self.body.get("id") else None


class SignedClient:
    """The counter's side of the institution API: fresh code, signed POST. Blocking calls run in a pool of
    `threads` threads, each with its own keep-alive connection to the server."""

    def __init__(self, base_urls: list[str], institution: BenchInstitution, threads: int) -> None:
        self.base_urls, self.institution = base_urls, institution
        self._turn = itertools.count()
        self.executor = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="bench-http")
        self._local = threading.local()
        self._sessions: list[Any] = []

    def _session(self):
        # uvicorn closes a keep-alive connection after 5 idle seconds; a connection idle that long (between two
        # measurements) may be closed under the request, so it is not reused.
        session = getattr(self._local, "session", None)
        if session is not None and time.monotonic() - getattr(self._local, "used_at", 0.0) > IDLE_REUSE_SECONDS:
            session.close()
            session = None
        self._local.used_at = time.monotonic()
        if session is None:
            session = requests.Session()
            session.trust_env = False  # loopback directly, whatever proxy the environment names
            self._local.session = session
            self._sessions.append(session)
        return session

    def post_settlement_blocking(self, citizen: Citizen) -> PostResult:
        body = json.dumps({"code": issue_code_token(citizen.voucher_public_id), "visit_type": "outpatient",
                           "items": bill_payload()}).encode()
        headers = signed_headers(self.institution.key_id, self.institution.secret, "POST", SETTLEMENTS_PATH, body)
        return self.post_blocking(SETTLEMENTS_PATH, body, headers)

    def post_blocking(self, path: str, body: bytes, headers: dict[str, str]) -> PostResult:
        """POST JSON to the next ASGI process in turn, on this thread's keep-alive connection."""
        session = self._session()
        sent = time.time()
        base_url = self.base_urls[next(self._turn) % len(self.base_urls)]
        try:
            response = session.post(base_url + path, data=body, headers={**headers, "Content-Type": "application/json"},
                                    timeout=30)
        except requests.RequestException as exc:  # reset or timed out: an API error of the run, not its end
            self._local.session = None
            return PostResult(sent, time.time(), 0, {"error": type(exc).__name__, "message": str(exc)[:200]})
        answered = time.time()
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": "not_json", "message": response.text[:200]}
        return PostResult(sent, answered, response.status_code, payload if isinstance(payload, dict) else {})

    async def post_settlement(self, citizen: Citizen) -> PostResult:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.post_settlement_blocking, citizen)

    async def post(self, path: str, payload: dict) -> PostResult:
        body = json.dumps(payload).encode()
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.post_blocking, path, body, {})

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        for session in self._sessions:
            session.close()


@dataclass
class BenchContext:
    config: BenchConfig
    server_urls: list[str]
    institution: BenchInstitution
    citizens: list[Citizen]
    watchers: list[Watcher]
    pool: SocketPool
    api: SignedClient
    notes: dict[str, object] = field(default_factory=dict)

    async def in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Blocking work (the ORM included) in a thread, its database connection closed afterwards."""
        return await asyncio.to_thread(_closing_connections(fn), *args)

    async def in_threads(self, fn: Callable[[Any], T], items: Iterable[Any], threads: int) -> list[T]:
        """`fn(item)` for every item, `threads` at a time, each thread with one database connection."""
        work: queue.SimpleQueue = queue.SimpleQueue()
        for item in items:
            work.put(item)
        results: list[T] = []
        errors: list[BaseException] = []

        def drain() -> None:
            try:
                while not errors:
                    try:
                        item = work.get_nowait()
                    except queue.Empty:
                        return
                    results.append(fn(item))
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        workers = [threading.Thread(target=drain, name=f"bench-push-{n}", daemon=True) for n in range(threads)]
        for worker in workers:
            worker.start()
        await asyncio.to_thread(lambda: [w.join() for w in workers])
        if errors:
            raise errors[0]
        return results


def _closing_connections[R](fn: Callable[..., R]) -> Callable[..., R]:
    def call(*args: Any) -> R:
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return call
