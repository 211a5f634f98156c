"""The soak (`make soak`, or `--measure soak`): settlements committed and pushed at an offered rate for many
minutes, from several threads of this process, to sockets spread over the ASGI processes and the Redis shards.
Every message is counted at each stage: committed (the settlement's final state is in PostgreSQL), published
(handed to the channel layer without an error), delivered (her page, her son's, the counter's). Any loss is
printed with the stage where it happened."""

from __future__ import annotations

import itertools
import logging
import threading
import time

from django.db import transaction

from settlement.push import push_settlement
from tools.bench.context import BenchContext
from tools.bench.people import COUNTER_INDEX, create_presettled, mark_settled
from tools.bench.report import Section
from tools.bench.stats import Latency, rate

BATCH = 100
SOAK_GOAL = "0 lost across processes"


class _PublishFailures(logging.Handler):
    """live.publish logs (and swallows) every send that failed: each such line is a message lost at publishing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def soak(ctx: BenchContext) -> Section:
    config = ctx.config
    connected = [c for c in ctx.citizens[: config.clients] if c.index in ctx.pool.sockets]
    sons = {w.principal_index for w in ctx.watchers if w.index in ctx.pool.sockets}
    counter = COUNTER_INDEX in ctx.pool.sockets
    citizens = itertools.cycle(connected)
    take = threading.Lock()
    committed: dict[str, float] = {}
    expected_son: set[str] = set()
    failures = _PublishFailures()
    publish_log = logging.getLogger("live.publish")
    publish_log.addHandler(failures)
    interval = config.soak_threads / config.soak_rate  # each thread's share of the offered rate
    deadline = time.monotonic() + config.soak_seconds

    def publisher() -> None:
        next_at = time.monotonic()
        while time.monotonic() < deadline:
            with take:
                batch = [next(citizens) for _ in range(BATCH)]
            rows = create_presettled(batch, ctx.institution)
            for (settlement_id, public_id), citizen in zip(rows, batch, strict=True):
                if time.monotonic() >= deadline:
                    return
                pause = next_at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                next_at = max(next_at + interval, time.monotonic() - 1.0)  # never bursts more than 1 s behind
                with transaction.atomic():
                    mark_settled(settlement_id)
                    transaction.on_commit(lambda p=public_id: committed.__setitem__(p, time.time()))
                    transaction.on_commit(lambda s=settlement_id: push_settlement(s))
                if citizen.index in sons:
                    expected_son.add(public_id)

    started = time.time()
    try:
        await ctx.in_threads(lambda _n: publisher(), range(config.soak_threads), config.soak_threads)
    finally:
        publish_log.removeHandler(failures)
    elapsed = time.time() - started
    ids = set(committed)
    await ctx.pool.wait_for_all(list(ids), timeout=config.final_timeout,
                                also={"son": expected_son, "counter": ids if counter else set()})
    pool = ctx.pool
    her_lost = len(ids - pool.finals.keys())
    son_lost = len(expected_son - pool.son_finals.keys())
    counter_lost = len(ids - pool.counter_finals.keys()) if counter else 0
    lost = her_lost + son_lost + counter_lost
    section = Section(
        "soak", f"Soak — {elapsed / 60:.1f} min, {config.soak_rate} pushes per s offered from {config.soak_threads} "
                f"threads, {len(connected)} citizens over {len(ctx.server_urls)} ASGI processes",
        latencies={"commit → fragment at her socket": Latency.of_seconds(
            pool.finals[p].at - committed[p] for p in ids & pool.finals.keys())},
        figures={
            "committed": len(ids), "achieved pushes per s": rate(len(ids), elapsed),
            "publish failures (lost at publishing)": failures.count,
            "delivered her/sons/counter": f"{len(ids) - her_lost}/{len(expected_son) - son_lost}/"
                                          f"{(len(ids) - counter_lost) if counter else 0}",
            "expected her/sons/counter": f"{len(ids)}/{len(expected_son)}/{len(ids) if counter else 0}",
            "lost at delivery her/sons/counter": f"{her_lost}/{son_lost}/{counter_lost}",
        },
        goal=SOAK_GOAL, goal_met=lost == 0 and failures.count == 0,
    )
    if failures.count:
        section.problems.append(f"{failures.count} sends failed at publishing (see the warnings above)")
    if lost:
        section.problems.append(f"lost at delivery: her {her_lost}, sons {son_lost}, counter {counter_lost}")
    return section
