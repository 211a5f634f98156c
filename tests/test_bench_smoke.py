"""`python manage.py bench` at a tiny scale, end to end: its own database and Redis databases, a real
uvicorn process, a real Celery worker and real websocket clients holding session cookies.

Run with `make test-service` (it reads DATABASE_URL and REDIS_URL for the servers' addresses; the
benchmark creates `yibaotong_bench_smoke` there and uses Redis databases 10 and 11).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tools.bench.report import Report, Section
from tools.bench.stats import Latency, percentile

REPO = Path(__file__).resolve().parents[1]
SMOKE_DATABASE = "yibaotong_bench_smoke"
SMOKE_REDIS_DB = 10


def _strict() -> bool:
    return any(os.environ.get(n, "").strip().lower() not in ("", "0", "false", "no") for n in ("SERVICE_TESTS", "CI"))


def _stores() -> tuple[str, str]:
    """The benchmark's own database and Redis database, on the servers the service suite uses."""
    import psycopg
    import redis

    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    problem = None
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url.startswith("redis://"):
        problem = "DATABASE_URL (PostgreSQL) and REDIS_URL (Redis) must be set — run `make test-service`"
    else:
        try:
            with psycopg.connect(database_url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
        except Exception as exc:
            problem = f"PostgreSQL or Redis is not reachable ({type(exc).__name__}: {exc})"
    if problem:
        if _strict():
            pytest.fail(f"The benchmark smoke test cannot run: {problem}", pytrace=False)
        pytest.skip(f"The benchmark smoke test cannot run: {problem}")
    db, rd = urlsplit(database_url), urlsplit(redis_url)
    return urlunsplit(db._replace(path=f"/{SMOKE_DATABASE}")), urlunsplit(rd._replace(path=f"/{SMOKE_REDIS_DB}"))


@pytest.mark.service
def test_the_benchmark_measures_every_push_and_settlement_and_leaves_nothing_behind():
    import psycopg
    import redis

    database_url, redis_url = _stores()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_SETTINGS"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, DEBUG="false", LOG_LEVEL="WARNING",
               CELERY_TASK_ALWAYS_EAGER="false")
    result = subprocess.run(
        [sys.executable, "manage.py", "bench", "--fresh-stores", "--json", "--clients", "5", "--settlements", "5",
         "--concurrency", "2", "--sustained", "5", "--sustained-concurrency", "3", "--proxy-every", "2",
         "--page-seconds", "1", "--page-clients", "2", "--soak-seconds", "3", "--soak-rate", "20", "--soak-processes", "2",
         "--measure", "push,phone,sustained,floor,pages,voice,soak"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, f"bench failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    sections = {s["key"]: s for s in report["sections"]}

    assert list(sections) == ["push", "phone", "sustained", "floor", "pages", "voice", "soak"]
    assert report["problems"] == []
    # The production topology: two ASGI processes, two worker processes, the layer over two Redis servers.
    assert report["environment"]["ASGI"].startswith("2 uvicorn processes")
    assert report["environment"]["channel layer"] == "channels-redis (pubsub) over 2 Redis server(s)"
    push = sections["push"]
    assert push["figures"]["pushes"] == 5
    # Every other citizen has a son following her (3 of 5), and the counter hears all five.
    assert push["figures"]["received (her/sons/counter)"] == "5/3/5"
    assert push["figures"]["messages lost"] == 0
    assert push["figures"]["misrouted"] == 0
    assert push["figures"]["connect failures"] == 0
    assert push["figures"]["sockets per process"] == "7/7"  # 10 citizens, 3 sons, 1 counter: in turn
    latency = push["latency_ms"]["commit → fragment at her socket"]
    assert latency["count"] == 5
    assert 0 <= latency["p50"] <= latency["p99"] <= latency["max"]
    phone = sections["phone"]
    assert phone["figures"]["settled"] == "5/5"
    assert phone["latency_ms"]["POST → settled fragment at her socket"]["count"] == 5
    assert phone["goal"] == "p95 ≤ 1000 ms"
    sustained = sections["sustained"]
    assert sustained["figures"]["settled"] == "5/5"
    assert sustained["figures"]["submitted per s"] > 0
    assert sustained["figures"]["settled per s"] > 0
    # The floor of the loop: the same citizens' sockets hear a settlement that is only inserted, queued, updated
    # and pushed; a yardstick, so it has no goal of its own.
    floor = sections["floor"]
    assert floor["figures"]["settled"] == "5/5" and floor["figures"]["lost"] == 0
    assert floor["goal"] is None
    pages = sections["pages"]
    assert pages["figures"]["failed requests"] == 0
    assert pages["figures"]["code page requests per s"] > 0 and pages["figures"]["bare view requests per s"] > 0
    soak = sections["soak"]
    assert soak["figures"]["committed"] > 0 and soak["figures"]["publish failures (lost at publishing)"] == 0
    assert soak["figures"]["lost at delivery her/sons/counter"] == "0/0/0"

    # Cleaned up: the benchmark's database is gone and its Redis databases are empty.
    with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=3) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [SMOKE_DATABASE]).fetchone()
    assert left is None
    assert redis.Redis.from_url(redis_url).dbsize() == 0


def test_percentiles_are_nearest_rank_so_a_single_slow_message_shows_as_the_p99():
    values = [10.0] * 99 + [900.0]
    assert percentile(values, 50) == 10.0
    assert percentile(values, 99) == 10.0
    assert percentile([*values, 950.0], 99) == 900.0
    assert percentile([], 50) is None
    latency = Latency.of_seconds([0.010, 0.020, 0.030, 1.0])
    assert (latency.count, latency.p50, latency.max) == (4, 20.0, 1000.0)


def test_the_printed_table_says_whether_the_goal_was_met_and_names_every_problem():
    section = Section("phone", "Counter → phone", latencies={"POST → settled": Latency.of_seconds([0.2, 1.5])},
                      figures={"lost": 1}, goal="p95 ≤ 1000 ms", goal_met=False,
                      problems=["1 final fragments never arrived"])
    report = Report(environment={"CPUs": 2}, config={}, sections=[section], seconds=3.0)

    table = report.as_table()

    assert "goal p95 ≤ 1000 ms: NOT met" in table
    assert "PROBLEM: 1 final fragments never arrived" in table
    assert json.loads(report.as_json())["problems"] == ["phone: 1 final fragments never arrived"]


def test_a_later_measurement_plugs_into_the_same_command_under_its_own_name():
    from tools.bench.extra import extra_measurements, register_measurement, unregister_measurement
    from tools.bench.runner import available_measures

    key = "smoke-test-extra"

    async def measure_something_else(ctx):
        return Section(key, "Something else")

    register_measurement(key)(measure_something_else)
    try:
        assert available_measures()[:6] == ["push", "phone", "sustained", "floor", "pages", "soak"]
        assert available_measures()[-1] == key
        assert extra_measurements()[key] is measure_something_else
        with pytest.raises(ValueError):
            register_measurement(key)(lambda ctx: None)
    finally:
        unregister_measurement(key)
    assert key not in available_measures()
