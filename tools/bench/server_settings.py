"""Settings for the benchmark's server and worker when `--server-conn-max-age` is given: the project's
development settings with only the database connection lifetime changed, to compare the two."""

import os

from portal.settings.dev import *  # noqa: F403

DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])  # noqa: F405
