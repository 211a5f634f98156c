"""The counter settles 奶奶's bill through the signed API; the split is right and booked exactly once."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest

from insurance.policy import Accumulator, PolicyRule
from settlement.models import Settlement, Status
from settlement.tasks import run_settlement, settlement_watchdog
from vouchers.codes import issue_code_token

PILLS = {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}


def bill(**overrides):
    payload = {"visit_type": "outpatient", "items": [PILLS]}
    payload.update(overrides)
    return payload


def fresh_code(person) -> str:
    return issue_code_token(person.voucher.public_id)


def test_a_bill_is_accepted_and_settled_with_a_split_that_adds_up(api, mother_user, mother, rules,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/settlements", bill(code=fresh_code(mother)))
    assert response.status_code == 202, response.content
    body = response.json()
    status = api.get(body["status_url"]).json()
    assert status["status"] == "settled"
    total = Decimal(status["total"])
    assert total == Decimal("50.00")
    assert Decimal(status["fund_pay"]) + Decimal(status["account_pay"]) + Decimal(status["self_pay"]) == total
    assert "医保支付" in status["spoken"]


def test_running_the_task_twice_books_the_bill_once(api, mother_user, mother, rules):
    response = api.post("/api/v1/settlements", bill(code=fresh_code(mother)))
    settlement = Settlement.objects.get(public_id=response.json()["id"])
    run_settlement.apply(args=[settlement.pk])
    mother.refresh_from_db()
    balance = mother.account_balance
    acc = Accumulator.objects.get(person=mother)
    run_settlement.apply(args=[settlement.pk])
    run_settlement.apply(args=[settlement.pk])
    mother.refresh_from_db()
    assert mother.account_balance == balance
    assert Accumulator.objects.get(person=mother).fund_paid == acc.fund_paid
    settlement.refresh_from_db()
    assert settlement.status == Status.SETTLED
    assert list(settlement.events.values_list("status", flat=True)) == ["received", "presettled", "settled"]


def test_when_the_final_step_fails_her_page_is_shown_the_provisional_split_while_it_is_retried(
        api, mother_user, mother, rules, monkeypatch):
    from celery.exceptions import Retry
    from django.db import OperationalError

    from settlement import actions, tasks

    response = api.post("/api/v1/settlements", bill(code=fresh_code(mother)))
    settlement = Settlement.objects.get(public_id=response.json()["id"])
    pushed = []
    monkeypatch.setattr(tasks, "push_settlement", pushed.append)

    def database_away(settlement_id):
        raise OperationalError("the database went away")

    monkeypatch.setattr(actions, "finalize_settlement", database_away)
    with pytest.raises(Retry):  # the task is put back on the queue
        run_settlement.apply(args=[settlement.pk])
    settlement.refresh_from_db()
    assert settlement.status == Status.PRESETTLED
    assert [(s.pk, s.status) for s in pushed] == [(settlement.pk, Status.PRESETTLED)]


def test_the_same_code_cannot_pay_twice(api, mother_user, mother, rules):
    code, signed_at = fresh_code(mother), int(time.time())
    assert api.post("/api/v1/settlements", bill(code=code), now=signed_at).status_code == 202
    # Signed anew (a second before the first, whenever the clock ticks between the two): the very same
    # signature would be refused as a replay first.
    second = api.post("/api/v1/settlements", bill(code=code), now=signed_at - 1)
    assert second.status_code == 409
    assert second.json()["error"] == "code_used"


def test_the_same_idempotency_key_gives_the_same_answer_and_another_body_is_refused(api, mother_user, mother, rules):
    payload = bill(code=fresh_code(mother))
    first = api.post("/api/v1/settlements", payload, headers={"Idempotency-Key": "k-1"})
    again = api.post("/api/v1/settlements", payload, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    other = api.post("/api/v1/settlements", bill(code=fresh_code(mother), visit_type="inpatient"),
                     headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert Settlement.objects.count() == 1


@pytest.mark.parametrize(
    ("items", "error"),
    [
        ([], "empty_bill"),
        ([{**PILLS, "quantity": "0"}], "bad_quantity"),
        ([{**PILLS, "quantity": "-1"}], "bad_quantity"),
        ([{**PILLS, "quantity": "100000000"}], "bad_quantity"),
        ([{**PILLS, "unit_price": "-3"}], "bad_price"),
        ([{**PILLS, "unit_price": "0.001"}], "bad_price"),
        ([{**PILLS, "unit_price": "99999999"}], "bad_price"),
        ([{**PILLS, "category": "D"}], "unknown_category"),
        ([{**PILLS, "quantity": "NaN"}], None),
        ([{**PILLS, "quantity": "abc"}], None),
    ],
)
def test_a_bad_bill_gets_a_clear_error_and_leaves_the_code_unused(api, mother_user, mother, rules, items, error):
    code = fresh_code(mother)
    response = api.post("/api/v1/settlements", bill(code=code, items=items))
    assert 400 <= response.status_code < 500
    body = response.json()
    if error:
        assert body["error"] == error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert Settlement.objects.count() == 0
    # The code was not used up by the refused bill.
    assert api.post("/api/v1/settlements", bill(code=code)).status_code == 202


def test_a_suspended_voucher_cannot_be_settled(api, mother_user, mother, rules):
    from vouchers.actions import suspend_voucher

    code = fresh_code(mother)
    suspend_voucher(mother)
    response = api.post("/api/v1/settlements", bill(code=code))
    assert response.status_code == 422
    assert response.json()["error"] == "voucher_suspended"


def test_another_institution_cannot_read_the_settlement(api, mother_user, mother, rules, db):
    from django.test import Client

    from conftest import SignedApi
    from insurance.models import Institution

    response = api.post("/api/v1/settlements", bill(code=fresh_code(mother)))
    Institution.objects.create(code="H9", name="别家医院", level="secondary", region_code="330100",
                               api_key_id="other", api_secret="other-secret")
    other = SignedApi(Client(), "other", "other-secret")
    assert other.get(response.json()["status_url"]).status_code == 404
    assert api.get(f"/api/v1/settlements/{uuid.uuid4()}").status_code == 404
    assert api.get("/api/v1/settlements/not-a-uuid").status_code == 404


def test_no_rule_for_the_case_sends_her_to_the_manual_window(api, mother_user, mother, db):
    PolicyRule.objects.filter(region_code=mother.region_code).delete()  # no table for her region (yet)
    response = api.post("/api/v1/settlements", bill(code=fresh_code(mother)))
    settlement = Settlement.objects.get(public_id=response.json()["id"])
    run_settlement.apply(args=[settlement.pk])
    status = api.get(response.json()["status_url"]).json()
    assert status["status"] == "manual"
    assert "人工窗口" in status["next_step"]


def test_the_watchdog_moves_a_stuck_settlement_to_manual_after_five_minutes(api, mother_user, mother, rules):
    import datetime as dt

    from django.utils import timezone

    response = api.post("/api/v1/settlements", bill(code=fresh_code(mother)))
    settlement = Settlement.objects.get(public_id=response.json()["id"])
    assert settlement_watchdog.apply().get() == 0
    Settlement.objects.filter(pk=settlement.pk).update(created_at=timezone.now() - dt.timedelta(minutes=6))
    assert settlement_watchdog.apply().get() == 1
    settlement.refresh_from_db()
    assert settlement.status == Status.MANUAL
    # A late worker does nothing to a settlement already sent to the window.
    run_settlement.apply(args=[settlement.pk])
    settlement.refresh_from_db()
    assert settlement.status == Status.MANUAL and not settlement.booked


def _batch_item(code, client_id, captured_at, **overrides):
    return {"client_id": client_id, "captured_at": captured_at, "code": code, **bill(), **overrides}


def test_an_offline_batch_settles_the_good_and_explains_the_bad_and_can_be_uploaded_again(
        offline_api, mother_user, mother, son, rules):
    import datetime as dt
    import time

    from django.utils import timezone

    now = int(time.time())
    captured = timezone.now().isoformat()
    old_code = issue_code_token(mother.voucher.public_id, now=now - 3 * 3600)
    old_captured = (timezone.now() - dt.timedelta(hours=3)).isoformat()
    too_old_code = issue_code_token(mother.voucher.public_id, now=now - 73 * 3600)
    too_old_captured = (timezone.now() - dt.timedelta(hours=73)).isoformat()
    payload = {"settlements": [
        _batch_item(fresh_code(mother), "c-1", captured),
        _batch_item(old_code, "c-2", old_captured),  # captured 3 h ago while the code was fresh: fine
        _batch_item(too_old_code, "c-3", too_old_captured),
        _batch_item(fresh_code(son.person), "c-4", captured, items=[]),
        _batch_item("garbage", "c-5", captured),
        _batch_item(issue_code_token(mother.voucher.public_id, now=now - 600), "c-6", captured),  # expired when captured
    ]}
    response = offline_api.post("/api/v1/settlements/batch", payload)
    assert response.status_code == 200, response.content
    results = {r["client_id"]: r for r in response.json()["results"]}
    assert results["c-1"]["ok"] and results["c-2"]["ok"]
    assert results["c-3"]["error"] == "upload_too_late"
    assert results["c-4"]["error"] == "empty_bill"
    assert results["c-5"]["error"] == "code_malformed"
    assert results["c-6"]["error"] == "code_expired"
    again = offline_api.post("/api/v1/settlements/batch", payload, now=now - 1).json()  # signed anew
    assert {r["client_id"]: r.get("id") for r in again["results"] if r["ok"]} == {
        "c-1": results["c-1"]["id"], "c-2": results["c-2"]["id"]}
    assert Settlement.objects.count() == 2


def test_an_oversized_batch_is_refused(offline_api, mother_user, mother, rules):
    from django.utils import timezone

    items = [_batch_item("x", f"c-{i}", timezone.now().isoformat()) for i in range(101)]
    response = offline_api.post("/api/v1/settlements/batch", {"settlements": items})
    assert response.status_code == 413
    assert response.json()["error"] == "batch_too_large"


def _institution_in(region: str, level: str = "tertiary"):
    from insurance.models import Institution

    return Institution.objects.create(code=f"H-{region}", name=f"{region}医院", level=level, region_code=region,
                                      api_key_id=f"k-{region}", api_secret="s-" + region)


def _settle_at(institution, person, items=None):
    from django.test import Client

    from conftest import SignedApi

    api = SignedApi(Client(), institution.api_key_id, institution.api_secret)
    response = api.post("/api/v1/settlements", bill(code=fresh_code(person), **({"items": items} if items else {})))
    assert response.status_code == 202, response.content
    settlement = Settlement.objects.get(public_id=response.json()["id"])
    run_settlement.apply(args=[settlement.pk])
    settlement.refresh_from_db()
    return settlement


def test_out_of_region_pays_less_without_a_filing_than_with_one(mother_user, mother, rules, today):
    import datetime as dt

    from insurance.filings import Filing

    Accumulator.objects.create(person=mother, year=today.year, deductible_used=D("10000"))
    shanghai = _institution_in("310000")
    unfiled = _settle_at(shanghai, mother)
    Filing.objects.create(person=mother, region_code="310000", valid_from=dt.date(2020, 1, 1))
    filed = _settle_at(shanghai, mother)
    home = _settle_at(_institution_in("330100"), mother)
    assert unfiled.breakdown["locality"] == "out_unfiled" and filed.breakdown["locality"] == "out_filed"
    assert unfiled.fund_pay < filed.fund_pay < home.fund_pay
    # 50 yuan of A items, deductible met, employee tertiary outpatient: 60% / 75% / 80%.
    assert (unfiled.fund_pay, filed.fund_pay, home.fund_pay) == (D("30.00"), D("37.50"), D("40.00"))


def test_accumulators_add_up_across_settlements_exactly_once_each(mother_user, mother, rules, today):
    hospital = _institution_in("330100")
    first = _settle_at(hospital, mother, items=[{**PILLS, "quantity": "10", "unit_price": "40.00"}])  # 400 yuan
    second = _settle_at(hospital, mother, items=[{**PILLS, "quantity": "1", "unit_price": "100.00"}])
    acc = Accumulator.objects.get(person=mother, year=today.year)
    # Deductible 300 met in the first bill; 80% of the rest in both.
    assert first.fund_pay == D("80.00") and second.fund_pay == D("80.00")
    assert acc.deductible_used == D("300.00")
    assert acc.fund_paid == D("160.00")
    mother.refresh_from_db()
    assert mother.account_balance == D("2380.50") - first.account_pay - second.account_pay


def test_a_lost_task_is_queued_again_and_still_settles_once(api, mother_user, mother, rules):
    import datetime as dt

    from django.utils import timezone

    from settlement.tasks import requeue_unstarted

    response = api.post("/api/v1/settlements", bill(code=fresh_code(mother)))  # on_commit never ran: task lost
    settlement = Settlement.objects.get(public_id=response.json()["id"])
    Settlement.objects.filter(pk=settlement.pk).update(created_at=timezone.now() - dt.timedelta(seconds=40))
    assert requeue_unstarted.apply().get() == 1
    assert requeue_unstarted.apply().get() == 0
    settlement.refresh_from_db()
    assert settlement.status == Status.SETTLED


D = Decimal
