"""A counter talks to the institution API on a real ASGI server: signed requests, public keys, offline checks."""

from __future__ import annotations

import base64
import json
import time

import pytest

from service.service_processes import ServiceProcess, http
from settlement.signing import signed_headers
from vouchers.codes import CodeTokenError, issue_code_token, published_keys, verify_code_token
from vouchers.selectors import voucher_of

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

VERIFY = "/api/v1/vouchers/verify"


def _signed_post(server: ServiceProcess, institution, path: str, payload: dict, *, now: int | None = None):
    body = json.dumps(payload).encode()
    headers = {
        **signed_headers(institution.api_key_id, institution.api_secret, "POST", path, body, now=now),
        "Content-Type": "application/json",
    }
    with http() as session:
        return session.post(server.url + path, data=body, headers=headers, timeout=15)


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.service
def test_a_counter_verifies_grandmas_code_and_sees_only_her_masked_name(asgi_server, mother_user, institution):
    token = issue_code_token(voucher_of(mother_user.person).public_id)

    response = _signed_post(asgi_server, institution, VERIFY, {"code": token})

    assert response.status_code == 200, response.text + "\n" + asgi_server.describe()
    body = response.json()
    assert body["valid"] is True
    assert body["masked_name"] == "王**"
    assert "王秀英" not in response.text
    assert "330100194403121123" not in response.text
    assert 0 < body["expires_in"] <= 60


@pytest.mark.service
def test_a_request_signed_ten_minutes_ago_is_refused(asgi_server, mother_user, institution):
    token = issue_code_token(voucher_of(mother_user.person).public_id)

    response = _signed_post(asgi_server, institution, VERIFY, {"code": token}, now=int(time.time()) - 600)

    assert response.status_code == 401, response.text
    assert response.json()["error"] == "stale_request"
    assert "王" not in response.text


@pytest.mark.service
def test_the_published_key_lets_a_counter_check_a_code_with_no_network(asgi_server, mother_user):
    with http() as session:
        response = session.get(asgi_server.url + "/api/v1/keys", timeout=15)
    assert response.status_code == 200, response.text
    keys = {bytes.fromhex(k["kid"]): _b64d(k["public_key"]) for k in response.json()["keys"]}
    # The server (portal.settings.dev) and this process (portal.settings.test) share signing keys.
    assert response.json()["keys"] == published_keys()

    voucher = voucher_of(mother_user.person)
    token = issue_code_token(voucher.public_id)
    claims = verify_code_token(token, public_keys=keys)
    assert claims.voucher_public_id == voucher.public_id

    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(CodeTokenError) as refused:
        verify_code_token(tampered, public_keys=keys)
    assert refused.value.code in {"code_forged", "code_malformed"}


@pytest.mark.service
def test_a_busy_counter_does_not_open_a_redis_connection_per_request(asgi_server, mother_user, institution, services):
    """Each API request checks the rate limit and refuses replays in the cache. Under ASGI every request is a
    new context, and Django's Redis cache made a new client, pool and connection for each (core/cache.py)."""
    import redis

    public_id = voucher_of(mother_user.person).public_id

    def verify() -> int:  # a fresh code each time: the same signed request twice is refused as a replay
        return _signed_post(asgi_server, institution, VERIFY, {"code": issue_code_token(public_id)}).status_code

    assert verify() == 200  # the server's first request opens what it keeps
    stats = redis.Redis.from_url(services["redis_url"])
    before = stats.info("stats")["total_connections_received"]
    answers = [verify() for _ in range(20)]
    opened = stats.info("stats")["total_connections_received"] - before - 1  # -1: the INFO client itself

    assert answers == [200] * 20
    assert opened <= 4, f"{opened} new Redis connections for 20 requests"
