"""The institution API's contract on PostgreSQL, Redis and a real ASGI server (docs/threat-model.md).

Many copies of one bill sent at the same moment with one Idempotency-Key make exactly one settlement;
text PostgreSQL cannot store, chunked bodies over the limit and Redis being away all get a plain 4xx/503.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from service.service_processes import ServiceProcess, free_port, http
from settlement.models import IdempotencyRecord, Settlement
from settlement.signing import signed_headers
from vouchers.codes import issue_code_token
from vouchers.selectors import voucher_of

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

SETTLEMENTS = "/api/v1/settlements"
VERIFY = "/api/v1/vouchers/verify"
PILLS = {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}
COPIES = 10


def _bill(person, **overrides) -> dict:
    payload = {"code": issue_code_token(voucher_of(person).public_id), "visit_type": "outpatient", "items": [PILLS]}
    payload.update(overrides)
    return payload


def _post(server: ServiceProcess, institution, path: str, body: bytes, **headers: str) -> requests.Response:
    signed = signed_headers(institution.api_key_id, institution.api_secret, "POST", path, body)
    with http() as session:
        return session.post(server.url + path, data=body,
                            headers={**signed, "Content-Type": "application/json", **headers}, timeout=30)


def _all_at_once(bodies: list[bytes], server: ServiceProcess, institution, key: str) -> list[requests.Response]:
    """Every copy leaves at the same moment (a barrier), each on its own connection."""
    start = threading.Barrier(len(bodies))

    def one(body: bytes) -> requests.Response:
        start.wait(timeout=30)
        return _post(server, institution, SETTLEMENTS, body, **{"Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


def _describe(responses: list[requests.Response]) -> str:
    return "\n".join(f"{r.status_code} {r.text[:200]}" for r in responses)


def test_ten_copies_of_one_bill_sent_at_once_with_one_key_make_exactly_one_settlement(
        asgi_server, mother_user, institution):
    body = json.dumps(_bill(mother_user.person)).encode()

    responses = _all_at_once([body] * COPIES, asgi_server, institution, "visit-at-once")

    assert all(r.status_code < 500 for r in responses), _describe(responses) + "\n" + asgi_server.describe()
    assert Settlement.objects.filter(institution=institution).count() == 1
    settlement = Settlement.objects.get(institution=institution)
    for response in responses:
        if response.status_code == 202:
            assert response.json()["id"] == str(settlement.public_id), _describe(responses)
        else:
            assert response.status_code == 409, _describe(responses)
            assert response.json()["error"] == "request_in_progress", _describe(responses)
            assert int(response.headers["Retry-After"]) >= 1
    assert sum(r.status_code == 202 for r in responses) >= 1

    retry = _post(asgi_server, institution, SETTLEMENTS, body, **{"Idempotency-Key": "visit-at-once"})
    assert retry.status_code == 202, retry.text
    assert retry.json()["id"] == str(settlement.public_id)
    assert IdempotencyRecord.objects.get(institution=institution, key="visit-at-once").status_code == 202


def test_ten_different_bills_sent_at_once_with_one_key_make_exactly_one_settlement(
        asgi_server, mother_user, institution):
    bodies = [json.dumps(_bill(mother_user.person, visit_type="pharmacy")).encode() for _ in range(COPIES)]
    assert len(set(bodies)) == COPIES

    responses = _all_at_once(bodies, asgi_server, institution, "visit-crossed")

    assert all(r.status_code < 500 for r in responses), _describe(responses) + "\n" + asgi_server.describe()
    assert Settlement.objects.filter(institution=institution).count() == 1
    settlement = Settlement.objects.get(institution=institution)
    accepted = [r for r in responses if r.status_code == 202]
    assert len(accepted) == 1, _describe(responses)
    assert accepted[0].json()["id"] == str(settlement.public_id)
    refused = [r for r in responses if r.status_code != 202]
    assert all(r.status_code == 409 and r.json()["error"] == "idempotency_key_reused" for r in refused), \
        _describe(responses)

    winner = bodies[responses.index(accepted[0])]
    loser = bodies[(responses.index(accepted[0]) + 1) % COPIES]
    again = _post(asgi_server, institution, SETTLEMENTS, winner, **{"Idempotency-Key": "visit-crossed"})
    assert again.status_code == 202 and again.json()["id"] == str(settlement.public_id)
    other = _post(asgi_server, institution, SETTLEMENTS, loser, **{"Idempotency-Key": "visit-crossed"})
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"


@pytest.mark.parametrize(("where", "field"), [
    ("item name", "items[0].name"),
    ("item code", "items[0].code"),
    ("batch client_id", "settlements[0].client_id"),
])
def test_a_nul_byte_postgresql_cannot_store_is_refused_naming_the_field(asgi_server, mother_user, institution,
                                                                        where, field):
    if where == "batch client_id":
        path = SETTLEMENTS + "/batch"
        payload = {"settlements": [{**_bill(mother_user.person), "client_id": "c\u00001",
                                    "captured_at": "2026-01-01T08:00:00+08:00"}]}
    else:
        path = SETTLEMENTS
        item = {**PILLS, ("name" if where == "item name" else "code"): "阿莫\u0000西林"}
        payload = _bill(mother_user.person, items=[item])

    response = _post(asgi_server, institution, path, json.dumps(payload).encode())

    assert response.status_code == 400, response.text + "\n" + asgi_server.describe()
    assert response.json()["error"] == "invalid_character"
    assert field in response.json()["message"]
    assert not Settlement.objects.exists()


def test_a_chunked_body_over_the_limit_gets_413_and_one_under_it_is_answered(asgi_server, mother_user, institution):
    from django.conf import settings

    token = issue_code_token(voucher_of(mother_user.person).public_id)
    big = json.dumps({"code": token, "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)}).encode()
    small = json.dumps({"code": token}).encode()

    def chunked(body: bytes):
        for start in range(0, len(body), 32 * 1024):
            yield body[start:start + 32 * 1024]

    with http() as session:
        for body, expected in ((big, 413), (small, 200)):
            headers = {**signed_headers(institution.api_key_id, institution.api_secret, "POST", VERIFY, body),
                       "Content-Type": "application/json"}
            response = session.post(asgi_server.url + VERIFY, data=chunked(body), headers=headers, timeout=30)
            assert response.request.headers.get("Transfer-Encoding") == "chunked"
            assert response.status_code == expected, response.text[:300] + "\n" + asgi_server.describe()
            assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["masked_name"] == "王**"


def test_signed_calls_get_503_with_retry_after_while_the_cache_redis_is_away(start_server, mother_user, institution):
    server = start_server("asgi-cache-away", CACHE_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    body = json.dumps({"code": issue_code_token(voucher_of(mother_user.person).public_id)}).encode()

    response = _post(server, institution, VERIFY, body)

    assert response.status_code == 503, response.text + "\n" + server.describe()
    assert response.json()["error"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    with http() as session:
        assert session.get(server.url + "/api/v1/keys", timeout=15).status_code == 200


def test_under_asgi_the_path_is_signed_percent_encoded_as_sent_with_its_query(asgi_server, institution):
    """uvicorn hands Django the decoded path; Django re-encodes it, so what the counter sent is what it signs."""
    sent = "/api/v1/settlements/%E4%B8%AD%20x?lane=3&who=%E7%8E%8B"
    decoded = "/api/v1/settlements/中 x?lane=3&who=王"
    with http() as session:
        for signed_as, expected in ((sent, 404), (decoded, 401), (sent.split("?")[0], 401)):
            headers = signed_headers(institution.api_key_id, institution.api_secret, "GET", signed_as, b"")
            response = session.get(asgi_server.url + sent, headers=headers, timeout=15)
            assert response.status_code == expected, (signed_as, response.text)
            assert response.json()["error"] == ("not_found" if expected == 404 else "bad_signature")


def test_a_replayed_signed_post_is_refused_over_the_real_server(asgi_server, mother_user, institution):
    body = json.dumps({"code": issue_code_token(voucher_of(mother_user.person).public_id)}).encode()
    headers = {**signed_headers(institution.api_key_id, institution.api_secret, "POST", VERIFY, body),
               "Content-Type": "application/json"}
    with http() as session:
        first = session.post(asgi_server.url + VERIFY, data=body, headers=headers, timeout=15)
        again = session.post(asgi_server.url + VERIFY, data=body, headers=headers, timeout=15)
        as_text = session.post(asgi_server.url + VERIFY, data=body,
                               headers={**headers, "Content-Type": "text/plain"}, timeout=15)
    assert first.status_code == 200, first.text
    assert again.status_code == 409 and again.json()["error"] == "replayed_request"
    assert as_text.status_code == 415 and as_text.json()["error"] == "unsupported_media_type"
