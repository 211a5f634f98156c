"""`python manage.py bench`: how fast settlement status reaches the people waiting for it, on the production
topology (several uvicorn processes, Celery worker processes, the channel layer sharded over two Redis servers).

1. push: N citizens' websockets (and some sons', and a counter's) spread over the ASGI processes; each
   citizen's settlement is committed and pushed; time from the commit to the fragment at each socket.
2. phone: settlements through the signed API with the real workers; POST to her final fragment.
3. sustained: settlements per second through the API (POST → settled), the workers draining the queue.
4. pages: her code page's requests per second against a bare signed-in view on the same stack.
5. voice: synthesis and the cached guide over HTTP.
soak (`make soak`): ≥ 10 minutes of pushes at an offered rate, every message counted at each stage.
Each figure is printed beside its goal (docs/scale.md).

`make bench` runs it with a database and Redis databases of its own (`--fresh-stores`): created before,
dropped and flushed after, whatever happens.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from tools.bench.context import BenchConfig
from tools.bench.runner import available_measures, run_bench
from tools.bench.stores import (
    StoreError,
    bench_database,
    drop_database,
    flush_redis,
    recreate_database,
    redis_databases,
)
from tools.bench.voice import register_voice_measurement


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


class Command(BaseCommand):
    help = "Measure push latency, counter-to-phone latency and sustained settlements per second."
    requires_system_checks: list[str] = []  # the database may not exist yet when the command starts

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = BenchConfig()
        parser.add_argument("--clients", type=_positive, default=defaults.clients,
                            help="concurrent websocket clients for the push measurement (default 1000)")
        parser.add_argument("--settlements", type=_positive, default=defaults.settlements,
                            help="settlements for the counter-to-phone measurement (default 200)")
        parser.add_argument("--concurrency", type=_positive, default=defaults.settlement_concurrency,
                            help="counter-to-phone settlements in flight (default 10)")
        parser.add_argument("--sustained", type=_positive, default=defaults.sustained,
                            help="settlements for the sustained-rate measurement (default 300)")
        parser.add_argument("--sustained-concurrency", type=_positive, default=defaults.sustained_concurrency,
                            help="POSTs in flight for the sustained rate (default 20)")
        parser.add_argument("--push-rate", type=int, default=defaults.push_rate,
                            help="settlements pushed per second in the push measurement (default 50; 0: flat out)")
        parser.add_argument("--push-threads", type=_positive, default=defaults.push_threads,
                            help="publisher processes committing and pushing in the push measurement (default 2)")
        parser.add_argument("--asgi-processes", type=_positive, default=defaults.asgi_processes,
                            help="uvicorn processes; sockets and API requests are spread over them (default 2)")
        parser.add_argument("--workers", type=_positive, default=defaults.workers,
                            help="Celery worker processes (default 2; one worker is one process)")
        parser.add_argument("--worker-pool", choices=["solo", "prefork", "threads"], default=defaults.worker_pool,
                            help="each worker's pool (default solo)")
        parser.add_argument("--worker-concurrency", type=_positive, default=defaults.worker_concurrency,
                            help="processes or threads of a prefork/threads worker (default 1)")
        parser.add_argument("--shards", type=int, choices=[1, 2], default=defaults.shards,
                            help="Redis servers under the channel layer (default 2: a second one is started)")
        parser.add_argument("--proxy-every", type=int, default=defaults.proxy_every,
                            help="every n-th citizen has a son following her settlements (default 5; 0: none)")
        parser.add_argument("--no-counter", action="store_true", help="no counter page socket")
        parser.add_argument("--page-seconds", type=float, default=defaults.page_seconds,
                            help="seconds each of the code page and the bare view is loaded (default 10)")
        parser.add_argument("--page-clients", type=_positive, default=defaults.page_clients,
                            help="keep-alive HTTP clients for the page measurement (default 8)")
        parser.add_argument("--soak-seconds", type=float, default=defaults.soak_seconds,
                            help="length of the soak (default 600)")
        parser.add_argument("--soak-rate", type=_positive, default=defaults.soak_rate,
                            help="pushes per second offered during the soak (default 300)")
        parser.add_argument("--soak-processes", type=_positive, default=defaults.soak_processes,
                            help="publisher processes during the soak (default 4)")
        parser.add_argument("--measure", default=",".join(defaults.measures),
                            help="comma-separated measurements to run, in order (default push,phone,sustained,pages,voice; soak; "
                                 "registered extras: see tools/bench/extra.py)")
        parser.add_argument("--server-conn-max-age", type=int, default=None, metavar="SECONDS",
                            help="run the server and worker with this CONN_MAX_AGE instead of the settings' "
                                 "(to compare; 0 closes each request's database connection)")
        parser.add_argument("--fresh-stores", action="store_true",
                            help="create the database named in DATABASE_URL (its name must contain 'bench') and "
                                 "flush REDIS_URL's database and the next one, before and after; `make bench` "
                                 "passes this")
        parser.add_argument("--json", action="store_true", help="print the results as JSON (progress on stderr)")
        parser.add_argument("--keep-logs", action="store_true",
                            help="keep the servers' and workers' logs even when the run found no problem")

    def handle(self, *args, **options) -> None:

        register_voice_measurement()  # `--measure push,phone,sustained,voice` adds the voice figures (docs/architecture.md)
        database_url, redis_url = settings.DATABASE_URL, settings.REDIS_URL
        problems = []
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            problems.append("DATABASE_URL must name a PostgreSQL database")
        if not redis_url or not settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis."):
            problems.append("REDIS_URL must name a Redis database (channels-redis and Celery use it)")
        if problems:
            raise CommandError("; ".join(problems) + ". Run `make bench`.")
        measures = tuple(m.strip() for m in options["measure"].split(",") if m.strip())
        unknown = set(measures) - set(available_measures())
        if not measures or unknown:
            raise CommandError(f"--measure takes some of: {', '.join(available_measures())}")
        config = BenchConfig(
            clients=options["clients"], settlements=options["settlements"],
            settlement_concurrency=options["concurrency"], sustained=options["sustained"],
            sustained_concurrency=options["sustained_concurrency"], push_threads=options["push_threads"],
            push_rate=max(0, options["push_rate"]),
            worker_pool=options["worker_pool"], worker_concurrency=options["worker_concurrency"], measures=measures,
            server_conn_max_age=options["server_conn_max_age"], asgi_processes=options["asgi_processes"],
            workers=options["workers"], shards=options["shards"], proxy_every=max(0, options["proxy_every"]),
            counter_socket=not options["no_counter"], page_seconds=options["page_seconds"],
            page_clients=options["page_clients"], soak_seconds=options["soak_seconds"],
            soak_rate=options["soak_rate"], soak_processes=options["soak_processes"],
        )
        if settings.DEBUG:
            self._progress("warning: DEBUG is on (every query is kept in memory); `make bench` turns it off")
        fresh = options["fresh_stores"]
        log_dir = Path(tempfile.mkdtemp(prefix="yibaotong-bench-"))
        keep_logs = True
        try:
            if fresh:
                try:
                    bench_database(database_url)
                    redis_databases(redis_url)
                except StoreError as exc:
                    raise CommandError(str(exc)) from None
                self._progress(f"creating database {recreate_database(database_url)}, flushing Redis…")
                flush_redis(redis_url)
            self._progress("migrating and seeding the demo data…")
            call_command("migrate", interactive=False, verbosity=0, stdout=StringIO())
            call_command("seed_demo", stdout=StringIO())
            report = run_bench(config, database_url=database_url, redis_url=redis_url, log_dir=log_dir,
                               progress=self._progress)
            keep_logs = bool(report.problems) or options["keep_logs"]
        finally:
            connections.close_all()
            if fresh:
                self._progress("dropping the benchmark database, flushing Redis…")
                try:
                    drop_database(database_url)
                    flush_redis(redis_url)
                except Exception as exc:  # report, but never hide the run's own error
                    self._progress(f"cleanup failed: {type(exc).__name__}: {exc}")
            if keep_logs:
                self._progress(f"server and worker logs kept in {log_dir}")
            else:
                shutil.rmtree(log_dir, ignore_errors=True)
        self.stdout.write(report.as_json() if options["json"] else report.as_table())
        if report.problems:
            raise CommandError(f"{len(report.problems)} problem(s): " + "; ".join(report.problems))

    def _progress(self, message: str) -> None:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
