"""Production: every secret from the environment, HTTPS only. ``check --deploy`` is clean."""

from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import *  # noqa: F403

DEBUG = False
if len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 random characters in production")
if not FIELD_ENCRYPTION_KEYS or not FIELD_INDEX_KEY or not CODE_SIGNING_KEYS:  # noqa: F405
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS, FIELD_INDEX_KEY and CODE_SIGNING_KEYS must all be set")
if not DATABASE_URL:  # noqa: F405
    raise ImproperlyConfigured("DATABASE_URL must be set in production")
if not PORTAL_PUBLIC_URL.startswith("https://") or "127.0.0.1" in PORTAL_PUBLIC_URL:  # noqa: F405
    # Links in SMS (e.g. "不是我本人") must open the real portal on her phone.
    raise ImproperlyConfigured("PORTAL_PUBLIC_URL must be the portal's public https:// address in production")

if PAYMENT_PROVIDER != "http" or PAYOUT_PROVIDER != "http":  # noqa: F405
    # The sandbox takes anyone's "确认支付" as money received: never in production.
    raise ImproperlyConfigured("PAYMENT_PROVIDER and PAYOUT_PROVIDER must be 'http' in production")
if len(PAYMENT_SECRET) < 32 or len(PAYOUT_SECRET) < 32:  # noqa: F405
    raise ImproperlyConfigured("PAYMENT_SECRET and PAYOUT_SECRET must be set to at least 32 characters in production")
if not PAYMENT_HTTP_URL.startswith("https://") or not PAYOUT_HTTP_URL.startswith("https://"):  # noqa: F405
    raise ImproperlyConfigured("PAYMENT_HTTP_URL and PAYOUT_HTTP_URL must be https:// in production")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)  # noqa: F405
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
