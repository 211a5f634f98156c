"""Settings come from the environment and fail loudly on a bad value; /healthz tells the truth."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int, parse_key_ring


def _import_settings(module: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"], env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )


def test_a_bad_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("DEBUG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG")


def test_a_bad_number_is_refused(monkeypatch):
    monkeypatch.setenv("OTP_MAX_PER_IP_PER_HOUR", "many")
    with pytest.raises(ImproperlyConfigured, match="OTP_MAX_PER_IP_PER_HOUR"):
        env_int("OTP_MAX_PER_IP_PER_HOUR", 30)


@pytest.mark.parametrize("raw", ["k1", "k1:not-base64!", "k1:" + "QUFB", "k1:" + "A" * 43 + "=,k1:" + "B" * 43 + "=", ""])
def test_a_bad_encryption_key_ring_is_refused(raw):
    with pytest.raises(ImproperlyConfigured):
        parse_key_ring("FIELD_ENCRYPTION_KEYS", raw)


def test_production_settings_refuse_to_start_without_secrets():
    result = _import_settings("portal.settings.prod")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_bad_database_url_stops_start_up_with_its_name():
    result = _import_settings("portal.settings.dev", DATABASE_URL="nonsense://x")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_a_bad_redis_url_stops_start_up_with_its_name():
    result = _import_settings("portal.settings.dev", REDIS_URL="http://127.0.0.1:6379")
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr


def _layer_of(**env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings.dev as s; c = s.CHANNEL_LAYERS['default'];"
                               "print(c['BACKEND'], c['CONFIG'].get('prefix', '-'))"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "DJANGO_",
                                                                          "CHANNEL_"))}, **env},
        capture_output=True, text=True, timeout=60)
    return result.stdout.strip() or result.stderr


def test_the_channel_layer_is_redis_pub_sub_with_a_prefix_per_redis_database_unless_lists_are_asked_for():
    assert _layer_of(REDIS_URL="redis://127.0.0.1:6379/4") == "channels_redis.pubsub.RedisPubSubChannelLayer ybt-db4"
    # Two environments on one Redis server hear only their own channels, whichever address they reach it by.
    assert _layer_of(REDIS_URL="redis://127.0.0.1:6379/0",
                     CHANNEL_REDIS_HOSTS="redis://10.0.0.9:7000/5,redis://10.0.0.9:7001/0").endswith(" ybt-db5")
    assert _layer_of(REDIS_URL="redis://127.0.0.1:6379/4", CHANNEL_PREFIX="ward-3").endswith(" ward-3")
    assert _layer_of(REDIS_URL="redis://127.0.0.1:6379/4", CHANNEL_LAYER="lists") == \
        "channels_redis.core.RedisChannelLayer -"
    assert "CHANNEL_LAYER must be pubsub or lists" in _layer_of(REDIS_URL="redis://127.0.0.1:6379/4",
                                                                CHANNEL_LAYER="rabbit")


def test_production_settings_pass_the_deploy_check():
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.prod",
        "SECRET_KEY": "x" * 30 + "-production-secret-key-for-the-check-only-0123456789",
        "DATABASE_URL": "sqlite:////tmp/yibaotong-deploy-check.sqlite3",
        "FIELD_ENCRYPTION_KEYS": "p1:" + "A" * 43 + "=",
        "FIELD_INDEX_KEY": "index-key-for-the-check",
        "CODE_SIGNING_KEYS": "s1:" + "B" * 43 + "=",
        "ALLOWED_HOSTS": "ybt.example.cn",
        "PORTAL_PUBLIC_URL": "https://ybt.example.cn",
        "PAYMENT_PROVIDER": "http", "PAYMENT_HTTP_URL": "https://pay.example.cn", "PAYMENT_SECRET": "p" * 40,
        "PAYOUT_PROVIDER": "http", "PAYOUT_HTTP_URL": "https://payout.example.cn", "PAYOUT_SECRET": "q" * 40,
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "DJANGO_"))}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            env={**clean, **env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_a_portal_address_that_her_phone_cannot_open():
    env = {
        "SECRET_KEY": "x" * 60, "DATABASE_URL": "sqlite:////tmp/x.sqlite3",
        "FIELD_ENCRYPTION_KEYS": "p1:" + "A" * 43 + "=", "FIELD_INDEX_KEY": "k",
        "CODE_SIGNING_KEYS": "s1:" + "B" * 43 + "=", "PORTAL_PUBLIC_URL": "http://127.0.0.1:8000",
    }
    result = _import_settings("portal.settings.prod", **env)
    assert result.returncode != 0
    assert "PORTAL_PUBLIC_URL" in result.stderr


def test_healthz_reports_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_healthz_reports_an_unreachable_redis(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_pages_carry_a_content_security_policy_and_no_framing(client, db):
    response = client.get("/")
    assert "script-src 'self' 'nonce-" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_seed_command_is_idempotent_and_prints_json(db):
    import json
    from io import StringIO

    from django.core.management import call_command

    from insurance.models import Institution, InsuredPerson

    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    call_command("seed_demo", stdout=StringIO())
    info = json.loads(out.getvalue())
    assert InsuredPerson.objects.count() == info["people"] >= 50
    assert Institution.objects.count() >= 3
    assert len(set(Institution.objects.values_list("level", flat=True))) >= 3
    over_60 = [p for p in InsuredPerson.objects.all() if p.age >= 60]
    assert len(over_60) >= 25
    mother = InsuredPerson.objects.get(name="王秀英")
    assert mother.birth_date == dt.date(1944, 3, 12) and mother.age >= 82  # README: 82 in 2026, older since
    assert info["institution_api"]["key_id"] and info["institution_api"]["secret"]
    assert {w["role"] for w in info["workers"]} == {"helper", "operator", "staff"}
