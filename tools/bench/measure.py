"""The measurements of the benchmark (README, "Performance"; goals from issue 16, printed beside each figure)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from django.conf import settings

from tools.bench.context import BenchContext, PostResult
from tools.bench.floor import FLOOR_PATH
from tools.bench.pages import page_rates
from tools.bench.people import COUNTER_INDEX, WATCHER_BASE, create_presettled, statuses_of
from tools.bench.publisher import settle_and_push, warm_up
from tools.bench.report import Section
from tools.bench.soak import soak
from tools.bench.stats import Latency, rate

PHONE_GOAL_P95_MS = 1000.0
PUSH_GOAL_P99_MS = 50.0
SUSTAINED_GOAL_PER_S = 100.0


async def push_latency(ctx: BenchContext) -> Section:
    """Every citizen's socket open (spread over the ASGI processes), her son's for some, one counter's; each
    citizen's settlement is committed as settled, and its push runs on commit exactly as in the worker
    (`transaction.on_commit(push_settlement)`), from `push_threads` publisher processes (tools/bench/publisher.py).
    Clock: from the commit to the fragment at her socket (and at her son's, and at the counter's)."""
    citizens = ctx.citizens[: ctx.config.clients]
    connected = [c for c in citizens if c.index in ctx.pool.sockets]
    rows = await ctx.in_thread(create_presettled, connected, ctx.institution)
    expected_socket = {public_id: c.index for (_sid, public_id), c in zip(rows, connected, strict=True)}
    with_son = {c.index for c in connected} & {w.principal_index for w in ctx.watchers
                                                 if w.index in ctx.pool.sockets}
    son_ids = {public_id for public_id, index in expected_socket.items() if index in with_son}
    counter_ids = set(expected_socket) if COUNTER_INDEX in ctx.pool.sockets else set()
    committed: dict[str, float] = {}
    publishers = ctx.config.push_threads
    with ProcessPoolExecutor(max_workers=publishers, mp_context=get_context("spawn")) as pool:
        loop = asyncio.get_running_loop()
        layer_config = dict(settings.CHANNEL_LAYERS["default"]["CONFIG"])  # the shards (and prefix) the servers use
        await asyncio.gather(*(loop.run_in_executor(pool, warm_up, layer_config) for _ in range(publishers)))
        # One settlement per publisher end to end before the clock: the first message through a server and a
        # publisher pays for what a running system did long ago (measured: ~0.5 s, every run, the first only).
        warm_rows = await ctx.in_thread(create_presettled, connected[:publishers], ctx.institution)
        await asyncio.gather(*(loop.run_in_executor(pool, settle_and_push, [row], layer_config) for row in warm_rows))
        await ctx.pool.wait_for_all([public_id for _sid, public_id in warm_rows], timeout=ctx.config.final_timeout)
        chunks = [rows[n::publishers] for n in range(publishers)]
        started = time.time()
        interval = publishers / ctx.config.push_rate if ctx.config.push_rate else 0.0
        for part in await asyncio.gather(*(loop.run_in_executor(pool, settle_and_push, chunk, layer_config, interval)
                                           for chunk in chunks if chunk)):
            committed.update(part)
        pushed_in = time.time() - started
        public_ids = [public_id for _sid, public_id in rows]
        # Inside the block: leaving it shuts the publishers down, which blocks this loop (and so the sockets'
        # clocks) for half a second.
        await ctx.pool.wait_for_all(public_ids, timeout=ctx.config.final_timeout,
                                    also={"son": son_ids, "counter": counter_ids})

    pool = ctx.pool
    received = [p for p in public_ids if p in pool.finals]
    latency = Latency.of_seconds(pool.finals[p].at - committed[p] for p in received if p in committed)
    misrouted = sum(1 for p in received if pool.finals[p].socket != expected_socket[p])
    not_settled = sum(1 for p in received if pool.finals[p].status != "settled")
    lost = len(public_ids) - len(received)
    son_lost = len(son_ids - pool.son_finals.keys())
    counter_lost = len(counter_ids - pool.counter_finals.keys())
    son_misrouted = sum(1 for p in son_ids & pool.son_finals.keys()
                        if pool.son_finals[p].socket - WATCHER_BASE != expected_socket[p])
    section = Section(
        "push", f"Push latency — {len(citizens)} citizens' sockets over {len(ctx.server_urls)} ASGI processes",
        latencies={
            "commit → fragment at her socket": latency,
            "commit → fragment at her son's socket": Latency.of_seconds(
                pool.son_finals[p].at - committed[p] for p in son_ids & pool.son_finals.keys() if p in committed),
            "commit → fragment at the counter's socket": Latency.of_seconds(
                pool.counter_finals[p].at - committed[p] for p in counter_ids & pool.counter_finals.keys()
                if p in committed),
        },
        figures={
            "fan-out per settlement": f"her 1 · sons {len(son_ids) / max(1, len(rows)):.2f} · counter "
                                      f"{1 if counter_ids else 0}",
            "pushes": len(rows), "offered messages": len(rows) + len(son_ids) + len(counter_ids),
            "received (her/sons/counter)": f"{len(received)}/{len(son_ids) - son_lost}/"
                                           f"{len(counter_ids) - counter_lost}",
            "messages lost": lost + son_lost + counter_lost, "misrouted": misrouted + son_misrouted,
            "offered rate: committed+pushed per s": rate(len(rows), pushed_in),
            "slowest at her socket": _slowest(committed, {p: pool.finals[p].at for p in received}),
            "asked for": f"{ctx.config.push_rate}/s" if ctx.config.push_rate else "as fast as the publishers go",
        },
        goal=f"p99 ≤ {PUSH_GOAL_P99_MS:.0f} ms, 0 lost, 0 connect failures",
        goal_met=(latency.p99 is not None and latency.p99 <= PUSH_GOAL_P99_MS and not (lost + son_lost + counter_lost)
                  and not ctx.pool.connect_failures),
    )
    if len(connected) < len(citizens):
        section.problems.append(f"{len(citizens) - len(connected)} sockets could not connect")
    if lost or son_lost or counter_lost:
        section.problems.append(f"messages lost: her {lost}, sons {son_lost}, counter {counter_lost}")
    if misrouted or son_misrouted:
        section.problems.append(f"{misrouted + son_misrouted} fragments reached another person's socket")
    if not_settled:
        section.problems.append(f"{not_settled} settlements ended other than settled")
    return section


async def counter_to_phone(ctx: BenchContext) -> Section:
    """Settlements through the signed API, `settlement_concurrency` in flight, each handled end to end by the
    real worker. Clock: from the POST to the final fragment at that citizen's socket."""
    n, in_flight = ctx.config.settlements, ctx.config.settlement_concurrency
    citizens = _connected(ctx, ctx.citizens[:n])
    gate = asyncio.Semaphore(in_flight)
    posts: list[PostResult] = []
    to_final: list[float] = []
    outcomes: dict[str, int] = {}
    errors: list[str] = []
    lost: list[str] = []

    async def one(citizen) -> None:
        async with gate:
            result = await ctx.api.post_settlement(citizen)
            posts.append(result)
            if result.public_id is None:
                errors.append(f"{result.status} {result.body.get('error', '')}")
                return
            receipt = await ctx.pool.final_for(result.public_id, ctx.config.final_timeout)
            if receipt is None:
                lost.append(result.public_id)
                return
            outcomes[receipt.status] = outcomes.get(receipt.status, 0) + 1
            if receipt.status == "settled":
                to_final.append(receipt.at - result.sent_at)

    started = time.time()
    await asyncio.gather(*(one(c) for c in citizens))
    elapsed = time.time() - started
    headline = Latency.of_seconds(to_final)
    section = Section(
        "phone", f"Counter → phone — {len(citizens)} settlements via the API, {in_flight} in flight",
        latencies={"POST → settled fragment at her socket": headline,
                   "POST → API answer (202)": Latency.of_seconds(p.answered_at - p.sent_at for p in posts)},
        figures={"settled": f"{outcomes.get('settled', 0)}/{len(citizens)}", "API errors": len(errors),
                 "lost": len(lost), "settled per s": rate(outcomes.get("settled", 0), elapsed)},
        goal=f"p95 ≤ {PHONE_GOAL_P95_MS:.0f} ms",
        goal_met=headline.p95 is not None and headline.p95 <= PHONE_GOAL_P95_MS,
    )
    await _problems(ctx, section, len(citizens), ctx.config.settlements, errors, lost, outcomes)
    return section


async def sustained(ctx: BenchContext) -> Section:
    """As many settlements as the API takes with `sustained_concurrency` POSTs in flight (not waiting for
    the worker), then until the workers have settled them all."""
    return await drain_rate(ctx, ctx.api.post_settlement, key="sustained", title="Sustained rate",
                            goal_per_s=SUSTAINED_GOAL_PER_S)


async def drain_rate(ctx: BenchContext, post: Callable[[Any], Awaitable[PostResult]], *, key: str, title: str,
                     goal_per_s: float | None) -> Section:
    """POST one settlement per citizen with `sustained_concurrency` in flight, then wait until every final
    fragment reached her socket: submitted and settled per second."""
    start = ctx.config.settlements if "phone" in ctx.config.measures else 0
    n, in_flight = ctx.config.sustained, ctx.config.sustained_concurrency
    citizens = _connected(ctx, ctx.citizens[start:start + n])
    gate = asyncio.Semaphore(in_flight)
    posts: list[PostResult] = []

    async def one(citizen) -> None:
        async with gate:
            posts.append(await post(citizen))

    first = time.time()
    await asyncio.gather(*(one(c) for c in citizens))
    accepted = [p for p in posts if p.public_id is not None]
    errors = [f"{p.status} {p.body.get('error', '')}" for p in posts if p.public_id is None]
    last_answer = max((p.answered_at for p in posts), default=first)
    await ctx.pool.wait_for_all([p.public_id for p in accepted if p.public_id],
                                timeout=ctx.config.final_timeout + len(accepted) * 0.2)
    receipts = [(p, ctx.pool.finals.get(p.public_id or "")) for p in accepted]
    settled = [(p, r) for p, r in receipts if r is not None and r.status == "settled"]
    outcomes: dict[str, int] = {}
    for _p, r in receipts:
        if r is not None:
            outcomes[r.status] = outcomes.get(r.status, 0) + 1
    lost = [p.public_id for p, r in receipts if r is None and p.public_id]
    last_final = max((r.at for _p, r in settled), default=first)
    settled_per_s = rate(len(settled), last_final - first) or 0
    section = Section(
        key, f"{title} — {len(citizens)} settlements, {in_flight} POSTs in flight, "
             f"{ctx.config.workers} worker process(es)",
        latencies={"POST → settled fragment (queueing included)": Latency.of_seconds(r.at - p.sent_at
                                                                                    for p, r in settled),
                   "POST → API answer (202)": Latency.of_seconds(p.answered_at - p.sent_at for p in posts)},
        figures={"submitted per s": rate(len(accepted), last_answer - first),
                 "settled per s": rate(len(settled), last_final - first),
                 "settled": f"{len(settled)}/{len(citizens)}", "API errors": len(errors), "lost": len(lost)},
        goal=f"≥ {goal_per_s:.0f} settled per s" if goal_per_s else None,
        goal_met=bool(settled) and settled_per_s >= goal_per_s if goal_per_s else None,
    )
    await _problems(ctx, section, len(citizens), n, errors, lost, outcomes)
    return section


def _slowest(committed: dict[str, float], arrived: dict[str, float]) -> str:
    """When in the run the slowest message was committed: a stall at the start is warm-up, one later is not."""
    timed = [(arrived[p] - at, at, p) for p, at in committed.items() if p in arrived]
    if not timed:
        return "-"
    slowest, at, _p = max(timed)
    start = min(committed.values())
    return f"{slowest * 1000:.0f} ms, committed {at - start:.1f} s into the run"


def _connected(ctx: BenchContext, citizens: list) -> list:
    return [c for c in citizens if c.index in ctx.pool.sockets]


async def _problems(ctx: BenchContext, section: Section, used: int, wanted: int, errors: list[str], lost: list[str],
                    outcomes: dict) -> None:
    if used < wanted:
        section.problems.append(f"only {used} of {wanted} citizens had a connected socket")
    if errors:
        section.problems.append(f"{len(errors)} API errors, e.g. {errors[0]}")
    if lost:
        in_database = await ctx.in_thread(statuses_of, lost)
        closed = len(ctx.pool.closed_early)
        section.problems.append(f"{len(lost)} final fragments never arrived (in the database: {in_database}; "
                                f"sockets the server closed early: {closed})")
    others = {k: v for k, v in outcomes.items() if k != "settled"}
    if others:
        section.problems.append(f"settlements ended other than settled: {others}")


async def floor(ctx: BenchContext) -> Section:
    """The least a settlement can cost on this stack, measured like the sustained rate: a POST that inserts one
    row and queues one task, a worker that updates the row and pushes one fragment to her socket, the socket's
    own checks (tools/bench/floor.py). No signature, code, bill, split, booking, audit, notice or family:
    whatever the settlement does beyond this, it cannot go faster than this on the same machine."""

    async def post(citizen) -> PostResult:
        return await ctx.api.post(FLOOR_PATH, {"person": citizen.person_id, "voucher": citizen.voucher_id})

    section = await drain_rate(ctx, post, key="floor", title="Floor of the loop (insert, task, update, one push)",
                               goal_per_s=None)
    section.figures["the sustained goal needs this above"] = f"{SUSTAINED_GOAL_PER_S:.0f}/s"
    return section


BUILT_IN = {"push": push_latency, "phone": counter_to_phone, "sustained": sustained, "floor": floor,
            "pages": page_rates, "soak": soak}
