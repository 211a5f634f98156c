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
