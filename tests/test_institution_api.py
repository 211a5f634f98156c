"""The institution API, first part (docs/design.md §4): signed requests, code verification, plain errors.

A hospital counter signs each request; anything unsigned, wrongly signed, stale, oversized or
malformed gets a 4xx with {error, message} in plain Chinese — never a 500.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import struct
import time
import types
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from audit.models import AuditEvent, Via
from conftest import INSTITUTION_SECRET, SignedApi
from insurance.models import Institution, InstitutionLevel, InsuredPerson
from settlement.signing import signature_for, signed_headers
from vouchers.actions import consume_code, suspend_voucher
from vouchers.codes import issue_code_token, signing_keys
from vouchers.models import Voucher

VERIFY = "/api/v1/vouchers/verify"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def api(institution) -> SignedApi:
    """The counter, with a client that turns a server error into a 500 response we can see."""
    return SignedApi(Client(raise_request_exception=False), institution.api_key_id, INSTITUTION_SECRET)


@pytest.fixture
def raw_client() -> Client:
    return Client(raise_request_exception=False)


def code_of(person: InsuredPerson, **kwargs) -> str:
    return issue_code_token(Voucher.objects.get(person=person).public_id, **kwargs)


def assert_plain_error(response, status: int | tuple[int, ...], error: str | None = None) -> dict:
    """A 4xx, JSON, with a machine code and a sentence a cashier can read."""
    assert response.status_code < 500, response.content[:300]
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"]
    assert CHINESE.search(body.get("message", "")), body
    if error is not None:
        assert body["error"] == error, body
    return body


def send(client: Client, body: bytes, headers: dict[str, str], path: str = VERIFY):
    return client.post(path, data=body, content_type="application/json", headers=headers)


# --- the happy path ---------------------------------------------------------------------------


def test_a_signed_check_of_grandmas_fresh_code_shows_her_masked_name_and_scheme(api, mother_user, mother):
    response = api.post(VERIFY, {"code": code_of(mother)})

    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["masked_name"] == "王**"
    assert body["scheme"] == mother.scheme and body["scheme_label"] == "职工医保"
    assert body["region"] == "330100" and body["region_name"]
    assert 55 <= body["expires_in"] <= 60
    assert "王秀英" not in response.content.decode()
    assert mother.id_number not in response.content.decode()


def test_checking_a_code_is_written_in_her_account_record(api, mother_user, mother, institution):
    assert api.post(VERIFY, {"code": code_of(mother)}).status_code == 200
    event = AuditEvent.objects.get(subject=mother, action="voucher.code_verified")
    assert event.via == Via.INSTITUTION
    assert event.actor_label == institution.name


def test_checking_a_code_does_not_use_it_up(api, mother_user, mother):
    code, signed_at = code_of(mother), int(time.time())
    assert api.post(VERIFY, {"code": code}, now=signed_at).status_code == 200
    # Checked again with a new signature (the same one would be a replay), whenever the clock ticks between.
    assert api.post(VERIFY, {"code": code}, now=signed_at - 1).status_code == 200


def test_a_refused_check_writes_nothing_in_her_record(api, mother_user, mother):
    before = AuditEvent.objects.filter(subject=mother).count()
    assert_plain_error(api.post(VERIFY, {"code": code_of(mother, now=int(time.time()) - 120)}), 422)
    assert AuditEvent.objects.filter(subject=mother).count() == before


def test_the_public_keys_need_no_signature(raw_client, db):
    response = raw_client.get("/api/v1/keys")
    assert response.status_code == 200
    assert response.json()["keys"][0]["alg"] == "Ed25519"


# --- unsigned, wrongly signed, stale ----------------------------------------------------------


@pytest.mark.parametrize("missing", ["X-Institution", "X-Timestamp", "X-Signature"])
def test_a_request_missing_any_signing_header_is_refused(api, mother_user, mother, raw_client, missing):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    del headers[missing]
    assert_plain_error(send(raw_client, body, headers), 401, "unsigned_request")


def test_a_request_with_no_headers_at_all_is_refused(raw_client, mother_user, mother):
    response = raw_client.post(VERIFY, data={"code": code_of(mother)}, content_type="application/json")
    assert_plain_error(response, 401, "unsigned_request")


def test_a_request_signed_with_the_wrong_secret_is_refused(institution, mother_user, mother, raw_client):
    wrong = SignedApi(raw_client, institution.api_key_id, "not-the-secret")
    assert_plain_error(wrong.post(VERIFY, {"code": code_of(mother)}), 401, "bad_signature")


def test_a_request_from_an_unknown_key_id_is_refused(mother_user, mother, raw_client, db):
    stranger = SignedApi(raw_client, "no-such-key", INSTITUTION_SECRET)
    assert_plain_error(stranger.post(VERIFY, {"code": code_of(mother)}), 401, "bad_signature")


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda h: {**h, "X-Signature": "0" * 64}, id="zeros"),
    pytest.param(lambda h: {**h, "X-Signature": h["X-Signature"][:-1]}, id="one character short"),
    pytest.param(lambda h: {**h, "X-Signature": h["X-Signature"][::-1]}, id="reversed"),
    pytest.param(lambda h: {**h, "X-Signature": "签名" * 32}, id="chinese characters"),
    pytest.param(lambda h: {**h, "X-Signature": "é" * 64}, id="latin-1 bytes"),
    pytest.param(lambda h: {**h, "X-Institution": "机构"}, id="chinese key id"),
    pytest.param(lambda h: {**h, "X-Institution": "test-h1\x00"}, id="key id with a nul"),
    pytest.param(lambda h: {**h, "X-Institution": "k" * 5000}, id="very long key id"),
    pytest.param(lambda h: {**h, "X-Timestamp": str(int(h["X-Timestamp"]) + 1)}, id="timestamp changed"),
])
def test_a_wrong_or_garbled_signature_is_refused_and_never_breaks_the_server(
        api, mother_user, mother, raw_client, tamper):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = tamper(signed_headers(api.key_id, api.secret, "POST", VERIFY, body))
    assert_plain_error(send(raw_client, body, headers), 401, "bad_signature")


def test_a_signature_in_capitals_is_still_the_same_signature(api, mother_user, mother, raw_client):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    headers["X-Signature"] = headers["X-Signature"].upper()
    assert send(raw_client, body, headers).status_code == 200


def test_a_body_changed_after_signing_is_refused(api, mother_user, mother, raw_client):
    signed_body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, signed_body)
    other_body = json.dumps({"code": code_of(mother)}).encode()
    assert_plain_error(send(raw_client, other_body, headers), 401, "bad_signature")
    assert_plain_error(send(raw_client, signed_body + b" ", headers), 401, "bad_signature")


def test_a_signature_for_another_path_or_method_is_refused(api, mother_user, mother, raw_client):
    body = json.dumps({"code": code_of(mother)}).encode()
    for method, path in [("POST", "/api/v1/settlements"), ("GET", VERIFY), ("PUT", VERIFY)]:
        headers = signed_headers(api.key_id, api.secret, method, path, body)
        assert_plain_error(send(raw_client, body, headers), 401, "bad_signature")


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 10**9])
def test_a_request_signed_more_than_five_minutes_off_is_refused_as_stale(api, mother_user, mother, offset):
    response = api.post(VERIFY, {"code": code_of(mother)}, now=int(time.time()) + offset)
    body = assert_plain_error(response, 401, "stale_request")
    assert "5分钟" in body["message"]


@pytest.mark.parametrize("offset", [-299, 299])
def test_a_request_a_few_minutes_off_is_still_accepted(api, mother_user, mother, offset):
    assert api.post(VERIFY, {"code": code_of(mother)}, now=int(time.time()) + offset).status_code == 200


@pytest.mark.parametrize("timestamp", ["", "abc", "-5", "1.5e9", "1700000000.5", " 1700000000", "²",
                                       "١٧٠٠٠٠٠٠٠٠", "9" * 30, "０１２３"])
def test_a_timestamp_that_is_not_unix_seconds_is_refused(api, mother_user, mother, raw_client, timestamp):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    headers["X-Timestamp"] = timestamp
    headers["X-Signature"] = signature_for(api.secret, "POST", VERIFY, timestamp, body)
    response = send(raw_client, body, headers)
    assert_plain_error(response, 401)
    assert response.json()["error"] in ("bad_timestamp", "unsigned_request")


def test_a_disabled_institution_is_refused_even_when_it_signs_correctly(api, institution, mother_user, mother):
    institution.is_active = False
    institution.save(update_fields=["is_active"])
    body = assert_plain_error(api.post(VERIFY, {"code": code_of(mother)}), 403, "institution_disabled")
    assert "停用" in body["message"]
    assert not AuditEvent.objects.filter(subject=mother, action="voucher.code_verified").exists()


def test_too_many_requests_in_a_minute_are_slowed_down_per_institution(
        api, mother_user, mother, settings, monkeypatch, db):
    clock = [float(int(time.time()))]
    frozen_time = types.SimpleNamespace(time=lambda: clock[0])
    # The signature check, the limiter and the cache's own expiry all read this clock.
    for module in ("settlement.signing.time", "core.rate_limit.time", "django.core.cache.backends.locmem.time"):
        monkeypatch.setattr(module, frozen_time)
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert api.post(VERIFY, {"code": code_of(mother)}).status_code == 200

    body = assert_plain_error(api.post(VERIFY, {"code": code_of(mother)}), 429, "rate_limited")
    assert "稍等" in body["message"]

    other = Institution.objects.create(code="H0002", name="测试第二医院", level=InstitutionLevel.SECONDARY,
                                       region_code="330100", api_key_id="test-h2", api_secret="another-secret-xyz")
    neighbour = SignedApi(Client(raise_request_exception=False), other.api_key_id, "another-secret-xyz")
    assert neighbour.post(VERIFY, {"code": code_of(mother)}).status_code == 200

    clock[0] += 61  # the next minute
    assert api.post(VERIFY, {"code": code_of(mother)}).status_code == 200


# --- codes that must not pass -----------------------------------------------------------------


def test_an_expired_code_is_refused_with_a_reason_the_cashier_can_read_out(api, mother_user, mother):
    body = assert_plain_error(api.post(VERIFY, {"code": code_of(mother, now=int(time.time()) - 61)}),
                              422, "code_expired")
    assert "过期" in body["message"]


def test_a_code_already_used_for_a_bill_is_refused_as_replayed(api, mother_user, mother):
    code = code_of(mother)
    consume_code(code)
    body = assert_plain_error(api.post(VERIFY, {"code": code}), 409, "code_used")
    assert "用过" in body["message"]


def test_a_forged_code_is_refused(api, mother_user, mother):
    signed = struct.pack(">B4s16sQ12s", 1, signing_keys()[0].key_id, Voucher.objects.get(person=mother).public_id.bytes,
                         int(time.time()), b"\x01" * 12)
    forged = base64.urlsafe_b64encode(signed + Ed25519PrivateKey.generate().sign(signed)).rstrip(b"=").decode()
    body = assert_plain_error(api.post(VERIFY, {"code": forged}), 422, "code_forged")
    assert "伪造" in body["message"]


def test_a_code_with_one_character_changed_is_refused(api, mother_user, mother):
    code = code_of(mother)
    middle = len(code) // 2
    changed = code[:middle] + ("A" if code[middle] != "A" else "B") + code[middle + 1:]
    assert_plain_error(api.post(VERIFY, {"code": changed}), 422)


@pytest.mark.parametrize("cut", [1, 20, 70, 139])
def test_a_truncated_code_is_refused(api, mother_user, mother, cut):
    body = assert_plain_error(api.post(VERIFY, {"code": code_of(mother)[:cut]}), 422, "code_malformed")
    assert "医保码" in body["message"]


def test_a_code_of_a_suspended_voucher_is_refused(api, mother_user, mother):
    code = code_of(mother)
    suspend_voucher(mother, actor=mother_user)
    body = assert_plain_error(api.post(VERIFY, {"code": code}), 422, "voucher_suspended")
    assert "暂停" in body["message"]


def test_a_well_signed_code_naming_no_voucher_is_refused(api, db):
    assert_plain_error(api.post(VERIFY, {"code": issue_code_token(uuid.uuid4())}), 422, "code_unknown")


@pytest.mark.parametrize(("code", "error"), [
    ("", "code_missing"),
    ("   ", "code_missing"),
    ("hello world", "code_malformed"),
    ("医保码", "code_malformed"),
    ("A" * 10_000, "code_malformed"),
])
def test_nonsense_in_the_code_field_is_refused(api, db, code, error):
    assert_plain_error(api.post(VERIFY, {"code": code}), 422, error)


# --- bodies that are not what the contract says -----------------------------------------------


@pytest.mark.parametrize("raw", [
    pytest.param(b"{}", id="no code field"),
    pytest.param(b'{"kode": "abc"}', id="misspelt field"),
    pytest.param(b'{"code": null}', id="code is null"),
    pytest.param(b'{"code": 12345}', id="code is a number"),
    pytest.param(b'{"code": ["a"]}', id="code is a list"),
    pytest.param(b'{"code": {"a": 1}}', id="code is an object"),
    pytest.param(b'[{"code": "abc"}]', id="a JSON array"),
    pytest.param(b'"abc"', id="a JSON string"),
    pytest.param(b"42", id="a JSON number"),
    pytest.param(b"null", id="JSON null"),
    pytest.param(b"", id="an empty body"),
    pytest.param(b"code=abc", id="a form body"),
    pytest.param(b"not json at all", id="plain text"),
    pytest.param(b'{"code": "abc"', id="cut-off JSON"),
    pytest.param(b"\xff\xfe\x00", id="bytes that are not UTF-8"),
    pytest.param(b'{"code": "\\ud800"}', id="a lone surrogate"),
    pytest.param(b"[" * 5000 + b"]" * 5000, id="deeply nested"),
])
def test_a_body_that_is_not_the_expected_json_gets_a_plain_4xx(api, db, raw):
    # An empty body goes without a Content-Type (the test client sends none), so it is 415 (item 11).
    assert_plain_error(api.post(VERIFY, raw=raw), (400, 415, 422) if raw == b"" else (400, 422))


def test_an_oversized_body_is_refused_before_it_is_read(api, mother_user, mother, settings):
    payload = json.dumps({"code": code_of(mother), "padding": "x" * 300_000}).encode()
    assert len(payload) > settings.API_MAX_BODY_BYTES
    body = assert_plain_error(api.post(VERIFY, raw=payload), 413, "payload_too_large")
    assert "KB" in body["message"]
    assert not AuditEvent.objects.filter(subject=mother, action="voucher.code_verified").exists()


def test_a_body_just_under_the_limit_is_read(api, mother_user, mother, settings):
    code = code_of(mother)
    padding = settings.API_MAX_BODY_BYTES - len(json.dumps({"code": code, "padding": ""}).encode())
    payload = json.dumps({"code": code, "padding": "x" * padding}).encode()
    assert len(payload) == settings.API_MAX_BODY_BYTES
    assert api.post(VERIFY, raw=payload).status_code == 200


def test_a_nonsense_content_length_is_refused(api, mother_user, mother, raw_client):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    for length in ("-1", "abc"):
        response = raw_client.post(VERIFY, data=body, content_type="application/json", headers=headers,
                                   CONTENT_LENGTH=length)
        assert_plain_error(response, 400)


def test_the_wrong_method_and_an_unknown_address_also_answer_in_json(api, raw_client, db):
    response = api.get(VERIFY)
    assert_plain_error(response, 405)
    assert "POST" in response["Allow"]
    assert_plain_error(raw_client.get("/api/v1/no-such-thing"), 404)
    assert_plain_error(raw_client.delete("/api/v1/keys"), 405)


# --- the published contract -------------------------------------------------------------------


def test_the_openapi_document_lists_verify_and_keys_and_documents_the_signature(raw_client, db):
    response = raw_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert "post" in document["paths"]["/api/v1/vouchers/verify"]
    assert "get" in document["paths"]["/api/v1/keys"]

    schemes = document["components"]["securitySchemes"]
    assert len(schemes) == 1
    name, scheme = next(iter(schemes.items()))
    assert scheme["type"] == "apiKey" and scheme["in"] == "header" and scheme["name"] == "X-Institution"
    for header in ("X-Timestamp", "X-Signature", "HMAC-SHA256"):
        assert header in scheme["description"]

    verify = document["paths"]["/api/v1/vouchers/verify"]["post"]
    assert verify["security"] == [{name: []}]
    assert "security" not in document["paths"]["/api/v1/keys"]["get"] or \
        document["paths"]["/api/v1/keys"]["get"]["security"] in ([], [{}])
    for status in ("401", "409", "422", "429"):
        assert status in verify["responses"]
    request_schema = json.dumps(verify["requestBody"])
    assert "VerifyIn" in request_schema or "code" in request_schema


# --- a signature is good once (docs/threat-model.md) ---------------------------------------------


def test_the_same_signed_check_sent_twice_is_refused_the_second_time_as_a_replay(api, mother_user, mother, raw_client):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)

    assert send(raw_client, body, headers).status_code == 200
    again = assert_plain_error(send(raw_client, body, headers), 409, "replayed_request")

    assert "重新签名" in again["message"]
    assert AuditEvent.objects.filter(subject=mother, action="voucher.code_verified").count() == 1


def test_a_refused_replay_does_not_stop_the_counter_from_signing_the_same_check_again(api, mother_user, mother,
                                                                                     raw_client):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    assert send(raw_client, body, headers).status_code == 200
    assert send(raw_client, body, headers).status_code == 409

    resigned = signed_headers(api.key_id, api.secret, "POST", VERIFY, body, now=int(time.time()) + 1)
    assert send(raw_client, body, resigned).status_code == 200


def test_a_replay_is_recognised_for_the_whole_window_the_timestamp_is_accepted(api, mother_user, mother, raw_client,
                                                                               settings):
    from django.core.cache import cache

    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    assert send(raw_client, body, headers).status_code == 200

    remembered = [k for k in cache._cache if "api-signature" in k]  # locmem: the key and its expiry
    assert len(remembered) == 1
    expires_in = cache._expire_info[remembered[0]] - time.time()
    assert expires_in > settings.API_CLOCK_SKEW_SECONDS * 2 - 5


def test_a_replayed_signature_from_another_institution_is_not_confused_with_ours(api, mother_user, mother,
                                                                                 raw_client):
    other = Institution.objects.create(code="H0002", name="测试第二医院", level=InstitutionLevel.SECONDARY,
                                       region_code="330100", api_key_id="test-h2", api_secret="another-secret-xyz")
    body = json.dumps({"code": code_of(mother)}).encode()
    now = int(time.time())
    ours = signed_headers(api.key_id, api.secret, "POST", VERIFY, body, now=now)
    theirs = signed_headers(other.api_key_id, "another-secret-xyz", "POST", VERIFY, body, now=now)
    assert send(raw_client, body, ours).status_code == 200
    assert send(raw_client, body, theirs).status_code == 200


def test_the_same_signed_read_may_be_sent_again(api, raw_client, db):
    path = f"/api/v1/settlements/{uuid.uuid4()}"
    headers = signed_headers(api.key_id, api.secret, "GET", path, b"")
    first = raw_client.get(path, headers=headers)
    again = raw_client.get(path, headers=headers)
    assert_plain_error(first, 404, "not_found")
    assert_plain_error(again, 404, "not_found")


# --- the query string and the path as sent are signed (docs/threat-model.md) -----------------


def test_a_query_string_is_part_of_the_signature(api, mother_user, mother, raw_client):
    body = json.dumps({"code": code_of(mother)}).encode()
    signed_without = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    assert_plain_error(send(raw_client, body, signed_without, path=VERIFY + "?lane=3"), 401, "bad_signature")

    signed_with = signed_headers(api.key_id, api.secret, "POST", VERIFY + "?lane=3", body)
    assert send(raw_client, body, signed_with, path=VERIFY + "?lane=3").status_code == 200
    changed = signed_headers(api.key_id, api.secret, "POST", VERIFY + "?lane=3", body, now=int(time.time()) - 1)
    assert_plain_error(send(raw_client, body, changed, path=VERIFY + "?lane=4"), 401, "bad_signature")


def test_a_signed_read_with_a_query_string_passes_only_when_the_query_was_signed(api, raw_client, db):
    path = f"/api/v1/settlements/{uuid.uuid4()}"
    assert_plain_error(raw_client.get(path + "?a=1&b=%E4%B8%AD", headers=signed_headers(
        api.key_id, api.secret, "GET", path, b"")), 401, "bad_signature")
    full = path + "?a=1&b=%E4%B8%AD"
    assert_plain_error(raw_client.get(full, headers=signed_headers(api.key_id, api.secret, "GET", full, b"")),
                       404, "not_found")


def test_the_path_is_signed_percent_encoded_as_sent_not_decoded(api, raw_client, db):
    sent = "/api/v1/settlements/%E4%B8%AD%20x"
    decoded = "/api/v1/settlements/中 x"
    assert_plain_error(raw_client.get(sent, headers=signed_headers(api.key_id, api.secret, "GET", decoded, b"")),
                       401, "bad_signature")
    assert_plain_error(raw_client.get(sent, headers=signed_headers(api.key_id, api.secret, "GET", sent, b"")),
                       404, "not_found")


# --- only JSON is read (docs/threat-model.md) ----------------------------------------------------


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
    "application/jsonp", "",
])
def test_a_post_that_is_not_declared_json_is_refused_with_415(api, mother_user, mother, raw_client, content_type):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    response = raw_client.generic("POST", VERIFY, body, content_type=content_type, headers=headers)
    refused = assert_plain_error(response, 415, "unsupported_media_type")
    assert "JSON" in refused["message"]
    assert not AuditEvent.objects.filter(subject=mother, action="voucher.code_verified").exists()


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_with_a_charset_or_in_capitals_is_still_json(api, mother_user, mother, raw_client, content_type):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    assert raw_client.generic("POST", VERIFY, body, content_type=content_type, headers=headers).status_code == 200


# --- chunked bodies keep to the size limit (docs/threat-model.md) ---------------------------------


def _wsgi_post(path: str, body: bytes, headers: dict[str, str], *, chunks: int = 4):
    """What a WSGI server that de-chunks the body (gunicorn) hands Django: no CONTENT_LENGTH, the input
    marked as ending by itself (wsgi.input_terminated)."""
    import io
    from wsgiref.util import setup_testing_defaults

    from portal.wsgi import application

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_TYPE": "application/json",
               "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True}
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    setup_testing_defaults(environ)
    environ.pop("CONTENT_LENGTH", None)
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    with _test_database_kept_open():
        content = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], content


@contextlib.contextmanager
def _test_database_kept_open():
    """As Django's test client does: a real handler closes the connection between requests, which would
    close the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_a_chunked_body_over_the_limit_is_refused_with_413_under_wsgi(api, mother_user, mother, settings):
    body = json.dumps({"code": code_of(mother), "padding": "x" * (settings.API_MAX_BODY_BYTES * 3)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    status, response_headers, content = _wsgi_post(VERIFY, body, headers)
    assert status == 413
    assert response_headers["Content-Type"].startswith("application/json")
    assert json.loads(content)["error"] == "payload_too_large"
    assert not AuditEvent.objects.filter(subject=mother, action="voucher.code_verified").exists()


def test_a_chunked_body_under_the_limit_is_read_and_answered_under_wsgi(api, mother_user, mother):
    body = json.dumps({"code": code_of(mother)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    status, _, content = _wsgi_post(VERIFY, body, headers)
    assert status == 200, content
    assert json.loads(content)["masked_name"] == "王**"


def _asgi_post(path: str, body: bytes, headers: dict[str, str], *, chunk: int = 64 * 1024):
    """A chunked POST straight into Django's ASGI handler: no content-length, the body in many messages."""
    import asyncio

    from django.core.handlers.asgi import ASGIHandler

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                    (b"transfer-encoding", b"chunked")] + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    parts = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": n < len(parts) - 1} for n, p in enumerate(parts)]
    sent: list[dict] = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # the client stays connected until the answer is sent
        return {"type": "http.disconnect"}

    async def send_(message):
        sent.append(message)

    with _test_database_kept_open():
        asyncio.run(ASGIHandler()(scope, receive, send_))
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict((k.decode(), v.decode()) for k, v in start["headers"]), content


def test_a_chunked_body_over_the_limit_is_refused_with_413_under_asgi(api, mother_user, mother, settings):
    body = json.dumps({"code": code_of(mother), "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}).encode()
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    status, response_headers, content = _asgi_post(VERIFY, body, headers)
    assert status == 413, content[:300]
    assert response_headers["Content-Type"].startswith("application/json")
    assert json.loads(content)["error"] == "payload_too_large"


def test_a_chunked_body_a_little_over_the_limit_is_refused_under_asgi_too(api, mother_user, mother, settings):
    body = json.dumps({"code": code_of(mother), "padding": "x" * settings.API_MAX_BODY_BYTES}).encode()
    assert settings.API_MAX_BODY_BYTES < len(body) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    headers = signed_headers(api.key_id, api.secret, "POST", VERIFY, body)
    status, _, content = _asgi_post(VERIFY, body, headers)
    assert status == 413, content[:300]


# --- text that cannot be stored is named, not a 500 (docs/threat-model.md) -----------------------


@pytest.mark.parametrize(("payload", "field"), [
    pytest.param({"code": "abc\u0000def"}, "code", id="nul in the code"),
    pytest.param({"code": "abc", "note": "\ud800"}, "note", id="lone surrogate in an extra field"),
    pytest.param({"code": "abc", "bad\u0000key": 1}, "bad\u0000key", id="nul in a key"),
    pytest.param({"code": ["ok", "x\u0000"]}, "code[1]", id="nul inside a list"),
])
def test_a_verify_with_text_that_cannot_be_stored_names_the_field(api, db, payload, field):
    raw = json.dumps(payload).encode()
    body = assert_plain_error(api.post(VERIFY, raw=raw), 400, "invalid_character")
    assert f"“{field}”" in body["message"].replace("\\u0000", "\u0000")
    assert "\u0000" not in body["message"]


# --- the cache being away is a 503, not a 500 (docs/threat-model.md) ------------------------------


@pytest.fixture
def redis_away(settings):
    """The cache pointed at a loopback port where nothing listens, as when Redis is down."""
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/0",
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    yield


def test_a_signed_call_while_redis_is_away_gets_a_plain_503_with_retry_after(api, mother_user, mother, redis_away):
    response = api.post(VERIFY, {"code": code_of(mother)})
    body = assert_plain_error_5xx(response, 503, "service_unavailable")
    assert int(response["Retry-After"]) > 0
    assert "稍" in body["message"]


def test_a_signed_read_while_redis_is_away_also_gets_503(api, redis_away):
    response = api.get(f"/api/v1/settlements/{uuid.uuid4()}")
    assert_plain_error_5xx(response, 503, "service_unavailable")
    assert "Retry-After" in response


def test_the_public_keys_are_still_served_while_redis_is_away(raw_client, redis_away):
    assert raw_client.get("/api/v1/keys").status_code == 200


def assert_plain_error_5xx(response, status: int, error: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error
    assert CHINESE.search(body["message"])
    return body


# --- the published contract says what the server does (docs/threat-model.md) ---------------------


def _openapi(raw_client) -> dict:
    return raw_client.get("/api/v1/openapi.json").json()


def test_the_openapi_document_states_which_fields_may_not_be_empty(raw_client, db):
    schemas = _openapi(raw_client)["components"]["schemas"]
    assert schemas["VerifyIn"]["properties"]["code"]["minLength"] == 1
    bill = schemas["SettlementIn"]["properties"]
    assert bill["code"]["minLength"] == 1
    assert bill["items"]["minItems"] == 1 and bill["items"]["maxItems"] == 200
    item = schemas["Item"]["properties"]
    assert item["code"]["minLength"] == 1 and item["name"]["minLength"] == 1
    assert item["category"]["enum"] == ["A", "B", "C"]
    assert schemas["BatchIn"]["properties"]["settlements"]["minItems"] == 1
    assert schemas["BatchIn"]["properties"]["settlements"]["maxItems"] == 100
    assert schemas["BatchItemIn"]["properties"]["client_id"]["minLength"] == 1


def test_the_openapi_document_explains_the_signed_path_replays_and_idempotency(raw_client, db):
    document = _openapi(raw_client)
    description = document["info"]["description"]
    for words in ("get_full_path", "查询串", "replayed_request", "request_in_progress", "idempotency_key_reused",
                  "unsupported_media_type", "invalid_character", "service_unavailable", "Retry-After"):
        assert words in description, words
    settle = document["paths"]["/api/v1/settlements"]["post"]
    assert {p["name"] for p in settle["parameters"]} == {"Idempotency-Key"}
    for status in ("400", "409", "413", "415", "503"):
        assert status in settle["responses"], status


def test_an_offline_capture_with_a_nul_in_its_client_id_does_not_pass_validation_on_any_path():
    """The counter's own upload (/counter/batch) validates entries with the same schema as the API."""
    from pydantic import ValidationError

    from settlement.batch import BatchItemIn

    entry = {"code": "x", "visit_type": "pharmacy", "client_id": "c\u00001", "captured_at": "2026-01-01T08:00:00+08:00",
             "items": [{"code": "X01", "name": "阿莫\ud800西林", "category": "A", "quantity": "1", "unit_price": "1"}]}
    with pytest.raises(ValidationError) as refused:
        BatchItemIn.model_validate(entry)
    assert {tuple(e["loc"]) for e in refused.value.errors()} == {("client_id",), ("items", 0, "name")}
