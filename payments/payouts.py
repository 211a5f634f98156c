"""Money the bureau pays her (an approved claim), through a payout provider (docs/design.md §2).

For services' claim approval:
- `request_payout(*, key, person, amount, destination, requested_by) -> Payout`: call inside the approval's
  transaction. Idempotent on `key` (asking twice finds the first payout). After commit a Celery task sends it
  to the provider with `key` as the provider's idempotency key, so a task run twice pays once.
- destination "account": no provider; her personal account balance is credited (an F expression) exactly once,
  when the payout is marked paid.
- `register_payout_listener(fn)`: `fn(payout_id, status)` runs after commit when a payout becomes "paid" or
  "failed" (ServicesConfig.ready registers the claim's).
`reconcile_payouts()` (periodic, payments/tasks.py) tries REQUESTED payouts again with backoff, asks the
provider about them, and fails them after PAYOUT_MAX_ATTEMPTS (staff then pay by hand).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import Via as AuditVia
from insurance.models import InsuredPerson
from payments import tasks  # a module, not its names: tasks imports this module too
from payments.models import Payout, PayoutDestination, PayoutStatus, SandboxTransaction
from payments.providers import SIGNATURE_HEADER, ProviderUnavailable, sign

logger = logging.getLogger(__name__)

PayoutListener = Callable[[int, str], None]
_listeners: list[PayoutListener] = []


class PayoutError(Exception):
    """A payout we cannot ask for (no bank account on file, a bad amount): `message` in plain Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def register_payout_listener(listener: PayoutListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def _tell_listeners(payout_id: int, status: str) -> None:
    for listener in list(_listeners):
        transaction.on_commit(lambda listener=listener: listener(payout_id, status))


# --- providers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutResult:
    status: str  # paid | pending | failed
    provider_ref: str = ""
    detail: str = ""


class PayoutProvider(Protocol):
    name: str

    def send(self, payout: Payout) -> PayoutResult: ...

    def query(self, payout: Payout) -> PayoutResult | None: ...


class SandboxPayoutProvider:
    """Pays after SANDBOX_PAYOUT_DELAY_SECONDS; told to, it refuses (SANDBOX_PAYOUT_FAIL) or does not answer
    (SANDBOX_PAYOUT_TIMEOUT). Its ledger is keyed by the payout's key, as a real provider's idempotency is."""

    name = "sandbox"

    def _result(self, record: SandboxTransaction) -> PayoutResult:
        if record.status == "pending" and (timezone.now() - record.created_at).total_seconds() >= \
                settings.SANDBOX_PAYOUT_DELAY_SECONDS:
            SandboxTransaction.objects.filter(pk=record.pk, status="pending").update(status="paid")
            record.status = "paid"
        return PayoutResult(record.status, record.provider_ref,
                            "sandbox: account name does not match" if record.status == "failed" else "")

    def send(self, payout: Payout) -> PayoutResult:
        if settings.SANDBOX_PAYOUT_TIMEOUT:
            raise ProviderUnavailable("sandbox payout timed out")
        record, _created = SandboxTransaction.objects.get_or_create(
            reference=payout.key, kind="payout",
            defaults={"amount": payout.amount, "status": "failed" if settings.SANDBOX_PAYOUT_FAIL else "pending",
                      "provider_ref": "SBP" + uuid.uuid4().hex[:24].upper()})
        return self._result(record)

    def query(self, payout: Payout) -> PayoutResult | None:
        if settings.SANDBOX_PAYOUT_TIMEOUT:
            raise ProviderUnavailable("sandbox payout timed out")
        record = SandboxTransaction.objects.filter(reference=payout.key, kind="payout").first()
        return self._result(record) if record is not None else None


class HttpPayoutProvider:
    """`POST {url}/payouts` (header `Idempotency-Key: <key>`) and `GET {url}/payouts/<key>`, JSON signed with
    HMAC-SHA256 like the payment provider's; the answer is `{"status": "paid"|"pending"|"failed",
    "provider_ref": ..., "detail": ...}`."""

    name = "http"

    def __init__(self, url: str, secret: str, timeout: int) -> None:
        self.url, self.secret, self.timeout = url.rstrip("/"), secret, timeout

    def _answer(self, response: requests.Response) -> PayoutResult:
        if response.status_code >= 300:
            raise ProviderUnavailable(f"payout provider answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise ProviderUnavailable("payout provider answered something that is not JSON") from None
        status = data.get("status") if isinstance(data, dict) else None
        if status not in ("paid", "pending", "failed"):
            raise ProviderUnavailable("payout provider gave no status")
        return PayoutResult(status, str(data.get("provider_ref") or "")[:64], str(data.get("detail") or "")[:200])

    def send(self, payout: Payout) -> PayoutResult:
        body = json.dumps({"key": payout.key, "amount": str(payout.amount), "bank_name": payout.bank_name,
                           "bank_account": payout.bank_account, "name": payout.person.name},
                          separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": payout.key,
                   SIGNATURE_HEADER: sign(self.secret, body)}
        try:
            response = requests.post(self.url + "/payouts", data=body, headers=headers, timeout=(3, self.timeout))
        except requests.RequestException as exc:
            raise ProviderUnavailable(type(exc).__name__) from exc
        return self._answer(response)

    def query(self, payout: Payout) -> PayoutResult | None:
        try:
            response = requests.get(f"{self.url}/payouts/{payout.key}", headers={SIGNATURE_HEADER: sign(self.secret, b"")},
                                    timeout=(3, self.timeout))
        except requests.RequestException as exc:
            raise ProviderUnavailable(type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        return self._answer(response)


def get_payout_provider() -> PayoutProvider:
    if settings.PAYOUT_PROVIDER == "http":
        return HttpPayoutProvider(settings.PAYOUT_HTTP_URL, settings.PAYOUT_SECRET, settings.PAYMENT_TIMEOUT_SECONDS)
    return SandboxPayoutProvider()


# --- actions --------------------------------------------------------------------------------------------


def request_payout(*, key: str, person: InsuredPerson, amount: Decimal, destination: str,
                   requested_by: User | None) -> Payout:
    """The payout for `key`, created once (inside the caller's transaction); sent after commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("request_payout must be called inside the caller's transaction")
    if not key or len(key) > 80:
        raise ValueError("a payout needs a key of at most 80 characters")
    existing = Payout.objects.filter(key=key).first()
    if existing is not None:
        return _same_or_refuse(existing, person, amount, destination)
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise PayoutError(_("打款金额不对。"))
    if destination not in PayoutDestination.values:
        raise PayoutError(_("请选钱打到哪里。"))
    if destination == PayoutDestination.BANK and not person.bank_account:
        raise PayoutError(_("医保局还没有登记她的银行卡，请选打到医保个人账户，或带银行卡到医保窗口登记。"))
    provider = "account" if destination == PayoutDestination.ACCOUNT else settings.PAYOUT_PROVIDER
    try:
        with transaction.atomic():
            payout = Payout.objects.create(
                key=key, person=person, amount=amount, destination=destination, provider=provider,
                bank_name=person.bank_name if destination == PayoutDestination.BANK else "",
                bank_account=person.bank_account if destination == PayoutDestination.BANK else "")
    except IntegrityError:
        return _same_or_refuse(Payout.objects.get(key=key), person, amount, destination)
    record_event(action=Kind.PAYOUT_REQUESTED, via=AuditVia.STAFF if requested_by else AuditVia.SYSTEM,
                 actor=requested_by, subject=person,
                 detail={"payout": str(payout.public_id), "key": key, "amount": str(amount), "destination": destination})
    payout_id = payout.pk
    transaction.on_commit(lambda: tasks.send_payout.delay(payout_id))
    return payout


def _same_or_refuse(existing: Payout, person: InsuredPerson, amount: Decimal, destination: str) -> Payout:
    if (existing.person_id, existing.amount, existing.destination) != (person.pk, Decimal(amount), destination):
        raise ValueError(f"payout key {existing.key!r} was used for a different payout")
    return existing


def process_payout(payout_id: int) -> str:
    """Send (or ask about) one payout; safe to run twice and at once (the provider is given the key)."""
    payout = Payout.objects.select_related("person").filter(pk=payout_id).first()
    if payout is None or payout.status != PayoutStatus.REQUESTED:
        return payout.status if payout else "missing"
    if payout.destination == PayoutDestination.ACCOUNT:
        return mark_paid(payout.pk, provider_ref="")
    provider = get_payout_provider()
    try:
        # After a first try, ask before sending again (the key makes a second send harmless anyway).
        result = provider.query(payout) if payout.attempts else None
        if result is None:
            result = provider.send(payout)
    except ProviderUnavailable as exc:
        Payout.objects.filter(pk=payout.pk, status=PayoutStatus.REQUESTED).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:200])
        return PayoutStatus.REQUESTED
    if result.status == "paid":
        return mark_paid(payout.pk, provider_ref=result.provider_ref)
    if result.status == "failed":
        return mark_failed(payout.pk, reason=result.detail or "provider refused")
    Payout.objects.filter(pk=payout.pk, status=PayoutStatus.REQUESTED).update(
        attempts=F("attempts") + 1, provider_ref=result.provider_ref[:64], last_error="")
    return PayoutStatus.REQUESTED


def mark_paid(payout_id: int, *, provider_ref: str) -> str:
    """REQUESTED → PAID once; an "account" payout credits her balance in the same transaction."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
        if payout is None or payout.status != PayoutStatus.REQUESTED:
            return payout.status if payout else "missing"
        payout.status, payout.paid_at = PayoutStatus.PAID, timezone.now()
        payout.provider_ref = provider_ref[:64] or payout.provider_ref
        payout.save(update_fields=["status", "paid_at", "provider_ref"])
        if payout.destination == PayoutDestination.ACCOUNT:
            InsuredPerson.objects.filter(pk=payout.person_id).update(account_balance=F("account_balance") + payout.amount)
        record_event(action=Kind.PAYOUT_PAID, via=AuditVia.SYSTEM, actor_label=_("打款渠道"), subject=payout.person,
                     detail={"payout": str(payout.public_id), "amount": str(payout.amount),
                             "destination": payout.destination})
        _tell_listeners(payout.pk, PayoutStatus.PAID)
    return PayoutStatus.PAID


def mark_failed(payout_id: int, *, reason: str) -> str:
    with transaction.atomic():
        payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
        if payout is None or payout.status != PayoutStatus.REQUESTED:
            return payout.status if payout else "missing"
        payout.status, payout.last_error = PayoutStatus.FAILED, reason[:200]
        payout.save(update_fields=["status", "last_error"])
        record_event(action=Kind.PAYOUT_FAILED, via=AuditVia.SYSTEM, actor_label=_("打款渠道"), subject=payout.person,
                     detail={"payout": str(payout.public_id), "amount": str(payout.amount), "reason": reason[:200]})
        _tell_listeners(payout.pk, PayoutStatus.FAILED)
    return PayoutStatus.FAILED


def reconcile_payouts(now: dt.datetime | None = None) -> dict[str, int]:
    """REQUESTED payouts whose backoff has passed (PAYOUT_RETRY_SECONDS * 2**attempts after the request) are
    asked about or sent again; after PAYOUT_MAX_ATTEMPTS they fail and staff pay by hand."""
    now = now or timezone.now()
    counts = {"paid": 0, "failed": 0, "waiting": 0}
    for payout in Payout.objects.filter(status=PayoutStatus.REQUESTED).order_by("requested_at")[:500]:
        due_at = payout.requested_at + dt.timedelta(seconds=settings.PAYOUT_RETRY_SECONDS * (2 ** min(payout.attempts, 12) - 1))
        if due_at > now:
            counts["waiting"] += 1
            continue
        if payout.attempts >= settings.PAYOUT_MAX_ATTEMPTS:
            status = mark_failed(payout.pk, reason=f"no answer after {payout.attempts} tries: {payout.last_error}")
        else:
            status = process_payout(payout.pk)
        key = {PayoutStatus.PAID: "paid", PayoutStatus.FAILED: "failed"}.get(status, "waiting")
        counts[key] += 1
    return counts
