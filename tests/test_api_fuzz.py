"""A property-based fuzz of the whole institution API against its own OpenAPI document (docs/threat-model.md).

Schemathesis reads /api/v1/openapi.json and generates requests for every operation, valid ones (positive)
and ones that break the schema (negative). Each request is signed the way a counter signs it. Every answer
must be a documented status with a body and headers that match the document, never a 5xx, and a request
that breaks the schema must never be accepted. Valid codes, an offline terminal's key for the batch and
real settlement ids are mixed in, so the happy paths are exercised too, not only the refusals.

Deterministic: Hypothesis runs derandomized (the seed comes from the test), with no example database.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIRequest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.transport.prepare import prepare_path
from schemathesis.transport.requests import prepare_query
from werkzeug.test import EnvironBuilder

from insurance.models import OfflineTerminal
from settlement.models import Settlement
from settlement.signing import signed_headers, signed_path
from vouchers.codes import issue_code_token
from vouchers.models import Voucher

OPERATIONS = {"GET /api/v1/keys", "POST /api/v1/vouchers/verify", "POST /api/v1/settlements",
              "POST /api/v1/settlements/batch", "GET /api/v1/settlements/{settlement_id}"}
GOOD_ITEM = {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}
BATCH = "POST /api/v1/settlements/batch"
EXAMPLES_PER_OPERATION_AND_MODE = 130
MINIMUM_CASES = 1000
TERMINAL_KEY_ID = "fuzz-terminal-1"
TERMINAL_SECRET = "fuzz-terminal-secret-0123456789"

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection, ignored_auth, missing_required_header,
          unsupported_method]


@pytest.fixture
def world(settings, institution, mother_user, son) -> dict[str, Any]:
    """The counter's credentials, an offline terminal of the same hospital, and two insured people."""
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000  # the fuzz sends far more than a counter would
    OfflineTerminal.objects.create(institution=institution, name="急诊收费台", location="一楼",
                                   key_id=TERMINAL_KEY_ID, secret=TERMINAL_SECRET)
    return {
        "institution": institution,
        "vouchers": [Voucher.objects.get(person=mother_user.person).public_id,
                     Voucher.objects.get(person=son.person).public_id],
    }


def _wire(case) -> tuple[str, str, bytes]:
    """The method, the signed PATH and the body bytes exactly as the request will carry them."""
    if isinstance(case.body, NotSet):
        body = b""
    elif isinstance(case.body, (bytes, bytearray)):  # a negative case may send raw bytes
        body = bytes(case.body)
    else:
        body = json.dumps(case.body).encode()
    path = case.operation.schema.get_full_path(prepare_path(case.path, case.path_parameters))
    environ = EnvironBuilder(path=path, method=case.method, query_string=prepare_query(case)).get_environ()
    return case.method, signed_path(WSGIRequest(environ)), body


def _sign(case, world: dict[str, Any], serial: int) -> tuple[dict[str, str], bytes]:
    """The hook that signs: the hospital's key, or the offline terminal's for the batch upload. The
    timestamp steps back a second per case (within the 300 s window), so that two equal cases are two
    requests, not a replay of one; a few replays still happen and must be answered as documented."""
    method, path, body = _wire(case)
    if case.path.endswith("/batch"):
        key_id, secret = TERMINAL_KEY_ID, TERMINAL_SECRET
    else:
        key_id, secret = world["institution"].api_key_id, world["institution"].api_secret
    now = int(time.time()) - serial % 250
    return signed_headers(key_id, secret, method, path, body, now=now), body


def _with_real_data(case, mode: GenerationMode, data: st.DataObject, world: dict[str, Any]) -> None:
    """Half the valid cases carry real data: a fresh code, a bill the rules accept, a settlement id that
    exists. So the happy paths are exercised, not only the refusals. Schema-breaking cases stay as they are."""
    if mode != GenerationMode.POSITIVE or not data.draw(st.booleans(), label="use real data"):
        return
    voucher = world["vouchers"][data.draw(st.integers(0, len(world["vouchers"]) - 1), label="whose code")]
    body = case.body
    if isinstance(body, dict) and "code" in body:
        body["code"] = issue_code_token(voucher)
    if isinstance(body, dict) and "items" in body:
        body["items"] = [dict(GOOD_ITEM)]
    if isinstance(body, dict) and isinstance(body.get("settlements"), list):
        for entry in body["settlements"]:
            if isinstance(entry, dict):
                entry.update(code=issue_code_token(voucher), items=[dict(GOOD_ITEM)],
                             captured_at=timezone.now().isoformat())
    if "settlement_id" in (case.path_parameters or {}):
        known = list(Settlement.objects.filter(institution=world["institution"]).values_list("public_id", flat=True)[:20])
        if known:
            case.path_parameters["settlement_id"] = str(known[data.draw(st.integers(0, len(known) - 1))])


@pytest.fixture
def _test_database_kept_open(db):
    """As Django's test client does: a real WSGI handler closes the connection after each request, which
    would close the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(_test_database_kept_open):
    from portal.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


def _fuzz(operation, mode: GenerationMode, world: dict[str, Any], cases: Counter, statuses: Counter) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @settings(max_examples=EXAMPLES_PER_OPERATION_AND_MODE, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case, data) -> None:
        _with_real_data(case, mode, data, world)
        headers, body = _sign(case, world, sum(cases.values()))
        response = case.call(headers=headers, data=body)
        statuses[(label, response.status_code)] += 1
        cases[label] += 1
        if label == BATCH:
            # The batch answers 200 with a result per item (docs/design.md §4): an item the schema calls invalid is
            # refused in its result, the upload as a whole is not. So: refused whole, or some item refused.
            case.validate_response(response, checks=[c for c in CHECKS if c is not negative_data_rejection],
                                   headers=headers)
            if mode == GenerationMode.NEGATIVE and response.status_code == 200:
                assert response.json()["rejected"] >= 1, (case.body, response.json())
        else:
            case.validate_response(response, checks=CHECKS, headers=headers)

    run()


def test_every_operation_answers_as_documented_and_never_with_a_server_error(api_schema, world):
    cases: Counter[str] = Counter()
    statuses: Counter[tuple[str, int]] = Counter()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} == OPERATIONS

    for operation in operations:
        has_inputs = any(len(group) for group in (operation.path_parameters, operation.headers, operation.query,
                                                  operation.body))
        # GET /keys takes nothing: there is nothing to break, so only valid requests.
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if has_inputs else (GenerationMode.POSITIVE,):
            _fuzz(operation, mode, world, cases, statuses)

    total = sum(cases.values())
    assert total >= MINIMUM_CASES, cases
    happy = {label for (label, status), n in statuses.items() if status < 300}
    assert happy == OPERATIONS, statuses
