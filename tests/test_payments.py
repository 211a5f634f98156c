"""缴费: she pays her year's contribution through the sandbox provider and is told; her son pays for her (亲情代缴,
no `act` needed) and she is told; a double tap, a slow provider, duplicate, out-of-order, tampered, unsigned and
unknown callbacks never book twice or half; reconciliation finds what callbacks missed; the HTTP provider
speaks signed JSON (over `responses`, no network)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
import requests
import responses
from django.test import Client
from django.utils import timezone

from accounts.models import OutboundMessage, Role, User
from audit.kinds import Kind
from audit.models import AuditEvent
from conftest import client_for
from core.crypto import blind_index
from elder_mode.voice.guides import GUIDES
from family.actions import invite_proxy
from insurance.models import Contribution, ContributionRate, EnrollmentStatus, Scheme
from payments import actions, push
from payments.actions import PaymentError, apply_notice, order_contribution, reconcile_payments, refund_order
from payments.models import CallbackOutcome, OrderStatus, PaymentCallback, PaymentOrder, SandboxTransaction
from payments.providers import (
    BadCallback,
    HttpProvider,
    Notice,
    ProviderUnavailable,
    SandboxProvider,
    notice_body,
    sign,
)

pytestmark = pytest.mark.django_db
SECRET = "sandbox-payment-secret"


def texts_to(phone: str) -> list[str]:
    return list(OutboundMessage.objects.filter(phone_index=blind_index("phone", phone)).values_list("body", flat=True))


@pytest.fixture
def year(mother) -> int:
    """The year she pays for, its window open today, in her region (Hangzhou: 420 yuan)."""
    today = timezone.localdate()
    ContributionRate.objects.update_or_create(
        region_code=mother.region_code, year=today.year + 1, scheme=Scheme.RESIDENT,
        defaults={"amount": D("420.00"), "opens_on": today - dt.timedelta(days=30),
                  "closes_on": today + dt.timedelta(days=30)})
    mother.scheme = Scheme.RESIDENT
    mother.save()
    return today.year + 1


def son_acting_for(mother_user, son, scopes) -> tuple[Client, object]:
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=scopes)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


def signed(body: bytes) -> dict[str, str]:
    return {"HTTP_X_SIGNATURE": sign(SECRET, body)}


def post_notice(client: Client, order: PaymentOrder, *, kind: str = "paid", amount=None, event_id: str = "ev-1",
                secret: str = SECRET):
    body = notice_body(event_id=event_id, out_trade_no=order.out_trade_no, kind=kind,
                       amount=order.amount if amount is None else amount, provider_ref="SBXREF1")
    return client.post("/payments/callback/sandbox/", body, content_type="application/json",
                       HTTP_X_SIGNATURE=sign(secret, body))


def an_order(mother, mother_user, year) -> PaymentOrder:
    return order_contribution(payer=mother_user, person=mother, period=str(year), for_family=False)


def booked(mother, year) -> int:
    return Contribution.objects.filter(person=mother, period=str(year)).count()


def paid_rows(mother) -> int:
    return AuditEvent.objects.filter(action=Kind.PAYMENT_PAID, subject=mother).count()


# --- she pays -------------------------------------------------------------------------------------------


def test_she_sees_the_amount_pays_at_the_cashier_and_the_order_turns_paid_with_a_receipt_and_an_sms(
        mother_client, mother, year, django_capture_on_commit_callbacks):
    page = mother_client.get("/payments/contribution/")
    assert page.status_code == 200
    assert "420.00" in page.content.decode() and GUIDES["contribution"]["cmn"] in page.content.decode()
    response = mother_client.post("/payments/contribution/", {"period": str(year)})
    order = PaymentOrder.objects.get(person=mother)
    assert response.status_code == 302 and response.url == f"/payments/sandbox/cashier/{order.out_trade_no}/"
    cashier = mother_client.get(response.url)
    assert "420.00" in cashier.content.decode() and "确认支付" in cashier.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        paid = mother_client.post(response.url, {"choice": "pay"})
    assert paid.url == f"/payments/orders/{order.public_id}/"
    order.refresh_from_db()
    assert (order.status, order.booked, order.paid_amount) == (OrderStatus.PAID, True, D("420.00"))
    assert booked(mother, year) == 1 and paid_rows(mother) == 1
    assert any(f"您{year}年的医保费已经缴好了" in t for t in texts_to(mother.phone))
    receipt = mother_client.get(paid.url)
    assert 'data-testid="receipt"' in receipt.content.decode() and order.out_trade_no in receipt.content.decode()
    again = mother_client.get("/payments/contribution/")
    assert 'data-paid="1"' in again.content.decode()


def test_cancel_at_the_cashier_charges_nothing_and_pay_again_uses_the_same_order(mother_client, mother, year):
    first = mother_client.post("/payments/contribution/", {"period": str(year)})
    mother_client.post(first.url, {"choice": "cancel"})
    again = mother_client.post("/payments/contribution/", {"period": str(year)})
    assert again.url == first.url
    assert PaymentOrder.objects.filter(person=mother).count() == 1
    assert not SandboxTransaction.objects.exists()


def test_a_double_tap_on_pay_finds_the_open_order(mother_client, mother, year):
    one = mother_client.post("/payments/contribution/", {"period": str(year)})
    two = mother_client.post("/payments/contribution/", {"period": str(year)})
    assert one.url == two.url
    assert PaymentOrder.objects.filter(person=mother, status=OrderStatus.CREATED).count() == 1


def test_an_expired_order_is_replaced_by_a_new_one(mother, mother_user, year):
    old = an_order(mother, mother_user, year)
    PaymentOrder.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    new = an_order(mother, mother_user, year)
    assert new.pk != old.pk
    old.refresh_from_db()
    assert old.status == OrderStatus.EXPIRED


def test_an_employee_is_told_the_employer_pays_and_no_order_is_made(mother_client, mother, year):
    mother.scheme = Scheme.EMPLOYEE
    mother.save()
    page = mother_client.get("/payments/contribution/")
    assert "由单位每月代扣" in page.content.decode()
    response = mother_client.post("/payments/contribution/", {"period": str(year)})
    assert response.status_code == 400 and "由单位每月代扣" in response.content.decode()
    assert not PaymentOrder.objects.exists()


@pytest.mark.parametrize("period, says", [("", "请选要交哪一年"), ("abcd", "请选要交哪一年"), ("1999", "还没有公布")])
def test_a_bad_period_is_refused_with_a_plain_message(mother_client, mother, year, period, says):
    response = mother_client.post("/payments/contribution/", {"period": period})
    assert response.status_code == 400 and says in response.content.decode()
    assert not PaymentOrder.objects.exists()


def test_outside_the_window_she_is_told_when_to_pay(mother_client, mother, year):
    ContributionRate.objects.filter(region_code=mother.region_code, year=year).update(
        opens_on=timezone.localdate() + dt.timedelta(days=5))
    response = mother_client.post("/payments/contribution/", {"period": str(year)})
    assert response.status_code == 400 and "现在不在这段时间" in response.content.decode()


def test_a_period_already_paid_is_refused(mother_client, mother, year):
    Contribution.objects.create(person=mother, period=str(year), amount=D("420.00"), paid_on=timezone.localdate(),
                                payer="窗口")
    response = mother_client.post("/payments/contribution/", {"period": str(year)})
    assert response.status_code == 400 and "已经交过了" in response.content.decode()
    assert not PaymentOrder.objects.exists()


def test_the_provider_down_on_start_keeps_the_order_and_pressing_again_reuses_it(mother_client, mother, year,
                                                                                  settings):
    settings.SANDBOX_TIMEOUT = "start"
    response = mother_client.post("/payments/contribution/", {"period": str(year)})
    assert response.status_code == 200
    assert "支付渠道暂时没有响应" in response.content.decode() and "不会重复扣钱" in response.content.decode()
    order = PaymentOrder.objects.get(person=mother)
    assert order.status == OrderStatus.CREATED
    settings.SANDBOX_TIMEOUT = ""
    again = mother_client.post("/payments/contribution/", {"period": str(year)})
    assert again.url == f"/payments/sandbox/cashier/{order.out_trade_no}/"
    assert PaymentOrder.objects.filter(person=mother).count() == 1


# --- 亲情代缴 ----------------------------------------------------------------------------------------------


def test_her_son_with_any_grant_pays_for_her_and_she_is_told_who_paid(
        mother_user, mother, son, year, django_capture_on_commit_callbacks):
    client, grant = son_acting_for(mother_user, son, ["show_code"])  # no `act`: paying needs none
    page = client.get("/payments/contribution/")
    assert "会发短信告诉她" in page.content.decode()
    response = client.post("/payments/contribution/", {"period": str(year)})
    order = PaymentOrder.objects.get(person=mother)
    assert (order.payer, order.for_family) == (son, True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"choice": "pay"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and booked(mother, year) == 1
    assert any("您的家人" in t and f"替您缴了{year}年的医保费" in t for t in texts_to(mother.phone))
    assert any(f"缴的{year}年医保费" in t for t in texts_to(son.phone))
    ordered = AuditEvent.objects.get(action=Kind.PAYMENT_ORDERED, subject=mother)
    assert (ordered.via, ordered.actor, ordered.detail["grant_id"]) == ("proxy", son, grant.pk)
    assert client.get(f"/payments/orders/{order.public_id}/").status_code == 200
    assert Contribution.objects.get(person=mother).payer.startswith("亲情代缴")


def test_a_stranger_cannot_see_her_order_nor_open_its_cashier(mother, mother_user, stranger_client, year):
    order = an_order(mother, mother_user, year)
    assert stranger_client.get(f"/payments/orders/{order.public_id}/").status_code == 404
    assert stranger_client.get(f"/payments/sandbox/cashier/{order.out_trade_no}/").status_code == 404
    assert stranger_client.post(f"/payments/sandbox/cashier/{order.out_trade_no}/", {"choice": "pay"}).status_code == 404
    assert not SandboxTransaction.objects.exists()


def test_a_stranger_pays_only_for_himself_whatever_he_posts(mother, stranger, stranger_client, year):
    stranger_client.post("/payments/contribution/", {"period": str(year), "person": str(mother.public_id)})
    assert not PaymentOrder.objects.filter(person=mother).exists()


def test_after_the_grant_is_revoked_he_no_longer_pays_for_her(mother_user, mother, son, year):
    client, grant = son_acting_for(mother_user, son, ["show_code"])
    grant.status = "revoked"
    grant.save()
    client.post("/payments/contribution/", {"period": str(year)})
    assert not PaymentOrder.objects.filter(person=mother).exists()


def test_a_helper_at_a_kiosk_has_no_payment_page_for_her(kiosk_client, mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    assert kiosk_client.get(f"/payments/orders/{order.public_id}/").status_code in (302, 403, 404)
    assert kiosk_client.post(f"/payments/sandbox/cashier/{order.out_trade_no}/", {"choice": "pay"}).status_code \
        in (302, 403, 404)
    assert not SandboxTransaction.objects.exists()


# --- callbacks -----------------------------------------------------------------------------------------


def test_a_callback_with_a_bad_signature_is_refused_and_books_nothing(client, mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    response = post_notice(client, order, secret="not-the-secret")
    assert response.status_code == 400
    assert not PaymentCallback.objects.exists() and booked(mother, year) == 0


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"event_id":"e"}',
                                  b'{"event_id":"e","out_trade_no":"x","kind":"stolen","amount":"1","provider_ref":"r"}',
                                  b'{"event_id":"e","out_trade_no":"x","kind":"paid","amount":"NaN","provider_ref":"r"}',
                                  b'{"event_id":"e","out_trade_no":"x","kind":"paid","amount":"-1","provider_ref":"r"}'])
def test_a_malformed_signed_callback_is_refused(client, db, body):
    response = client.post("/payments/callback/sandbox/", body, content_type="application/json", **signed(body))
    assert response.status_code == 400 and not PaymentCallback.objects.exists()


def test_a_callback_naming_another_provider_is_refused(client, mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    body = notice_body(event_id="e", out_trade_no=order.out_trade_no, kind="paid", amount=order.amount,
                       provider_ref="r")
    assert client.post("/payments/callback/http/", body, content_type="application/json",
                       **signed(body)).status_code == 400


def test_a_callback_for_an_unknown_order_is_recorded_rejected_and_answered(client, db):
    body = notice_body(event_id="e", out_trade_no="YBNOSUCHORDER", kind="paid", amount="420.00", provider_ref="r")
    response = client.post("/payments/callback/sandbox/", body, content_type="application/json", **signed(body))
    assert response.status_code == 200 and response.content == b"success"
    assert PaymentCallback.objects.get().outcome == CallbackOutcome.REJECTED


def test_a_tampered_amount_is_flagged_for_staff_and_not_booked(client, mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    response = post_notice(client, order, amount="0.01")
    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.booked, order.flagged) == (OrderStatus.CREATED, False, True)
    assert PaymentCallback.objects.get().outcome == CallbackOutcome.FLAGGED
    assert booked(mother, year) == 0 and AuditEvent.objects.filter(action=Kind.PAYMENT_FLAGGED).count() == 1


def test_duplicate_callbacks_and_a_second_paid_event_book_once(client, mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    for _ in range(3):
        assert post_notice(client, order).content == b"success"
    assert post_notice(client, order, event_id="ev-2").content == b"success"  # already paid
    outcomes = sorted(PaymentCallback.objects.values_list("outcome", flat=True))
    assert outcomes == [CallbackOutcome.BOOKED, CallbackOutcome.DUPLICATE]
    assert booked(mother, year) == 1 and paid_rows(mother) == 1
    assert sum(f"{year}年的医保费已经缴好了" in t for t in texts_to(mother.phone)) == 1


def test_the_sandbox_sending_duplicates_books_once(mother_client, mother, year, settings,
                                                  django_capture_on_commit_callbacks):
    settings.SANDBOX_DUPLICATE_CALLBACKS = 4
    cashier = mother_client.post("/payments/contribution/", {"period": str(year)}).url
    with django_capture_on_commit_callbacks(execute=True):
        mother_client.post(cashier, {"choice": "pay"})
    assert PaymentCallback.objects.count() == 1  # the copies found the first row
    assert booked(mother, year) == 1 and paid_rows(mother) == 1


def test_out_of_order_a_refund_before_the_payment_is_noted_and_a_late_paid_after_a_refund_is_not_rebooked(
        mother_client, mother, year, settings, staff_user, django_capture_on_commit_callbacks):
    settings.SANDBOX_OUT_OF_ORDER = True
    cashier = mother_client.post("/payments/contribution/", {"period": str(year)}).url
    with django_capture_on_commit_callbacks(execute=True):
        mother_client.post(cashier, {"choice": "pay"})
    order = PaymentOrder.objects.get(person=mother)
    early = PaymentCallback.objects.get(event_id__endswith=":refunded:early")
    assert early.outcome == CallbackOutcome.NOTED
    assert order.status == OrderStatus.PAID and booked(mother, year) == 1
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order, staff=staff_user, reason="重复缴费")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and booked(mother, year) == 0
    late = PaymentCallback.objects.get(event_id__endswith=":paid:late")
    assert late.outcome == CallbackOutcome.NOTED and booked(mother, year) == 0
    assert PaymentCallback.objects.get(event_id__endswith=":refunded").outcome == CallbackOutcome.DUPLICATE
    assert AuditEvent.objects.filter(action=Kind.PAYMENT_REFUNDED, subject=mother).count() == 1


def test_a_late_payment_of_an_expired_order_counts_and_closes_the_newer_one(mother, mother_user, year):
    old = an_order(mother, mother_user, year)
    PaymentOrder.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    new = an_order(mother, mother_user, year)
    assert apply_notice(Notice("sandbox", "late-1", old.out_trade_no, "paid", old.amount, "R1")) == "booked"
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (OrderStatus.PAID, OrderStatus.EXPIRED)
    assert booked(mother, year) == 1


def test_a_period_paid_at_a_window_meanwhile_flags_the_order_for_a_refund(mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    Contribution.objects.create(person=mother, period=str(year), amount=D("420.00"), paid_on=timezone.localdate(),
                                payer="窗口")
    assert apply_notice(Notice("sandbox", "e", order.out_trade_no, "paid", order.amount, "R")) == "flagged"
    order.refresh_from_db()
    assert (order.status, order.booked, order.flagged) == (OrderStatus.PAID, False, True)


def test_paying_brings_a_paused_enrolment_back(mother, mother_user, year):
    mother.status = EnrollmentStatus.PAUSED
    mother.save()
    order = an_order(mother, mother_user, year)
    apply_notice(Notice("sandbox", "e", order.out_trade_no, "paid", order.amount, "R"))
    mother.refresh_from_db()
    assert mother.status == EnrollmentStatus.ENROLLED


def test_a_failed_notice_marks_a_waiting_order_failed_and_she_may_pay_again(mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    apply_notice(Notice("sandbox", "f", order.out_trade_no, "failed", order.amount, "R"))
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert an_order(mother, mother_user, year).pk != order.pk


def test_the_paid_status_is_pushed_to_her_pages_and_to_the_payers(mother_user, mother, son, year, monkeypatch):
    sent = []
    monkeypatch.setattr(push, "publish_all", lambda events: sent.extend(events))
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["show_code"])
    order = order_contribution(payer=son, person=mother, period=str(year), for_family=True, grant_id=grant.pk)
    apply_notice(Notice("sandbox", "e", order.out_trade_no, "paid", order.amount, "R"))
    groups = sorted(event.audience.group for event in sent)
    assert len(groups) == 2 and all(event.kind == push.ORDER for event in sent)
    html = push._render(order.pk, "zh-hans")
    assert f'id="order-{order.public_id}"' in html and "hx-swap-oob" in html and "已支付" in html


# --- reconciliation ---------------------------------------------------------------------------------------


def test_reconciliation_books_a_payment_whose_callback_was_lost_once(mother_client, mother, year, settings,
                                                                    django_capture_on_commit_callbacks):
    settings.SANDBOX_LOSE_CALLBACKS = True
    cashier = mother_client.post("/payments/contribution/", {"period": str(year)}).url
    with django_capture_on_commit_callbacks(execute=True):
        mother_client.post(cashier, {"choice": "pay"})
    order = PaymentOrder.objects.get(person=mother)
    assert order.status == OrderStatus.CREATED and booked(mother, year) == 0
    later = timezone.now() + dt.timedelta(minutes=10)
    assert reconcile_payments(now=later)["booked"] == 1
    assert reconcile_payments(now=later)["booked"] == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and booked(mother, year) == 1 and paid_rows(mother) == 1


def test_reconciliation_expires_an_unpaid_order_past_its_time(mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    assert reconcile_payments(now=timezone.now() + dt.timedelta(hours=2))["expired"] == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED


def test_reconciliation_flags_a_booked_order_the_provider_does_not_know_as_paid(mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    apply_notice(Notice("sandbox", "e", order.out_trade_no, "paid", order.amount, "R"))  # no sandbox ledger row
    counts = reconcile_payments(now=timezone.now() + dt.timedelta(minutes=10))
    order.refresh_from_db()
    assert counts["flagged"] == 1 and order.flagged and "not report it paid" in order.flag_reason


def test_reconciliation_books_a_paid_order_left_without_its_booking(mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    SandboxTransaction.objects.create(reference=order.out_trade_no, kind="payment", amount=order.amount,
                                      status="paid", provider_ref="R9")
    PaymentOrder.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, paid_amount=order.amount,
                                                    paid_at=timezone.now(), provider_ref="R9")
    assert reconcile_payments()["booked"] == 1
    order.refresh_from_db()
    assert order.booked and booked(mother, year) == 1


def test_reconciliation_skips_a_provider_that_does_not_answer(mother, mother_user, year, settings):
    an_order(mother, mother_user, year)
    settings.SANDBOX_TIMEOUT = "query"
    assert reconcile_payments(now=timezone.now() + dt.timedelta(minutes=10))["unreachable"] == 1


# --- refunds by staff ---------------------------------------------------------------------------------------


@pytest.fixture
def staff_user(db):
    return User.objects.create_user("+8613700137009", "a-long-staff-password", role=Role.STAFF, display_name="审核员")


def test_a_refund_needs_a_paid_order_and_a_reason(mother, mother_user, year, staff_user):
    order = an_order(mother, mother_user, year)
    with pytest.raises(PaymentError, match="原因"):
        refund_order(order, staff=staff_user, reason="")
    with pytest.raises(PaymentError, match="已支付"):
        refund_order(order, staff=staff_user, reason="重复缴费")


# --- the HTTP provider (no network) -------------------------------------------------------------------------


@pytest.fixture
def http_provider(settings) -> HttpProvider:
    settings.PORTAL_PUBLIC_URL = "https://ybt.example.cn"
    return HttpProvider("https://pay.example.cn/v1", "the-shared-secret", 5)


@responses.activate
def test_the_http_provider_starts_an_order_with_a_signed_request(http_provider, mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    responses.post("https://pay.example.cn/v1/orders",
                   json={"pay_url": "https://pay.example.cn/cashier/1", "qr_payload": "weixin://x"})
    start = http_provider.start(order)
    assert (start.redirect_url, start.qr_payload) == ("https://pay.example.cn/cashier/1", "weixin://x")
    sent = responses.calls[0].request
    assert sent.headers["X-Signature"] == sign("the-shared-secret", sent.body)
    payload = json.loads(sent.body)
    assert payload["out_trade_no"] == order.out_trade_no and payload["amount"] == "420.00"
    assert payload["notify_url"] == "https://ybt.example.cn/payments/callback/http/"


@responses.activate
@pytest.mark.parametrize("answer", [dict(body=requests.ConnectTimeout()), dict(status=502, json={}),
                                    dict(json={"pay_url": "http://insecure"}), dict(body="not json")])
def test_the_http_provider_down_slow_or_odd_is_unavailable(http_provider, mother, mother_user, year, answer):
    order = an_order(mother, mother_user, year)
    responses.post("https://pay.example.cn/v1/orders", **answer)
    with pytest.raises(ProviderUnavailable):
        http_provider.start(order)


@responses.activate
def test_the_http_provider_queries_and_refunds(http_provider, mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    url = f"https://pay.example.cn/v1/orders/{order.out_trade_no}"
    responses.get(url, json={"kind": "paid", "event_id": "q1", "out_trade_no": order.out_trade_no,
                             "amount": "420.00", "provider_ref": "WX1"})
    notice = http_provider.query(order)
    assert (notice.kind, notice.amount, notice.provider_ref) == ("paid", D("420.00"), "WX1")
    responses.replace(responses.GET, url, status=404)
    assert http_provider.query(order) is None
    responses.post(url + "/refunds", json={"refund_ref": "RF1"})
    assert http_provider.refund(order, D("420.00")).refund_ref == "RF1"


def test_the_http_provider_verifies_callbacks_with_its_secret(http_provider):
    body = notice_body(event_id="e", out_trade_no="YB1", kind="paid", amount="420.00", provider_ref="r")
    assert http_provider.verify_callback({"X-Signature": sign("the-shared-secret", body)}, body).amount == D("420.00")
    with pytest.raises(BadCallback):
        http_provider.verify_callback({"X-Signature": sign("other", body)}, body)
    with pytest.raises(BadCallback):
        http_provider.verify_callback({}, body)


def test_the_sandbox_query_answers_with_the_callbacks_event_id(mother, mother_user, year):
    order = an_order(mother, mother_user, year)
    provider = SandboxProvider(SECRET)
    assert provider.query(order) is None
    record, _created = provider.take_payment(order)
    notice = provider.query(order)
    assert notice.event_id == f"{record.provider_ref}:paid" and notice.amount == order.amount
    assert actions.provider_down_message()
