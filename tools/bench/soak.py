"""The soak (`make soak`, or `--measure soak`): settlements committed and pushed at an offered rate for many
minutes, from several publisher processes (tools/bench/publisher.py), to sockets spread over the ASGI processes and the Redis shards.
Every message is counted at each stage: committed (the settlement's final state is in PostgreSQL), published
(handed to the channel layer without an error), delivered (her page, her son's, the counter's). Any loss is
printed with the stage where it happened."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from django.conf import settings

from tools.bench.context import BenchContext
from tools.bench.people import COUNTER_INDEX
from tools.bench.publisher import soak_publish, warm_up
from tools.bench.report import Section
from tools.bench.stats import Latency, rate

SOAK_GOAL = "0 lost across processes"


async def soak(ctx: BenchContext) -> Section:
    config = ctx.config
    connected = [c for c in ctx.citizens[: config.clients] if c.index in ctx.pool.sockets]
    sons = {w.principal_index for w in ctx.watchers if w.index in ctx.pool.sockets}
    counter = COUNTER_INDEX in ctx.pool.sockets
    publishers = config.soak_processes
    interval = publishers / config.soak_rate  # each publisher's share of the offered rate
    layer_config = dict(settings.CHANNEL_LAYERS["default"]["CONFIG"])  # the shards (and prefix) the servers use
    committed: dict[str, float] = {}
    expected_son: set[str] = set()
    failed_sends = 0
    with ProcessPoolExecutor(max_workers=publishers, mp_context=get_context("spawn")) as pool:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, warm_up, layer_config) for _ in range(publishers)))
        started = time.time()
        until = started + config.soak_seconds
        parts = await asyncio.gather(*(
            loop.run_in_executor(pool, soak_publish, connected[n::publishers], ctx.institution, sons, layer_config,
                                 interval, until)
            for n in range(publishers) if connected[n::publishers]))
        elapsed = time.time() - started
        for part_committed, part_sons, part_failures in parts:
            committed.update(part_committed)
            expected_son.update(part_sons)
            failed_sends += part_failures
        ids = set(committed)
        # Inside the block: shutting the publishers down blocks this loop, and with it the sockets' clocks.
        await ctx.pool.wait_for_all(list(ids), timeout=config.final_timeout,
                                    also={"son": expected_son, "counter": ids if counter else set()})
    pool = ctx.pool
    her_lost = len(ids - pool.finals.keys())
    son_lost = len(expected_son - pool.son_finals.keys())
    counter_lost = len(ids - pool.counter_finals.keys()) if counter else 0
    lost = her_lost + son_lost + counter_lost
    section = Section(
        "soak", f"Soak — {elapsed / 60:.1f} min, {config.soak_rate} pushes per s offered from {publishers} "
                f"publisher processes, {len(connected)} citizens over {len(ctx.server_urls)} ASGI processes",
        latencies={"commit → fragment at her socket": Latency.of_seconds(
            pool.finals[p].at - committed[p] for p in ids & pool.finals.keys())},
        figures={
            "committed": len(ids), "achieved pushes per s": rate(len(ids), elapsed),
            "publish failures (lost at publishing)": failed_sends,
            "delivered her/sons/counter": f"{len(ids) - her_lost}/{len(expected_son) - son_lost}/"
                                          f"{(len(ids) - counter_lost) if counter else 0}",
            "expected her/sons/counter": f"{len(ids)}/{len(expected_son)}/{len(ids) if counter else 0}",
            "lost at delivery her/sons/counter": f"{her_lost}/{son_lost}/{counter_lost}",
        },
        goal=SOAK_GOAL, goal_met=lost == 0 and failed_sends == 0,
    )
    if failed_sends:
        section.problems.append(f"{failed_sends} sends failed at publishing (see the warnings above)")
    if lost:
        section.problems.append(f"lost at delivery: her {her_lost}, sons {son_lost}, counter {counter_lost}")
    return section
