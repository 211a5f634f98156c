"""Settings shared by every environment. Machine-specific values come from ``env``."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.env import env_bool, env_decimal, env_int, env_list, env_str, parse_key_ring

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal.admin_site.PortalAdminConfig",  # django.contrib.admin with the staff site (password + TOTP)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",
    "audit",
    "accounts",
    "insurance",
    "live",
    "vouchers",
    "settlement",
    "counter",
    "family",
    "assist",
    "services",
    "payments",
    "notices",
    "feedback",
    "insights",
    "learn",
    "elder_mode",
    "portal",
    "tools",
]

MIDDLEWARE = [
    "portal.middleware.TextGZipMiddleware",  # first: compresses what every other middleware made
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.ApiBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "assist.middleware.KioskMiddleware",
    "accounts.middleware.TrustedPhoneMiddleware",  # after the kiosk's: a kiosk never uses a trusted phone
    "elder_mode.middleware.ElderModeMiddleware",
    "family.middleware.ActingForMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
ASGI_APPLICATION = "portal.asgi.application"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "elder_mode.context_processors.elder_mode",
                "family.context_processors.acting_for",
                "assist.context_processors.assist",
                "portal.context_processors.site",
            ],
        },
    }
]

# --- data stores -----------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")

if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database address: {exc}") from exc
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI every sync view may run on a new thread; persistent per-thread connections would pile
        # up to PostgreSQL's limit. A process-wide pool (psycopg_pool) keeps the count bounded.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 2, minimum=0),
            "max_size": env_int("DB_POOL_MAX", 10, minimum=1),
            "timeout": 10,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "portal.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }

def _redis_db_tag(url: str) -> str:
    """"redis://host:6379/5" -> "db5": what tells one Redis database's users from another's on a server
    (not the host or port: a process may reach the same server by another address, through a proxy)."""
    return "db" + (urlsplit(url).path.strip("/") or "0")


def _next_redis_db(url: str) -> str:
    """redis://host:6379/0 -> redis://host:6379/1 (the database after the one the broker uses)."""

    parts = urlsplit(url)
    db = parts.path.strip("/")
    number = int(db) + 1 if db.isdigit() else 1
    return urlunsplit(parts._replace(path=f"/{number}"))


if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured("REDIS_URL must start with redis:// or rediss://")
    # Redis pub/sub by default: a message is pushed to each ASGI process over its subscription, one PUBLISH per
    # group send, where the list-based layer ("lists") pays three round trips per message received, one at a
    # time per process (docs/decisions.md, "The channel layer over Redis pub/sub"). Pub/sub ignores Redis
    # database numbers, so channel names carry a prefix of their own (CHANNEL_PREFIX).
    CHANNEL_LAYER = env_str("CHANNEL_LAYER", "pubsub")
    if CHANNEL_LAYER not in ("pubsub", "lists"):
        raise ImproperlyConfigured("CHANNEL_LAYER must be pubsub or lists")
    _channel_hosts = env_list("CHANNEL_REDIS_HOSTS", [REDIS_URL])
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": _channel_hosts,
                       "prefix": env_str("CHANNEL_PREFIX", "ybt-" + _redis_db_tag(_channel_hosts[0]))},
        } if CHANNEL_LAYER == "pubsub" else {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": _channel_hosts, "capacity": 1500, "expiry": 30},
        }
    }
    # The cache gets its own Redis database: clearing it must never touch Celery's queues or channel groups.
    # Short socket timeouts: a Redis that accepts connections but never answers must give a plain 503
    # (the API) or a plain message (pages) in seconds, not hang the request.
    CACHES = {"default": {"BACKEND": "core.cache.SharedRedisCache",
                          "LOCATION": env_str("CACHE_REDIS_URL", _next_redis_db(REDIS_URL)),
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True

# A task whose worker died is handed to another worker after this long (acks_late + Redis).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 120, minimum=5)}
# Fault injection for the service-backed tests only: the worker sleeps between pre-settlement and final
# settlement, so a test can kill it there. Zero (off) unless the environment sets it.
SETTLEMENT_PAUSE_AFTER_PRESETTLE = float(env_str("SETTLEMENT_PAUSE_AFTER_PRESETTLE", "0") or 0)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_BACKEND = None
# No results are kept, so the (disabled) backend can be shared: otherwise Celery builds one per thread, and
# Django's ASGI handler runs each request on a new thread (12.7 ms per `delay`, docs/scale.md).
CELERY_RESULT_BACKEND_THREAD_SAFE = True
CELERY_TASK_IGNORE_RESULT = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- people and sign-in ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PhonePasswordBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours: lockouts end by themselves after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
# The one client-address helper (portal/client_address.py), so lockouts count the same address as the
# audit rows and the rate limits.
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_ip"
# Nothing typed into a sign-in form is kept in axes' tables (get_data / post_data): "password" is always
# masked by axes; these are every other field name a form of ours may carry.
AXES_SENSITIVE_PARAMETERS = [
    "username", "ip_address", "phone", "password", "token", "otp_token", "code", "id_number", "name",
    "next", "csrfmiddlewaretoken",
]
# Lockouts and login records are not shown in the admin (they hold addresses); they end by themselves.
AXES_ENABLE_ADMIN = False
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Reverse proxies in front of the app, each appending to X-Forwarded-For (README "Production"); 0 = none,
# the header is then ignored. Read by portal/client_address.py only.
PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0)

OTP_TOTP_ISSUER = "医保通"

# One-time codes (docs/design.md §8): 6 digits, 5 minutes, 5 tries, rate limits per phone and per IP.
OTP_CODE_TTL_SECONDS = 300
OTP_MAX_TRIES = 5
OTP_RESEND_AFTER_SECONDS = env_int("OTP_RESEND_AFTER_SECONDS", 60, minimum=0)
# Per phone, each purpose has its own hourly budget (sign-in, activation, a son's consent, a helper's
# consent, step-up: accounts/budgets.py), so a family's busy hour does not run out; OTP_PHONE_BUDGETS
# may set one purpose differently, and one ceiling over all purposes still stops a phone being flooded.
OTP_MAX_PER_PHONE_PER_HOUR = env_int("OTP_MAX_PER_PHONE_PER_HOUR", 5, minimum=1)
OTP_PHONE_BUDGETS: dict[str, int] = {}
OTP_MAX_PER_PHONE_ALL_PURPOSES_PER_HOUR = env_int("OTP_MAX_PER_PHONE_ALL_PURPOSES_PER_HOUR", 15, minimum=1)
OTP_MAX_PER_IP_PER_HOUR = env_int("OTP_MAX_PER_IP_PER_HOUR", 30, minimum=1)
# A community help point serves many citizens behind one address: addresses listed here (CIDR, from the
# environment) get a larger budget, and a registered kiosk (assist's Kiosk) is counted by itself.
HELP_POINT_NETWORKS = env_list("HELP_POINT_NETWORKS", [])
OTP_MAX_PER_HELP_POINT_PER_HOUR = env_int("OTP_MAX_PER_HELP_POINT_PER_HOUR", 120, minimum=1)
OTP_MAX_PER_KIOSK_PER_HOUR = env_int("OTP_MAX_PER_KIOSK_PER_HOUR", 60, minimum=1)
OTP_LOCK_AFTER_FAILED_CODES = 3
OTP_LOCK_MINUTES = 15

# Name + ID number (+ phone) checks that do not match, counted in the cache for an hour: per client
# address and per ID number, whichever fills first (accounts.actions.match_person).
IDENTITY_CHECKS_PER_ADDRESS_PER_HOUR = env_int("IDENTITY_CHECKS_PER_ADDRESS_PER_HOUR", 10, minimum=1)
IDENTITY_CHECKS_PER_ID_NUMBER_PER_HOUR = env_int("IDENTITY_CHECKS_PER_ID_NUMBER_PER_HOUR", 5, minimum=1)
IDENTITY_CHECKS_PER_HELP_POINT_PER_HOUR = env_int("IDENTITY_CHECKS_PER_HELP_POINT_PER_HOUR", 40, minimum=1)
IDENTITY_CHECKS_PER_KIOSK_PER_HOUR = env_int("IDENTITY_CHECKS_PER_KIOSK_PER_HOUR", 30, minimum=1)

# Messages whose task never reached a worker are sent by the beat job accounts.tasks.resend_pending_messages
# once they are a minute old; it gives up (marks them failed) after SMS_RESEND_MAX_AGE_SECONDS or
# SMS_RESEND_MAX_ATTEMPTS tries. A voice call (always a code) is given up once the code has expired.
SMS_RESEND_AFTER_SECONDS = 60
SMS_RESEND_MAX_AGE_SECONDS = env_int("SMS_RESEND_MAX_AGE_SECONDS", 6 * 3600, minimum=60)
SMS_RESEND_MAX_ATTEMPTS = 10
SMS_RESEND_BATCH = 200
# How long "send code" waits to learn whether the broker answers before telling her to try later.
SMS_BROKER_CHECK_TIMEOUT_SECONDS = 2

SMS_BACKEND = env_str("SMS_BACKEND", "outbox")
if SMS_BACKEND not in {"outbox", "http"}:
    raise ImproperlyConfigured("SMS_BACKEND must be 'outbox' or 'http'")
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL")
SMS_GATEWAY_TOKEN = env_str("SMS_GATEWAY_TOKEN")
SMS_SENDER_NAME = env_str("SMS_SENDER_NAME", "医保通")
if SMS_BACKEND == "http" and not SMS_GATEWAY_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_GATEWAY_URL (https://...)")

# --- payments and payouts (payments/providers.py, payments/payouts.py) -----------------------------
# The embedded default is a sandbox that behaves like a real provider: asynchronous signed callbacks, and on
# request duplicates, out-of-order notices and timeouts (SANDBOX_*). Production uses the HTTP providers: JSON
# over HTTPS signed with HMAC-SHA256; portal/settings/prod.py refuses the sandbox and empty secrets.
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "sandbox")
PAYOUT_PROVIDER = env_str("PAYOUT_PROVIDER", "sandbox")
if PAYMENT_PROVIDER not in {"sandbox", "http"} or PAYOUT_PROVIDER not in {"sandbox", "http"}:
    raise ImproperlyConfigured("PAYMENT_PROVIDER and PAYOUT_PROVIDER must be 'sandbox' or 'http'")
PAYMENT_HTTP_URL = env_str("PAYMENT_HTTP_URL").rstrip("/")
PAYOUT_HTTP_URL = env_str("PAYOUT_HTTP_URL").rstrip("/")
# The sandbox signs with a fixed development secret when none is set; the HTTP providers need real ones.
PAYMENT_SECRET = env_str("PAYMENT_SECRET", "sandbox-payment-secret" if PAYMENT_PROVIDER == "sandbox" else "")
PAYOUT_SECRET = env_str("PAYOUT_SECRET", "sandbox-payout-secret" if PAYOUT_PROVIDER == "sandbox" else "")
if PAYMENT_PROVIDER == "http" and (not PAYMENT_HTTP_URL.startswith(("https://", "http://")) or not PAYMENT_SECRET):
    raise ImproperlyConfigured("PAYMENT_PROVIDER=http needs PAYMENT_HTTP_URL (https://...) and PAYMENT_SECRET")
if PAYOUT_PROVIDER == "http" and (not PAYOUT_HTTP_URL.startswith(("https://", "http://")) or not PAYOUT_SECRET):
    raise ImproperlyConfigured("PAYOUT_PROVIDER=http needs PAYOUT_HTTP_URL (https://...) and PAYOUT_SECRET")
PAYMENT_TIMEOUT_SECONDS = env_int("PAYMENT_TIMEOUT_SECONDS", 5, minimum=1)
# An order not paid within this many minutes expires; reconciliation asks the provider about orders older
# than PAYMENT_RECONCILE_AFTER_MINUTES and re-checks booked orders paid in the last LOOKBACK days.
PAYMENT_ORDER_TTL_MINUTES = env_int("PAYMENT_ORDER_TTL_MINUTES", 30, minimum=5)
PAYMENT_RECONCILE_AFTER_MINUTES = env_int("PAYMENT_RECONCILE_AFTER_MINUTES", 5, minimum=1)
PAYMENT_RECONCILE_LOOKBACK_DAYS = env_int("PAYMENT_RECONCILE_LOOKBACK_DAYS", 3, minimum=1)
# A payout left "requested" is tried again after PAYOUT_RETRY_SECONDS * 2**attempts, and failed after
# PAYOUT_MAX_ATTEMPTS tries (staff then pay it by hand).
PAYOUT_RETRY_SECONDS = env_int("PAYOUT_RETRY_SECONDS", 60, minimum=1)
PAYOUT_MAX_ATTEMPTS = env_int("PAYOUT_MAX_ATTEMPTS", 8, minimum=1)
# Sandbox knobs (development and tests only): extra copies of every callback, callbacks in reverse order,
# callbacks never sent (reconciliation finds the payment), "start"/"query"/"both" timing out, the callback's
# delay, and a payout that fails, times out or is paid only after a delay.
SANDBOX_DUPLICATE_CALLBACKS = env_int("SANDBOX_DUPLICATE_CALLBACKS", 0, minimum=0)
SANDBOX_OUT_OF_ORDER = env_bool("SANDBOX_OUT_OF_ORDER", False)
SANDBOX_LOSE_CALLBACKS = env_bool("SANDBOX_LOSE_CALLBACKS", False)
SANDBOX_TIMEOUT = env_str("SANDBOX_TIMEOUT", "")
SANDBOX_CALLBACK_DELAY_SECONDS = env_int("SANDBOX_CALLBACK_DELAY_SECONDS", 1, minimum=0)
SANDBOX_PAYOUT_FAIL = env_bool("SANDBOX_PAYOUT_FAIL", False)
SANDBOX_PAYOUT_TIMEOUT = env_bool("SANDBOX_PAYOUT_TIMEOUT", False)
SANDBOX_PAYOUT_DELAY_SECONDS = env_int("SANDBOX_PAYOUT_DELAY_SECONDS", 0, minimum=0)

# --- keys ---------------------------------------------------------------------------------
# Field encryption keys are separate from SECRET_KEY so either can be rotated alone.
FIELD_ENCRYPTION_KEYS = parse_key_ring("FIELD_ENCRYPTION_KEYS", env_str("FIELD_ENCRYPTION_KEYS", ""), length=32) \
    if env_str("FIELD_ENCRYPTION_KEYS") else []
FIELD_INDEX_KEY = env_str("FIELD_INDEX_KEY")
CODE_SIGNING_KEYS = parse_key_ring("CODE_SIGNING_KEYS", env_str("CODE_SIGNING_KEYS", ""), length=32) \
    if env_str("CODE_SIGNING_KEYS") else []

CODE_REFRESH_SECONDS = 30
CODE_TTL_SECONDS = 60

# Trusted phones and step-up (docs/architecture.md, "Trusted phones and step-up"): the cookie lives this many
# days; a trusted phone's session may change her account only within STEP_UP_MINUTES of a step-up (passkey,
# PIN or SMS); 5 wrong PINs lock the PIN for 15 minutes. The passkey's relying party is WEBAUTHN_RP_ID (the
# portal's host name) or, when empty, the host the request came to (development and tests).
TRUSTED_PHONE_COOKIE = "trusted_phone"
TRUSTED_PHONE_DAYS = env_int("TRUSTED_PHONE_DAYS", 365, minimum=1)
STEP_UP_MINUTES = env_int("STEP_UP_MINUTES", 10, minimum=1)
STEP_UP_PIN_MAX_TRIES = 5
STEP_UP_PIN_LOCK_MINUTES = 15
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "")

# Offline counters (docs/architecture.md, "Offline counters"): only registered terminals, at most this
# much per offline settlement (yuan), her and her family told by SMS with a "不是我本人" link valid for
# OFFLINE_DISPUTE_LINK_DAYS, and the same voucher captured offline at two institutions within
# OFFLINE_TWIN_WINDOW_MINUTES flagged for staff.
OFFLINE_FLOOR_LIMIT_YUAN = env_decimal("OFFLINE_FLOOR_LIMIT_YUAN", "200.00")
OFFLINE_TWIN_WINDOW_MINUTES = env_int("OFFLINE_TWIN_WINDOW_MINUTES", 10, minimum=1)
OFFLINE_DISPUTE_LINK_DAYS = env_int("OFFLINE_DISPUTE_LINK_DAYS", 30, minimum=1)
# The address people reach the portal at, for links sent by SMS.
PORTAL_PUBLIC_URL = env_str("PORTAL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Institution API
API_CLOCK_SKEW_SECONDS = 300
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 256 * 1024, minimum=1024)
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- language -------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Document photos people upload (filing materials, certificates): private, never under a URL.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False  # portal.middleware.SlidingSessionMiddleware slides the expiry instead
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60, minimum=1)
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "media-src": [CSP.SELF, "blob:"],  # her complaint's recording played back before she sends it (recorder.js)
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF],  # the counter's service worker (/counter/sw.js)
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

SITE_HOTLINE = "12393"
# 手工报销: how long after a visit she may still claim it, and the promised review time (working days).
CLAIM_WINDOW_DAYS = env_int("CLAIM_WINDOW_DAYS", 365, minimum=1)
CLAIM_REVIEW_WORKING_DAYS = env_int("CLAIM_REVIEW_WORKING_DAYS", 5, minimum=1)

# --- voice guidance (elder mode) ------------------------------------------------------------
# Engines in order of preference: "gtts" (Google, online, best voice) and "espeak" (espeak-ng, offline).
# The default is offline; where Google is reachable set VOICE_ENGINES=gtts,espeak.
VOICE_ENGINES = env_list("VOICE_ENGINES", ["espeak"])
if not VOICE_ENGINES or set(VOICE_ENGINES) - {"gtts", "espeak"}:
    raise ImproperlyConfigured("VOICE_ENGINES must list some of: gtts, espeak (e.g. gtts,espeak)")
VOICE_CACHE_DIR = Path(env_str("VOICE_CACHE_DIR", str(VAR_DIR / "voice")))
VOICE_ENGINE_TIMEOUT = env_int("VOICE_ENGINE_TIMEOUT", 8, minimum=1)  # seconds per synthesis (or Google request)
VOICE_ENGINE_RETRY_SECONDS = env_int("VOICE_ENGINE_RETRY_SECONDS", 60, minimum=0)  # skip a failed engine this long
VOICE_SAY_PER_MINUTE = env_int("VOICE_SAY_PER_MINUTE", 30, minimum=1)  # dynamic sentences per address per minute

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_identifiers": {"()": "audit.logging.MaskIdentifiersFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_identifiers"], "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}


def dev_key(label: str) -> str:
    """A deterministic key for development and tests only, never used when DEBUG is off in prod."""
    digest = hashlib.sha256(f"yibaotong-dev-only:{label}".encode()).digest()
    return base64.b64encode(digest).decode()
