"""The three measurements of the benchmark (README, "Performance")."""

from __future__ import annotations

import asyncio
import time

from django.db import transaction

from settlement.push import push_settlement
from tools.bench.context import BenchContext, PostResult
from tools.bench.people import create_presettled, mark_settled
from tools.bench.report import Section
from tools.bench.stats import Latency, rate

PHONE_GOAL_P95_MS = 1000.0


async def push_latency(ctx: BenchContext) -> Section:
    """N citizens' sockets open on one ASGI process; each citizen's settlement is committed as settled, and
    its push runs on commit exactly as in the worker (`transaction.on_commit(push_settlement)`).
    Clock: from the commit to the fragment at her socket."""
    citizens = ctx.citizens[: ctx.config.clients]
    connected = [c for c in citizens if c.index in ctx.pool.sockets]
    rows = await ctx.in_thread(create_presettled, connected, ctx.institution)
    expected_socket = {public_id: c.index for (_sid, public_id), c in zip(rows, connected, strict=True)}
    committed: dict[str, float] = {}

    def settle_and_clock(row: tuple[int, str]) -> None:
        settlement_id, public_id = row
        with transaction.atomic():
            mark_settled(settlement_id)
            # Registered first, so it runs first after COMMIT: the clock starts at the commit, then the push.
            transaction.on_commit(lambda: committed.__setitem__(public_id, time.time()))
            transaction.on_commit(lambda: push_settlement(settlement_id))

    started = time.time()
    await ctx.in_threads(settle_and_clock, rows, ctx.config.push_threads)
    pushed_in = time.time() - started
    public_ids = [public_id for _sid, public_id in rows]
    await ctx.pool.wait_for_all(public_ids, timeout=ctx.config.final_timeout)

    received = [p for p in public_ids if p in ctx.pool.finals]
    latencies = [ctx.pool.finals[p].at - committed[p] for p in received if p in committed]
    misrouted = sum(1 for p in received if ctx.pool.finals[p].socket != expected_socket[p])
    not_settled = sum(1 for p in received if ctx.pool.finals[p].status != "settled")
    lost = len(public_ids) - len(received)
    section = Section(
        "push", f"Push latency — {len(citizens)} citizens' sockets on one ASGI process",
        latencies={"commit → fragment at her socket": Latency.of_seconds(latencies)},
        figures={
            "clients connected": f"{len(connected)}/{len(citizens)}",
            "pushes": len(rows), "received": len(received), "messages lost": lost, "misrouted": misrouted,
            "committed+pushed per s": rate(len(rows), pushed_in),
        },
    )
    if len(connected) < len(citizens):
        section.problems.append(f"{len(citizens) - len(connected)} sockets could not connect")
    if lost:
        section.problems.append(f"{lost} messages lost")
    if misrouted:
        section.problems.append(f"{misrouted} fragments reached another citizen's socket")
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
    lost = 0

    async def one(citizen) -> None:
        nonlocal lost
        async with gate:
            result = await ctx.api.post_settlement(citizen)
            posts.append(result)
            if result.public_id is None:
                errors.append(f"{result.status} {result.body.get('error', '')}")
                return
            receipt = await ctx.pool.final_for(result.public_id, ctx.config.final_timeout)
            if receipt is None:
                lost += 1
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
                 "lost": lost, "settled per s": rate(outcomes.get("settled", 0), elapsed)},
        goal=f"p95 ≤ {PHONE_GOAL_P95_MS:.0f} ms",
        goal_met=headline.p95 is not None and headline.p95 <= PHONE_GOAL_P95_MS,
    )
    _problems(section, len(citizens), ctx.config.settlements, errors, lost, outcomes)
    return section


async def sustained(ctx: BenchContext) -> Section:
    """As many settlements as the API takes with `sustained_concurrency` POSTs in flight (not waiting for
    the worker), then until the one worker has settled them all."""
    start = ctx.config.settlements if "phone" in ctx.config.measures else 0
    n, in_flight = ctx.config.sustained, ctx.config.sustained_concurrency
    citizens = _connected(ctx, ctx.citizens[start:start + n])
    gate = asyncio.Semaphore(in_flight)
    posts: list[PostResult] = []

    async def one(citizen) -> None:
        async with gate:
            posts.append(await ctx.api.post_settlement(citizen))

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
    lost = sum(1 for _p, r in receipts if r is None)
    last_final = max((r.at for _p, r in settled), default=first)
    section = Section(
        "sustained", f"Sustained rate — {len(citizens)} settlements, {in_flight} POSTs in flight, one worker",
        latencies={"POST → settled fragment (queueing included)": Latency.of_seconds(r.at - p.sent_at
                                                                                    for p, r in settled),
                   "POST → API answer (202)": Latency.of_seconds(p.answered_at - p.sent_at for p in posts)},
        figures={"submitted per s": rate(len(accepted), last_answer - first),
                 "settled per s": rate(len(settled), last_final - first),
                 "settled": f"{len(settled)}/{len(citizens)}", "API errors": len(errors), "lost": lost},
    )
    _problems(section, len(citizens), n, errors, lost, outcomes)
    return section


def _connected(ctx: BenchContext, citizens: list) -> list:
    return [c for c in citizens if c.index in ctx.pool.sockets]


def _problems(section: Section, used: int, wanted: int, errors: list[str], lost: int, outcomes: dict) -> None:
    if used < wanted:
        section.problems.append(f"only {used} of {wanted} citizens had a connected socket")
    if errors:
        section.problems.append(f"{len(errors)} API errors, e.g. {errors[0]}")
    if lost:
        section.problems.append(f"{lost} final fragments never arrived")
    others = {k: v for k, v in outcomes.items() if k != "settled"}
    if others:
        section.problems.append(f"settlements ended other than settled: {others}")


BUILT_IN = {"push": push_latency, "phone": counter_to_phone, "sustained": sustained}
