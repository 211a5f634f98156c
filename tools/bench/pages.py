"""Requests per second of her code page against a bare signed-in view (tools/bench/urls.py) on the same servers,
middleware and clients: what the page itself costs. Each client is one citizen's phone with a keep-alive
connection to one ASGI process (clients spread over the processes in turn), loading as fast as answers come."""

from __future__ import annotations

import threading
import time

import requests

from tools.bench.context import BenchContext
from tools.bench.report import Section
from tools.bench.stats import Latency

CODE_PAGE = "/code/"
BARE_VIEW = "/bench/bare/"
PAGE_GOAL_RATIO = 0.5
PAGE_TURNS = 4  # the bare view and the code page take turns, each loaded for a quarter of its seconds at a time


def _load(urls: list[str], sessions: list[str], path: str, seconds: float) -> tuple[int, int, list[float]]:
    """(answered 200, other answers or errors, latencies in s) with one thread per session."""
    ok, bad, latencies = [0], [0], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int, session_key: str) -> None:
        http = requests.Session()
        http.trust_env = False
        http.cookies.set("sessionid", session_key)
        base = urls[n % len(urls)]
        mine_ok, mine_bad, mine_lat = 0, 0, []
        try:
            while time.monotonic() < deadline:
                t = time.perf_counter()
                try:
                    response = http.get(base + path, timeout=10, allow_redirects=False)
                    good = response.status_code == 200
                except requests.RequestException:
                    good = False
                mine_lat.append(time.perf_counter() - t)
                mine_ok, mine_bad = mine_ok + good, mine_bad + (not good)
        finally:
            http.close()
        with lock:
            ok[0] += mine_ok
            bad[0] += mine_bad
            latencies.extend(mine_lat)

    threads = [threading.Thread(target=client, args=(n, key)) for n, key in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ok[0], bad[0], latencies


async def page_rates(ctx: BenchContext) -> Section:
    seconds, clients = ctx.config.page_seconds, ctx.config.page_clients
    sessions = [c.session_key for c in ctx.citizens[:clients]]
    # In turns, so that whatever else the machine is doing (the workers finishing the last step's notices)
    # weighs on both alike.
    bare_ok = bare_bad = code_ok = code_bad = 0
    bare_lat: list[float] = []
    code_lat: list[float] = []
    for _turn in range(PAGE_TURNS):
        ok, bad, lat = await ctx.in_thread(_load, ctx.server_urls, sessions, BARE_VIEW, seconds / PAGE_TURNS)
        bare_ok, bare_bad, bare_lat = bare_ok + ok, bare_bad + bad, bare_lat + lat
        ok, bad, lat = await ctx.in_thread(_load, ctx.server_urls, sessions, CODE_PAGE, seconds / PAGE_TURNS)
        code_ok, code_bad, code_lat = code_ok + ok, code_bad + bad, code_lat + lat
    bare_rps, code_rps = bare_ok / seconds, code_ok / seconds
    ratio = code_rps / bare_rps if bare_rps else 0.0
    section = Section(
        "pages", f"Her code page against a bare signed-in view — {clients} keep-alive clients, {seconds:.0f} s each "
                 f"in {PAGE_TURNS} turns, over {len(ctx.server_urls)} ASGI processes",
        latencies={"code page": Latency.of_seconds(code_lat), "bare signed-in view": Latency.of_seconds(bare_lat)},
        figures={"code page requests per s": round(code_rps, 1), "bare view requests per s": round(bare_rps, 1),
                 "code page / bare view": f"{ratio:.0%}", "failed requests": code_bad + bare_bad},
        goal=f"code page ≥ {PAGE_GOAL_RATIO:.0%} of the bare view",
        goal_met=ratio >= PAGE_GOAL_RATIO,
    )
    if code_bad or bare_bad:
        section.problems.append(f"{code_bad} code page and {bare_bad} bare view requests failed")
    return section
