"""A hospital that sends a bill again with the same Idempotency-Key never pays twice (docs/threat-model.md).

The key is reserved before the work; a copy that arrives while the first is still running waits for its
answer or is told to retry, and then gets that answer. The concurrent cases run on PostgreSQL in
tests/service/test_idempotency_keys_under_concurrency.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

import pytest
from django.test import Client
from django.utils import timezone

import settlement.api as settlement_api
from conftest import INSTITUTION_SECRET, SignedApi
from settlement.models import IdempotencyRecord, Settlement
from vouchers.codes import issue_code_token

SETTLEMENTS = "/api/v1/settlements"
IN_PROGRESS = 0  # an IdempotencyRecord's status_code while the first request is still running
PILLS = {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}


@pytest.fixture
def counter(institution) -> SignedApi:
    """The counter's client; a server error comes back as a 500 response instead of an exception."""
    return SignedApi(Client(raise_request_exception=False), institution.api_key_id, INSTITUTION_SECRET)


def bill_for(person, **overrides) -> dict:
    payload = {"code": issue_code_token(person.voucher.public_id), "visit_type": "outpatient", "items": [PILLS]}
    payload.update(overrides)
    return payload


def send(counter: SignedApi, payload: dict, key: str, *, seconds_ago: int = 0):
    """Each call is signed anew (a copy of the same signature is a replay; see test_institution_api.py)."""
    return counter.post(SETTLEMENTS, payload, headers={"Idempotency-Key": key}, now=int(time.time()) - seconds_ago)


def test_a_copy_sent_while_the_first_is_still_running_is_told_to_retry_and_then_gets_the_first_answer(
        counter, mother_user, mother, monkeypatch):
    payload = bill_for(mother)
    real_submit = settlement_api.submit_settlement
    during: list = []

    def submit_while_a_copy_arrives(**kwargs):
        settlement = real_submit(**kwargs)  # the code is used; the answer is not given yet
        during.append(send(counter, payload, "visit-1", seconds_ago=1))
        return settlement

    monkeypatch.setattr(settlement_api, "submit_settlement", submit_while_a_copy_arrives)
    monkeypatch.setattr(settlement_api, "IDEMPOTENCY_WAIT_SECONDS", 0.2, raising=False)
    first = send(counter, payload, "visit-1")
    monkeypatch.setattr(settlement_api, "submit_settlement", real_submit)

    assert first.status_code == 202, first.content
    copy = during[0]
    assert copy.status_code == 409, copy.content
    assert copy.json()["error"] == "request_in_progress"
    assert "稍等" in copy.json()["message"]
    assert int(copy["Retry-After"]) >= 1

    retry = send(counter, payload, "visit-1", seconds_ago=2)
    assert retry.status_code == 202, retry.content
    assert retry.json()["id"] == first.json()["id"]
    assert Settlement.objects.count() == 1


def test_a_copy_that_waits_briefly_receives_the_first_answer_without_retrying(counter, mother_user, mother,
                                                                              monkeypatch):
    payload = bill_for(mother)
    first = send(counter, payload, "visit-2")
    record = IdempotencyRecord.objects.get(key="visit-2")
    answer = (record.status_code, record.response)
    # As if the first were still running: the copy polls, and the first finishes while it waits.
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=IN_PROGRESS, response={})
    polls: list[float] = []

    def first_finishes(seconds: float) -> None:
        polls.append(seconds)
        IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=answer[0], response=answer[1])

    monkeypatch.setattr(settlement_api.time, "sleep", first_finishes)
    copy = send(counter, payload, "visit-2", seconds_ago=1)

    assert polls, "the copy should have waited for the first"
    assert copy.status_code == 202, copy.content
    assert copy.json()["id"] == first.json()["id"]
    assert Settlement.objects.count() == 1


def test_another_bill_with_a_key_that_is_still_in_progress_is_refused_at_once(counter, mother_user, mother, son):
    first = bill_for(mother)
    IdempotencyRecord.objects.create(
        institution=counter_institution(counter), key="visit-3", path=SETTLEMENTS,
        body_hash=hashlib.sha256(json.dumps(first).encode()).hexdigest(), status_code=IN_PROGRESS,
        response={})
    started = time.monotonic()
    other = send(counter, bill_for(son.person), "visit-3")
    assert time.monotonic() - started < 1
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert Settlement.objects.count() == 0


def test_a_refused_copy_is_not_remembered_as_the_answer_for_the_key(counter, mother_user, mother, monkeypatch):
    """Today's bug: the copy's 409 code_used was stored for the key and then given to every retry."""
    payload = bill_for(mother)
    real_submit = settlement_api.submit_settlement

    def submit_while_a_copy_arrives(**kwargs):
        settlement = real_submit(**kwargs)
        send(counter, payload, "visit-4", seconds_ago=1)
        return settlement

    monkeypatch.setattr(settlement_api, "submit_settlement", submit_while_a_copy_arrives)
    monkeypatch.setattr(settlement_api, "IDEMPOTENCY_WAIT_SECONDS", 0.05, raising=False)
    first = send(counter, payload, "visit-4")
    monkeypatch.setattr(settlement_api, "submit_settlement", real_submit)

    assert first.status_code == 202, first.content
    record = IdempotencyRecord.objects.get(key="visit-4")
    assert record.status_code == 202
    assert record.response["id"] == first.json()["id"]


def test_when_the_first_fails_unexpectedly_the_key_is_let_go_and_a_retry_settles_once(counter, mother_user, mother,
                                                                                      monkeypatch):
    payload = bill_for(mother)
    real_submit = settlement_api.submit_settlement

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(settlement_api, "submit_settlement", broken)
    failed = send(counter, payload, "visit-5")
    monkeypatch.setattr(settlement_api, "submit_settlement", real_submit)
    assert failed.status_code == 500
    assert not IdempotencyRecord.objects.filter(key="visit-5").exists()

    retry = send(counter, payload, "visit-5", seconds_ago=1)
    assert retry.status_code == 202, retry.content
    assert Settlement.objects.count() == 1


def test_a_key_left_in_progress_by_a_crashed_server_is_taken_over_after_a_minute(counter, mother_user, mother):
    payload = bill_for(mother)
    record = IdempotencyRecord.objects.create(
        institution=counter_institution(counter), key="visit-6", path=SETTLEMENTS,
        body_hash=hashlib.sha256(json.dumps(payload).encode()).hexdigest(), status_code=IN_PROGRESS,
        response={})
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))

    retry = send(counter, payload, "visit-6")

    assert retry.status_code == 202, retry.content
    record.refresh_from_db()
    assert record.status_code == 202 and record.response["id"] == retry.json()["id"]


def test_a_copy_of_the_same_signed_request_with_its_own_key_gets_the_first_answer(counter, mother_user, mother):
    body = json.dumps(bill_for(mother)).encode()
    headers = {**counter_signed(counter, body), "Idempotency-Key": "visit-7"}
    first = counter.client.post(SETTLEMENTS, data=body, content_type="application/json", headers=headers)
    again = counter.client.post(SETTLEMENTS, data=body, content_type="application/json", headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]


def test_a_captured_request_replayed_with_a_new_key_is_refused(counter, mother_user, mother):
    """The key is not signed: a copy must not be able to pick a fresh one and run again."""
    body = json.dumps(bill_for(mother)).encode()
    headers = counter_signed(counter, body)
    first = counter.client.post(SETTLEMENTS, data=body, content_type="application/json",
                                headers={**headers, "Idempotency-Key": "visit-8"})
    assert first.status_code == 202
    for key in ("visit-8-again", None):
        replay = counter.client.post(SETTLEMENTS, data=body, content_type="application/json",
                                     headers={**headers, **({"Idempotency-Key": key} if key else {})})
        assert replay.status_code == 409, replay.content
        assert replay.json()["error"] == "replayed_request"
    assert Settlement.objects.count() == 1


@pytest.mark.parametrize("key", ["", " ", "两个字", "a b", "k" * 101, "tab\there"])
def test_an_idempotency_key_that_is_not_plain_visible_ascii_is_refused(counter, mother_user, mother, key):
    response = counter.post(SETTLEMENTS, bill_for(mother), headers={"Idempotency-Key": key.encode().decode("latin-1")})
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "bad_idempotency_key"
    assert Settlement.objects.count() == 0


def counter_institution(counter: SignedApi):
    from insurance.models import Institution

    return Institution.objects.get(api_key_id=counter.key_id)


def counter_signed(counter: SignedApi, body: bytes) -> dict:
    from settlement.signing import signed_headers

    return signed_headers(counter.key_id, counter.secret, "POST", SETTLEMENTS, body)
