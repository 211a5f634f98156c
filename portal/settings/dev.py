"""The embedded default of ``make run``: SQLite, in-memory channels, eager Celery, SMS outbox."""

from portal.settings.base import *  # noqa: F403
from portal.settings.base import dev_key, env_str, parse_key_ring

DEBUG = env_bool("DEBUG", True)  # noqa: F405
SECRET_KEY = SECRET_KEY or "dev-only-secret-key-not-for-production-" + "x" * 20  # noqa: F405
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
if not FIELD_ENCRYPTION_KEYS:  # noqa: F405
    FIELD_ENCRYPTION_KEYS = parse_key_ring("FIELD_ENCRYPTION_KEYS", "dev1:" + dev_key("field"))
FIELD_INDEX_KEY = FIELD_INDEX_KEY or dev_key("index")  # noqa: F405
if not CODE_SIGNING_KEYS:  # noqa: F405
    CODE_SIGNING_KEYS = parse_key_ring("CODE_SIGNING_KEYS", "dev1:" + dev_key("code-signing"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
_ = env_str
