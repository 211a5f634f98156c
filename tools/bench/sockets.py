"""Websocket clients in the benchmark's own event loop: one citizen's page each, holding her session cookie, her
son's page where she has one, and a counter's page. Sockets are spread over the ASGI processes in turn.

Each client stamps every fragment with ``time.time()`` the moment it arrives. Final fragments carry the
settlement's public id (her page: the "show my code again" link; her son's and the counter's: data-settlement),
so a receipt is matched to its settlement and to whose page got it exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tools.bench.people import COUNTER_INDEX, WATCHER_BASE

STATUS_RE = re.compile(r'data-status="([a-z]+)"')
PUBLIC_ID_RE = re.compile(r'(?:after=|data-settlement=")([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})')
HER, SON, COUNTER = "her", "son", "counter"
FINAL = frozenset({"settled", "failed", "manual"})


@dataclass(frozen=True)
class Receipt:
    at: float  # time.time() when the fragment arrived
    status: str
    socket: int  # the index of the citizen whose socket got it


@dataclass
class SocketPool:
    server_urls: list[str]  # http://host:port of each ASGI process
    sockets: dict[int, object] = field(default_factory=dict)
    finals: dict[str, Receipt] = field(default_factory=dict)  # her page's
    son_finals: dict[str, Receipt] = field(default_factory=dict)
    counter_finals: dict[str, Receipt] = field(default_factory=dict)
    per_server: Counter = field(default_factory=Counter)
    fragments: Counter = field(default_factory=Counter)
    duplicates: int = 0
    closed_early: list[tuple[int, int | None]] = field(default_factory=list)
    connect_seconds: list[float] = field(default_factory=list)
    connect_failures: list[str] = field(default_factory=list)
    _readers: list[asyncio.Task] = field(default_factory=list)
    _waiters: dict[str, asyncio.Future] = field(default_factory=dict)
    _closing: bool = False

    async def connect_all(self, pages: list[tuple[int, str, str]], *, concurrency: int = 100,
                          timeout: float = 120.0) -> None:
        """Open one socket per page (index, session key, path), the pages spread over the servers in turn, at
        most `concurrency` handshakes at a time, all within `timeout`."""
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int, page: tuple[int, str, str]) -> None:
            async with gate:
                await self._connect(*page, server=self.server_urls[n % len(self.server_urls)])

        await asyncio.wait_for(asyncio.gather(*(one(n, p) for n, p in enumerate(pages))), timeout)

    async def _connect(self, index: int, session_key: str, path: str, *, server: str) -> None:

        started = time.perf_counter()
        try:
            ws = await connect(
                server.replace("http://", "ws://") + path, origin=server,
                additional_headers={"Cookie": f"sessionid={session_key}"},
                proxy=None, open_timeout=60, ping_interval=None, close_timeout=5, max_queue=None,
            )
        except Exception as exc:
            self.connect_failures.append(f"{type(exc).__name__}: {exc}"[:200])
            return
        self.connect_seconds.append(time.perf_counter() - started)
        self.sockets[index] = ws
        self.per_server[server] += 1
        self._readers.append(asyncio.create_task(self._read(index, ws)))

    def _book(self, index: int) -> dict[str, Receipt]:
        if index == COUNTER_INDEX:
            return self.counter_finals
        return self.son_finals if index >= WATCHER_BASE else self.finals

    async def _read(self, index: int, ws) -> None:

        try:
            async for message in ws:
                at = time.time()
                if not isinstance(message, str):
                    continue
                match = STATUS_RE.search(message)
                status = match.group(1) if match else "?"
                self.fragments[status] += 1
                found = PUBLIC_ID_RE.search(message) if status in FINAL else None
                if found is None:
                    continue
                public_id = found.group(1)
                book = self._book(index)
                if public_id in book:
                    self.duplicates += 1
                    continue
                book[public_id] = receipt = Receipt(at, status, index)
                if book is not self.finals:
                    continue
                waiter = self._waiters.pop(public_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(receipt)
        except ConnectionClosed:
            pass
        finally:
            if not self._closing:
                self.closed_early.append((index, ws.close_code))

    async def final_for(self, public_id: str, timeout: float) -> Receipt | None:
        """The final fragment of this settlement, waiting at most `timeout` seconds for it."""
        if public_id in self.finals:
            return self.finals[public_id]
        waiter = self._waiters.setdefault(public_id, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            self._waiters.pop(public_id, None)
            return self.finals.get(public_id)

    async def wait_for_all(self, public_ids: list[str], timeout: float, *, also: dict[str, set[str]] | None = None) -> None:
        """Until every one of these settlements' final fragments arrived at her page (and, in `also`, at the
        pages of the other books named: {"son": ids, "counter": ids}), or `timeout` passed."""
        deadline = time.monotonic() + timeout
        books = {HER: (self.finals, set(public_ids))}
        for kind, ids in (also or {}).items():
            books[kind] = ({SON: self.son_finals, COUNTER: self.counter_finals}[kind], set(ids))
        while time.monotonic() < deadline:
            if all(ids <= book.keys() for book, ids in books.values()):
                return
            await asyncio.sleep(0.02)

    async def settle(self, seconds: float = 0.5) -> None:
        """Give sockets the server closed at once (4401, 4403) the time to show it."""
        await asyncio.sleep(seconds)

    async def close_all(self, timeout: float = 20.0) -> None:
        self._closing = True
        sockets = list(self.sockets.values())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True), timeout)
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        self._readers.clear()
        self.sockets.clear()
