"""Payouts (what an approved claim pays her): asked for once per key inside the caller's transaction, sent after
commit, paid once (her personal account credited once), failures and silence retried with backoff and then
given up; the listener hears "paid" or "failed" once; the HTTP payout provider over `responses`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
import requests
import responses
from django.db import transaction
from django.utils import timezone

from audit.kinds import Kind
from audit.models import AuditEvent
from payments import payouts
from payments.models import Payout, PayoutStatus, SandboxTransaction
from payments.payouts import (
    HttpPayoutProvider,
    PayoutError,
    process_payout,
    reconcile_payouts,
    register_payout_listener,
    request_payout,
)
from payments.providers import ProviderUnavailable, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch) -> list[tuple[int, str]]:
    """What a listener (services' claims) hears; the registry is emptied again after the test."""
    monkeypatch.setattr(payouts, "_listeners", [])
    got: list[tuple[int, str]] = []
    register_payout_listener(lambda payout_id, status: got.append((payout_id, status)))
    return got


def ask(person, *, key="claim:1", amount="128.50", destination="account") -> Payout:
    with transaction.atomic():
        return request_payout(key=key, person=person, amount=D(amount), destination=destination, requested_by=None)


def balance(person) -> D:
    person.refresh_from_db()
    return person.account_balance


@pytest.mark.django_db(transaction=True)
def test_a_payout_must_be_asked_for_inside_the_callers_transaction(mother):
    with pytest.raises(RuntimeError):
        request_payout(key="k", person=mother, amount=D("1.00"), destination="account", requested_by=None)


def test_to_her_account_it_is_paid_after_commit_and_credited_once(mother, heard, django_capture_on_commit_callbacks):
    before = balance(mother)
    with django_capture_on_commit_callbacks(execute=True):
        payout = ask(mother)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and balance(mother) == before + D("128.50")
    assert process_payout(payout.pk) == PayoutStatus.PAID  # a task run twice
    with django_capture_on_commit_callbacks(execute=True):
        assert payouts.mark_paid(payout.pk, provider_ref="") == PayoutStatus.PAID
    assert balance(mother) == before + D("128.50")
    assert heard == [(payout.pk, "paid")]
    assert AuditEvent.objects.filter(action=Kind.PAYOUT_PAID, subject=mother).count() == 1


def test_asking_twice_with_one_key_finds_the_first_payout(mother, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = ask(mother)
        second = ask(mother)
    assert first.pk == second.pk and Payout.objects.count() == 1
    assert AuditEvent.objects.filter(action=Kind.PAYOUT_REQUESTED).count() == 1


def test_one_key_for_a_different_payout_is_a_programming_error(mother):
    ask(mother)
    with pytest.raises(ValueError):
        ask(mother, amount="1.00")


@pytest.mark.parametrize("amount", ["0", "-5", "1.234"])
def test_a_bad_amount_is_refused(mother, amount):
    with pytest.raises(PayoutError):
        ask(mother, amount=amount)
    assert not Payout.objects.exists()


def test_to_a_bank_account_not_on_file_is_refused_in_plain_words(mother):
    with pytest.raises(PayoutError, match="银行卡"):
        ask(mother, destination="bank")


def test_to_her_bank_the_sandbox_pays_once_and_the_key_goes_to_the_provider(
        mother, heard, django_capture_on_commit_callbacks):
    mother.bank_name, mother.bank_account = "工商银行", "6222020200112233445"
    mother.save()
    before = balance(mother)
    with django_capture_on_commit_callbacks(execute=True):
        payout = ask(mother, destination="bank")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.bank_account == "6222020200112233445"
    assert SandboxTransaction.objects.get(kind="payout").reference == "claim:1"
    assert balance(mother) == before  # the bank was paid, not her account
    assert heard == [(payout.pk, "paid")]


def test_a_payout_the_provider_refuses_fails_and_the_listener_hears_it(
        mother, heard, settings, django_capture_on_commit_callbacks):
    settings.SANDBOX_PAYOUT_FAIL = True
    mother.bank_account = "6222020200112233445"
    mother.save()
    with django_capture_on_commit_callbacks(execute=True):
        payout = ask(mother, destination="bank")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and heard == [(payout.pk, "failed")]


def test_silence_is_retried_with_backoff_then_paid(mother, heard, settings, django_capture_on_commit_callbacks):
    settings.SANDBOX_PAYOUT_TIMEOUT = True
    mother.bank_account = "6222020200112233445"
    mother.save()
    with django_capture_on_commit_callbacks(execute=True):
        payout = ask(mother, destination="bank")
    payout.refresh_from_db()
    assert (payout.status, payout.attempts) == (PayoutStatus.REQUESTED, 1)
    assert reconcile_payouts(now=timezone.now())["waiting"] == 1  # backoff: not yet
    settings.SANDBOX_PAYOUT_TIMEOUT = False
    with django_capture_on_commit_callbacks(execute=True):
        counts = reconcile_payouts(now=timezone.now() + dt.timedelta(seconds=settings.PAYOUT_RETRY_SECONDS + 1))
    assert counts["paid"] == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and heard == [(payout.pk, "paid")]


def test_a_slow_sandbox_payout_is_pending_until_reconciliation_finds_it_paid(
        mother, settings, django_capture_on_commit_callbacks):
    settings.SANDBOX_PAYOUT_DELAY_SECONDS = 60
    mother.bank_account = "6222020200112233445"
    mother.save()
    with django_capture_on_commit_callbacks(execute=True):
        payout = ask(mother, destination="bank")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REQUESTED
    SandboxTransaction.objects.filter(kind="payout").update(created_at=timezone.now() - dt.timedelta(minutes=5))
    reconcile_payouts(now=timezone.now() + dt.timedelta(hours=1))
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID


def test_after_too_many_tries_it_fails_for_staff_to_pay_by_hand(mother, heard, settings,
                                                               django_capture_on_commit_callbacks):
    mother.bank_account = "6222020200112233445"
    mother.save()
    settings.SANDBOX_PAYOUT_TIMEOUT = True
    with django_capture_on_commit_callbacks(execute=True):
        payout = ask(mother, destination="bank")
    Payout.objects.filter(pk=payout.pk).update(attempts=settings.PAYOUT_MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_payouts(now=timezone.now() + dt.timedelta(days=365))
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and heard == [(payout.pk, "failed")]


# --- the HTTP payout provider (no network) ------------------------------------------------------------


@pytest.fixture
def bank_payout(mother) -> Payout:
    mother.bank_name, mother.bank_account = "工商银行", "6222020200112233445"
    mother.save()
    return ask(mother, destination="bank")


@responses.activate
def test_the_http_payout_provider_sends_the_key_as_its_idempotency_key_signed(bank_payout):
    provider = HttpPayoutProvider("https://payout.example.cn/v1", "payout-secret", 5)
    responses.post("https://payout.example.cn/v1/payouts", json={"status": "pending", "provider_ref": "P1"})
    result = provider.send(bank_payout)
    assert (result.status, result.provider_ref) == ("pending", "P1")
    sent = responses.calls[0].request
    assert sent.headers["Idempotency-Key"] == "claim:1"
    assert sent.headers["X-Signature"] == sign("payout-secret", sent.body)
    assert json.loads(sent.body)["amount"] == "128.50"


@responses.activate
def test_the_http_payout_provider_query_and_its_failures(bank_payout):
    provider = HttpPayoutProvider("https://payout.example.cn/v1", "payout-secret", 5)
    responses.get("https://payout.example.cn/v1/payouts/claim:1", json={"status": "paid", "provider_ref": "P1"})
    assert provider.query(bank_payout).status == "paid"
    responses.replace(responses.GET, "https://payout.example.cn/v1/payouts/claim:1", status=404)
    assert provider.query(bank_payout) is None
    responses.post("https://payout.example.cn/v1/payouts", body=requests.ReadTimeout())
    with pytest.raises(ProviderUnavailable):
        provider.send(bank_payout)
    responses.replace(responses.POST, "https://payout.example.cn/v1/payouts", json={"status": "maybe"})
    with pytest.raises(ProviderUnavailable):
        provider.send(bank_payout)


@responses.activate
def test_with_the_http_provider_a_task_run_twice_pays_once(bank_payout, settings, heard,
                                                          django_capture_on_commit_callbacks):
    settings.PAYOUT_PROVIDER, settings.PAYOUT_HTTP_URL, settings.PAYOUT_SECRET = (
        "http", "https://payout.example.cn/v1", "payout-secret")
    responses.post("https://payout.example.cn/v1/payouts", json={"status": "paid", "provider_ref": "P1"})
    with django_capture_on_commit_callbacks(execute=True):
        assert process_payout(bank_payout.pk) == PayoutStatus.PAID
        assert process_payout(bank_payout.pk) == PayoutStatus.PAID
    assert len(responses.calls) == 1 and heard == [(bank_payout.pk, "paid")]
