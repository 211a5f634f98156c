"""Settings of the benchmark's servers and workers: the project's development settings (DEBUG off through the
environment) plus one bare signed-in view, the yardstick the code page is measured against (tools/bench/urls.py).
`--server-conn-max-age` changes only the database connection lifetime, to compare."""

import os

from portal.settings.dev import *  # noqa: F403

ROOT_URLCONF = "tools.bench.urls"
if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])  # noqa: F405
CELERY_IMPORTS = ["tools.bench.floor"]  # the floor measurement's task (tools/bench/floor.py)
