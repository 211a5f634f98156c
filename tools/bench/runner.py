"""The benchmark in order: citizens (and their sons, and a counter), a second Redis for the channel layer's second
shard, the ASGI processes and workers, sockets spread over the processes, the measurements, everything stopped."""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import uvloop  # installed with uvicorn[standard]
from channels.layers import channel_layers
from django.conf import settings
from django.core.management import call_command

from tools.bench import measure
from tools.bench.context import BenchConfig, BenchContext, SignedClient
from tools.bench.extra import extra_measurements
from tools.bench.people import (
    COUNTER_INDEX,
    create_citizens,
    create_counter_session,
    create_watchers,
    demo_institution,
)
from tools.bench.processes import (
    Service,
    raise_open_file_limit,
    service_env,
    start_asgi_server,
    start_celery_worker,
    start_redis_shard,
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
    watchers = create_watchers(citizens[: config.clients], config.proxy_every)
    counter_session = create_counter_session(institution) if config.counter_socket else None
    progress(f"  done in {time.time() - t:.1f} s ({len(watchers)} sons following their mothers"
             f"{', one counter page' if counter_session else ''})")

    services: list[Service] = []
    sampler = ConnectionSampler(database_url).start()
    try:
        hosts = [_channel_db(redis_url)]
        if config.shards > 1:
            shard, shard_url = start_redis_shard(log_dir)
            services.append(shard)
            hosts.append(shard_url)
        channel_config = _use_channel_hosts(hosts)
        static_root = _collect_static(log_dir)  # with DEBUG off, pages need the hashed static files
        env = service_env(database_url, redis_url, conn_max_age=config.server_conn_max_age,
                          CHANNEL_REDIS_HOSTS=",".join(hosts), STATIC_ROOT=str(static_root),
                          CHANNEL_LAYER=settings.CHANNEL_LAYER, CHANNEL_PREFIX=channel_config.get("prefix", ""))
        progress(f"starting {config.asgi_processes} uvicorn processes…")
        servers = [start_asgi_server(env, log_dir, name=f"uvicorn-{n}") for n in range(config.asgi_processes)]
        services += servers
        workers: list[Service] = []
        if config.needs_worker():
            progress(f"starting {config.workers} Celery worker processes ({config.worker_pool})…")
            workers = [start_celery_worker(env, log_dir, pool=config.worker_pool, concurrency=config.worker_concurrency,
                                           name=f"celery-worker-{n}") for n in range(config.workers)]
            services += workers
        conn_max_age = (settings.DATABASES["default"].get("CONN_MAX_AGE", 0) if config.server_conn_max_age is None
                        else f"{config.server_conn_max_age} (--server-conn-max-age)")
        environment = {
            "CPUs": os.cpu_count(), "load avg 1/5/15 min at start": load_before,
            "Python": platform.python_version(), **server_versions(database_url, redis_url),
            "ASGI": f"{len(servers)} uvicorn processes", "CONN_MAX_AGE": conn_max_age,
            "channel layer": f"channels-redis ({settings.CHANNEL_LAYER}) over {len(hosts)} Redis server(s)",
            "workers": (f"{len(workers)} Celery worker process(es) ({config.worker_pool}, concurrency "
                        f"{config.worker_concurrency} each)" if workers else "none"),
            "this process": "the clients, on uvloop; the push measurement publishes from "
                            f"{config.push_threads} processes of its own, the soak from {config.soak_processes}",
        }
        # The clients share the cores with the servers: on uvloop (as uvicorn runs) they take less of them.
        sections = asyncio.run(_measure_all(config, servers, institution, citizens, watchers, counter_session,
                                            progress, sampler), loop_factory=uvloop.new_event_loop)
        sections[-1].figures["load avg 1/5/15 min at end"] = _load_average()
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


async def _measure_all(config: BenchConfig, servers: list[Service], institution, citizens, watchers,
                       counter_session: str | None, progress: Progress, sampler: ConnectionSampler) -> list[Section]:
    urls = [server.url for server in servers]
    pool = SocketPool(server_urls=urls)
    api = SignedClient(urls, institution, threads=max(config.settlement_concurrency, config.sustained_concurrency))
    ctx = BenchContext(config=config, server_urls=urls, institution=institution, citizens=citizens,
                       watchers=watchers, pool=pool, api=api)
    sections: list[Section] = []
    pages = [(c.index, c.session_key, "/ws/status/") for c in citizens]
    pages += [(w.index, w.session_key, "/ws/status/") for w in watchers]
    if counter_session:
        pages.append((COUNTER_INDEX, counter_session, "/ws/counter/"))
    try:
        progress(f"connecting {len(pages)} websocket clients over {len(urls)} processes…")
        rss_before = sum(_rss_kb(server) for server in servers)
        t = time.time()
        await pool.connect_all(pages, concurrency=config.connect_concurrency, timeout=60 + len(pages) * 0.05)
        await pool.settle()
        ctx.notes["connect_seconds"] = round(time.time() - t, 1)
        ctx.notes["connect"] = {
            "sockets": f"{len(pool.sockets)}/{len(pages)}", "connect failures": len(pool.connect_failures),
            "connect time s": ctx.notes["connect_seconds"],
            "connects per s": round(len(pool.sockets) / max(0.001, time.time() - t), 1),
            "sockets per process": "/".join(str(pool.per_server[u]) for u in urls),
            "ASGI memory per socket KB": round((sum(_rss_kb(server) for server in servers) - rss_before)
                                               / max(1, len(pool.sockets)), 1),
        }
        progress(f"  {len(pool.sockets)} connected in {ctx.notes['connect_seconds']} s")
        # The clients' own thousands of sockets are long-lived: keep this process's full collections from walking
        # them while it stamps arrivals (a pause here would be counted as the portal's latency).
        gc.collect()
        gc.freeze()
        if pool.connect_failures or pool.closed_early:
            raise RuntimeError(f"{len(pool.connect_failures)} sockets failed to connect "
                               f"({pool.connect_failures[:1]}), {len(pool.closed_early)} closed at once "
                               f"(close codes {sorted({code for _i, code in pool.closed_early})})\n"
                               + "\n".join(server.describe() for server in servers))
        extras = extra_measurements()
        for key in config.measures:
            progress(f"measuring: {key}…")
            run = measure.BUILT_IN.get(key) or extras[key]
            sampler.peak()
            section = await run(ctx)
            section.figures["peak PostgreSQL connections"] = sampler.peak()
            if key == "push":
                section.figures.update(ctx.notes["connect"])
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


def _collect_static(log_dir: Path) -> Path:
    root = log_dir / "static"
    settings.STATIC_ROOT = root
    call_command("collectstatic", interactive=False, verbosity=0, stdout=StringIO())
    return root


def _rss_kb(service: Service) -> int:
    """Resident memory of a process (Linux), in KB; 0 where /proc is not there."""
    try:
        for line in Path(f"/proc/{service.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _channel_db(redis_url: str) -> str:
    """The first shard: the database after the cache's (broker: REDIS_URL's, cache: the next one)."""
    parts = urlsplit(redis_url)
    db = parts.path.strip("/")
    return urlunsplit(parts._replace(path=f"/{(int(db) if db.isdigit() else 0) + 2}"))


def _use_channel_hosts(hosts: list[str]) -> dict:
    """The layer over these shards in this process (it publishes in the push measurements); returns its CONFIG
    for the publishers. Pub/sub channels ignore database numbers: the bench's get a prefix of their own."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    config["hosts"] = hosts
    if "prefix" in config:
        config["prefix"] = f"ybt-bench-{os.getpid()}"
    channel_layers.backends.clear()
    return dict(config)


def _load_average() -> str:
    try:
        return "/".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"
