"""The benchmark in order: citizens, server and worker, sockets, the measurements, and everything stopped."""

from __future__ import annotations

import asyncio
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from django.conf import settings

from tools.bench import measure
from tools.bench.context import BenchConfig, BenchContext, SignedClient
from tools.bench.extra import extra_measurements
from tools.bench.people import create_citizens, demo_institution
from tools.bench.processes import (
    Service,
    raise_open_file_limit,
    service_env,
    start_asgi_server,
    start_celery_worker,
)
from tools.bench.report import Report, Section
from tools.bench.sockets import SocketPool
from tools.bench.stores import ConnectionSampler, server_versions

Progress = Callable[[str], None]


def available_measures() -> list[str]:
    return [*measure.BUILT_IN, *extra_measurements()]


def run_bench(config: BenchConfig, *, database_url: str, redis_url: str, log_dir: Path,
              progress: Progress = lambda _m: None) -> Report:
    """Run the measurements against a database that is migrated and seeded (the demo institution and the
    policy rules). Starts and always stops one uvicorn process and, if needed, one Celery worker."""
    unknown = set(config.measures) - set(available_measures())
    if unknown:
        raise ValueError(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    began = time.time()
    load_before = _load_average()  # other work on the machine skews every figure: say how busy it was
    soft, _hard = raise_open_file_limit()
    needed = config.citizens_needed()
    if soft < needed + 512:
        raise RuntimeError(f"{needed} sockets need more open files than the limit allows ({soft}); raise `ulimit -n`")
    institution = demo_institution()
    progress(f"creating {needed} citizens with sessions…")
    t = time.time()
    citizens = create_citizens(needed)
    progress(f"  done in {time.time() - t:.1f} s")

    env = service_env(database_url, redis_url, conn_max_age=config.server_conn_max_age)
    services: list[Service] = []
    sampler = ConnectionSampler(database_url).start()
    try:
        progress("starting one uvicorn process…")
        server = start_asgi_server(env, log_dir)
        services.append(server)
        worker = None
        if config.needs_worker():
            progress(f"starting one Celery worker ({config.worker_pool})…")
            worker = start_celery_worker(env, log_dir, pool=config.worker_pool, concurrency=config.worker_concurrency)
            services.append(worker)
        conn_max_age = (settings.DATABASES["default"].get("CONN_MAX_AGE", 0) if config.server_conn_max_age is None
                        else f"{config.server_conn_max_age} (--server-conn-max-age)")
        environment = {
            "CPUs": os.cpu_count(), "load avg 1/5/15 min at start": load_before,
            "Python": platform.python_version(), **server_versions(database_url, redis_url),
            "ASGI": "1 uvicorn process (websockets)", "CONN_MAX_AGE": conn_max_age,
            "worker": (f"1 Celery worker ({worker.extra['pool']}, concurrency {worker.extra['concurrency']})"
                       if worker else "none"),
        }
        sections = asyncio.run(_measure_all(config, server, institution, citizens, progress, sampler))
        for service in services:
            if service.process.poll() is not None:
                sections[-1].problems.append(f"{service.name} exited during the run ({service.process.returncode})")
            errors = service.errors_in_log()
            if errors:
                sections[-1].problems.append(f"{errors} tracebacks in the {service.name} log ({service.log_path})")
    finally:
        sampler.stop()
        for service in reversed(services):
            service.stop()
    return Report(environment=environment, config=asdict(config), sections=sections, seconds=time.time() - began)


async def _measure_all(config: BenchConfig, server: Service, institution, citizens, progress: Progress,
                       sampler: ConnectionSampler) -> list[Section]:
    host = server.url.removeprefix("http://")
    pool = SocketPool(ws_url=f"ws://{host}/ws/status/", origin=server.url)
    api = SignedClient(server.url, institution, threads=max(config.settlement_concurrency,
                                                            config.sustained_concurrency))
    ctx = BenchContext(config=config, server_url=server.url, institution=institution, citizens=citizens,
                       pool=pool, api=api)
    sections: list[Section] = []
    try:
        progress(f"connecting {len(citizens)} websocket clients…")
        t = time.time()
        await pool.connect_all(citizens, concurrency=config.connect_concurrency,
                               timeout=60 + len(citizens) * 0.05)
        await pool.settle()
        ctx.notes["connect_seconds"] = round(time.time() - t, 1)
        progress(f"  {len(pool.sockets)} connected in {ctx.notes['connect_seconds']} s")
        if pool.connect_failures or pool.closed_early:
            raise RuntimeError(f"{len(pool.connect_failures)} sockets failed to connect "
                               f"({pool.connect_failures[:1]}), {len(pool.closed_early)} closed at once "
                               f"(close codes {sorted({code for _i, code in pool.closed_early})})\n"
                               + server.describe())
        extras = extra_measurements()
        for key in config.measures:
            progress(f"measuring: {key}…")
            run = measure.BUILT_IN.get(key) or extras[key]
            sampler.peak()
            section = await run(ctx)
            section.figures["peak PostgreSQL connections"] = sampler.peak()
            if key == "push":
                section.figures["connect time s"] = ctx.notes["connect_seconds"]
            sections.append(section)
            progress("  " + "; ".join(f"{k} {v}" for k, v in section.figures.items()))
        if pool.closed_early:
            sections[-1].problems.append(f"{len(pool.closed_early)} sockets closed during the run")
        if pool.duplicates:
            sections[-1].problems.append(f"{pool.duplicates} final fragments arrived twice")
    finally:
        await pool.close_all()
        api.close()
    return sections


def _load_average() -> str:
    try:
        return "/".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"
