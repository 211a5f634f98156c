"""On PostgreSQL, at the same instant: six taps on "去支付" by her and her son make one order; 50 copies of one signed payment callback (and 50 notices of one payment
under different event ids) book her contribution once, with one PAYMENT_PAID audit row and one SMS; a payment
the sandbox took but whose callback was lost is found and booked once by reconciliation, even when two
reconciliations run at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import OutboundMessage
from audit.kinds import Kind
from audit.models import AuditEvent
from core import crypto
from family.actions import invite_proxy
from insurance.models import Contribution, ContributionRate, Scheme
from payments.actions import order_contribution, receive_callback, reconcile_payments, sandbox_pay
from payments.models import CallbackOutcome, OrderStatus, PaymentCallback, PaymentOrder
from payments.providers import notice_body, sign
from service.at_once import all_at_once

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def order(mother, mother_user, settings) -> PaymentOrder:
    today = timezone.localdate()
    ContributionRate.objects.update_or_create(
        region_code=mother.region_code, year=today.year + 1, scheme=Scheme.RESIDENT,
        defaults={"amount": D("420.00"), "opens_on": today - dt.timedelta(days=30),
                  "closes_on": today + dt.timedelta(days=30)})
    mother.scheme = Scheme.RESIDENT
    mother.save()
    return order_contribution(payer=mother_user, person=mother, period=str(today.year + 1), for_family=False)


def texts_to(phone: str) -> int:
    return OutboundMessage.objects.filter(phone_index=crypto.blind_index("phone", phone)).count()


def test_fifty_copies_of_one_callback_at_once_book_once(services, order, mother, settings):
    assert connection.vendor == "postgresql"
    body = notice_body(event_id="SBX-EV-1:paid", out_trade_no=order.out_trade_no, kind="paid", amount=order.amount,
                       provider_ref="SBX-EV-1")
    headers = {"X-Signature": sign(settings.PAYMENT_SECRET, body)}
    texts_before = texts_to(mother.phone)
    results = all_at_once(50, lambda i: receive_callback("sandbox", headers, body))
    assert results == [(200, "success")] * 50, [r for r in results if r != (200, "success")][:3]
    assert PaymentCallback.objects.count() == 1
    assert Contribution.objects.filter(person=mother, period=order.period).count() == 1
    assert AuditEvent.objects.filter(action=Kind.PAYMENT_PAID, subject=mother).count() == 1
    assert texts_to(mother.phone) == texts_before + 1
    order.refresh_from_db()
    assert (order.status, order.booked) == (OrderStatus.PAID, True)


def test_fifty_notices_of_one_payment_under_different_event_ids_book_once(services, order, mother, settings):
    def notify(i: int):
        body = notice_body(event_id=f"SBX-EV-{i}:paid", out_trade_no=order.out_trade_no, kind="paid",
                           amount=order.amount, provider_ref="SBX-EV")
        return receive_callback("sandbox", {"X-Signature": sign(settings.PAYMENT_SECRET, body)}, body)

    results = all_at_once(50, notify)
    assert results == [(200, "success")] * 50, [r for r in results if r != (200, "success")][:3]
    outcomes = list(PaymentCallback.objects.values_list("outcome", flat=True))
    assert outcomes.count(CallbackOutcome.BOOKED) == 1 and outcomes.count(CallbackOutcome.DUPLICATE) == 49
    assert Contribution.objects.filter(person=mother).count() == 1
    assert AuditEvent.objects.filter(action=Kind.PAYMENT_PAID, subject=mother).count() == 1


def test_reconciliation_finds_a_paid_but_unbooked_order_and_books_it_once(services, order, mother, settings):
    settings.SANDBOX_LOSE_CALLBACKS = True  # the sandbox takes the money; its callback never arrives
    sandbox_pay(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED and not Contribution.objects.filter(person=mother).exists()
    later = timezone.now() + dt.timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES + 1)
    results = all_at_once(2, lambda i: reconcile_payments(now=later))
    assert sum(r["booked"] for r in results) == 1, results
    order.refresh_from_db()
    assert (order.status, order.booked) == (OrderStatus.PAID, True)
    assert Contribution.objects.filter(person=mother).count() == 1
    assert AuditEvent.objects.filter(action=Kind.PAYMENT_PAID, subject=mother).count() == 1


def test_six_taps_on_pay_at_once_by_her_and_her_son_make_one_order(services, mother, mother_user, son, settings):
    today = timezone.localdate()
    ContributionRate.objects.update_or_create(
        region_code=mother.region_code, year=today.year + 1, scheme=Scheme.RESIDENT,
        defaults={"amount": D("420.00"), "opens_on": today - dt.timedelta(days=30),
                  "closes_on": today + dt.timedelta(days=30)})
    mother.scheme = Scheme.RESIDENT
    mother.save()
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["show_code"])

    def tap(i: int) -> int:
        if i % 2:
            return order_contribution(payer=son, person=mother, period=str(today.year + 1), for_family=True,
                                      grant_id=grant.pk).pk
        return order_contribution(payer=mother_user, person=mother, period=str(today.year + 1), for_family=False).pk

    results = all_at_once(6, tap)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1 and PaymentOrder.objects.filter(person=mother).count() == 1
