"""Settings for the test suite: the embedded default, fast hashing, fixed keys."""

from portal.settings.dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
OTP_RESEND_AFTER_SECONDS = 0
LANGUAGE_CODE = "zh-hans"

# A file, not SQLite's shared in-memory database: the browser tests run a real ASGI server in threads
# of the test process, and a shared-cache memory database fails at once with "database table is locked"
# when two threads write (with a file, WAL and the busy timeout make them wait for each other).
# One file per test process (pytest-xdist workers also get their own suffix), outside the repository.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os as _os
    import tempfile as _tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": _os.path.join(_tempfile.gettempdir(), f"yibaotong-test-{_os.getpid()}.sqlite3"),
    }

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

# Synthesised audio from tests goes to a throwaway folder, never the developer's var/voice cache.
VOICE_CACHE_DIR = Path(tempfile.mkdtemp(prefix="yibaotong-voice-"))
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="yibaotong-private-"))

# pytest-django empties the database after each test that commits (`flush`); the audit trail refuses
# deletes, and audit/management/commands/flush.py lifts that only where this is set. Never in dev or prod.
AUDIT_TRAIL_FLUSHABLE = True
