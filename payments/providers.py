"""The payment provider interface (docs/design.md §2, "Real parts behind interfaces"), in the house style of
accounts/sms.py: a Protocol, an embedded sandbox, and an HTTP provider for production chosen by settings.

Every notice a provider sends us is JSON signed with HMAC-SHA256 over the raw body (header `X-Signature:
sha256=<hex>`): `{"event_id", "out_trade_no", "kind": "paid"|"failed"|"refunded", "amount": "420.00",
"provider_ref"}`. We answer an accepted or duplicate notice with the body `success` (the provider stops
re-sending), a bad one with 400. `query` gives the same Notice for an order (reconciliation), or None while the
provider knows of no outcome.

The sandbox behaves like a real provider: `start` leads to its cashier page (payments:sandbox_cashier); pressing
"确认支付" records the payment in its own ledger (`SandboxTransaction`) and sends the signed callback from a
Celery task, after commit, through the same `receive_callback` the HTTP view calls. Settings make it send
duplicates, send notices out of order, lose them, or time out (portal/settings/base.py, SANDBOX_*).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

import requests
from django.conf import settings
from django.urls import reverse

from payments.models import PaymentOrder, SandboxTransaction

SIGNATURE_HEADER = "X-Signature"
ACK_BODY = "success"
KINDS = ("paid", "failed", "refunded")


class ProviderUnavailable(Exception):
    """The provider did not answer in time, or answered with an error: nothing is known to have happened."""


class BadCallback(Exception):
    """A notice with a bad signature or a malformed body: refused with 400, never booked."""


@dataclass(frozen=True)
class Start:
    redirect_url: str
    qr_payload: str = ""


@dataclass(frozen=True)
class Notice:
    provider: str
    event_id: str
    out_trade_no: str
    kind: str
    amount: Decimal
    provider_ref: str


@dataclass(frozen=True)
class RefundResult:
    refund_ref: str
    amount: Decimal


class PaymentProvider(Protocol):
    name: str

    def start(self, order: PaymentOrder) -> Start: ...

    def verify_callback(self, headers: dict[str, str], body: bytes) -> Notice: ...

    def query(self, order: PaymentOrder) -> Notice | None: ...

    def refund(self, order: PaymentOrder, amount: Decimal) -> RefundResult: ...


# --- signing, shared by both providers and by the tests ---------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _header(headers: dict[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        # Django's META spells it HTTP_X_SIGNATURE; a plain mapping spells it X-Signature.
        if key.lower().replace("_", "-") in (wanted, "http-" + wanted):
            return value
    return ""


def notice_body(*, event_id: str, out_trade_no: str, kind: str, amount: Decimal | str, provider_ref: str) -> bytes:
    return json.dumps({"event_id": event_id, "out_trade_no": out_trade_no, "kind": kind, "amount": str(amount),
                       "provider_ref": provider_ref}, separators=(",", ":")).encode()


def parse_notice(provider: str, data: object) -> Notice:
    """A notice's fields, checked: anything missing, of the wrong type or out of range is a BadCallback."""
    if not isinstance(data, dict):
        raise BadCallback("body is not a JSON object")
    fields = {}
    for name, limit in (("event_id", 64), ("out_trade_no", 32), ("kind", 20), ("provider_ref", 64)):
        value = data.get(name)
        if not isinstance(value, str) or not value or len(value) > limit:
            raise BadCallback(f"bad {name}")
        fields[name] = value
    if fields["kind"] not in KINDS:
        raise BadCallback("unknown kind")
    try:
        amount = Decimal(str(data.get("amount")))
    except (InvalidOperation, ValueError):
        raise BadCallback("bad amount") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= 10**8:
        raise BadCallback("bad amount")
    return Notice(provider=provider, amount=amount, **fields)


def verify_signed(provider: str, secret: str, headers: dict[str, str], body: bytes) -> Notice:
    signature = _header(headers, SIGNATURE_HEADER)
    if not signature or not hmac.compare_digest(signature, sign(secret, body)):
        raise BadCallback("bad signature")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadCallback("body is not JSON") from None
    return parse_notice(provider, data)


# --- the sandbox -------------------------------------------------------------------------------------------


def _sandbox_timeout(step: str) -> None:
    if settings.SANDBOX_TIMEOUT in (step, "both"):
        raise ProviderUnavailable(f"sandbox {step} timed out")


class SandboxProvider:
    name = "sandbox"

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def start(self, order: PaymentOrder) -> Start:
        _sandbox_timeout("start")
        url = reverse("payments:sandbox_cashier", kwargs={"out_trade_no": order.out_trade_no})
        return Start(redirect_url=url, qr_payload=f"{settings.PORTAL_PUBLIC_URL}{url}")

    def verify_callback(self, headers: dict[str, str], body: bytes) -> Notice:
        return verify_signed(self.name, self.secret, headers, body)

    def query(self, order: PaymentOrder) -> Notice | None:
        _sandbox_timeout("query")
        paid = SandboxTransaction.objects.filter(reference=order.out_trade_no, kind="payment").first()
        if paid is None:
            return None
        kind = "refunded" if paid.status == "refunded" else "paid"
        # The same event id as the callback it would have sent: a lost callback and a query book once.
        return Notice(self.name, f"{paid.provider_ref}:{kind}", order.out_trade_no, kind,
                      paid.refunded_amount if kind == "refunded" else paid.amount, paid.provider_ref)

    def refund(self, order: PaymentOrder, amount: Decimal) -> RefundResult:
        _sandbox_timeout("query")
        updated = SandboxTransaction.objects.filter(reference=order.out_trade_no, kind="payment", status="paid",
                                                    amount__gte=amount).update(status="refunded",
                                                                               refunded_amount=amount)
        if not updated and not SandboxTransaction.objects.filter(reference=order.out_trade_no,
                                                                 status="refunded").exists():
            raise ProviderUnavailable("sandbox has no such payment to refund")
        ref = SandboxTransaction.objects.get(reference=order.out_trade_no).provider_ref
        return RefundResult(refund_ref=f"{ref}:refund", amount=amount)

    def ledger_id(self, order: PaymentOrder) -> int | None:
        """The sandbox's own record of an order's payment (for the callbacks it sends), if it took one."""
        return SandboxTransaction.objects.filter(reference=order.out_trade_no, kind="payment").values_list(
            "pk", flat=True).first()

    # What the cashier page does (not part of the interface): the payer pressed "确认支付".
    def take_payment(self, order: PaymentOrder, amount: Decimal | None = None) -> tuple[SandboxTransaction, bool]:
        """Records the payment in the sandbox's ledger, once per order: (the record, whether it is new). The
        caller (payments.actions.sandbox_pay) sends the signed callback after commit."""
        return SandboxTransaction.objects.get_or_create(
            reference=order.out_trade_no, kind="payment",
            defaults={"amount": amount if amount is not None else order.amount, "status": "paid",
                      "provider_ref": "SBX" + uuid.uuid4().hex[:24].upper()})

    def notices_for(self, transaction_id: int, kind: str) -> list[tuple[dict[str, str], bytes]]:
        """The signed notices the sandbox sends for one event, with the duplicates and disorder it is told to
        produce: each as (headers, body)."""
        paid = SandboxTransaction.objects.filter(pk=transaction_id).first()
        if paid is None:
            return []
        amount = paid.refunded_amount if kind == "refunded" and paid.refunded_amount is not None else paid.amount
        bodies = [notice_body(event_id=f"{paid.provider_ref}:{kind}", out_trade_no=paid.reference, kind=kind,
                              amount=amount, provider_ref=paid.provider_ref)]
        bodies += bodies[:1] * settings.SANDBOX_DUPLICATE_CALLBACKS
        if settings.SANDBOX_OUT_OF_ORDER and kind == "paid":
            # A stray "refunded" arrives before the payment it would undo.
            bodies.insert(0, notice_body(event_id=f"{paid.provider_ref}:refunded:early", out_trade_no=paid.reference,
                                         kind="refunded", amount=paid.amount, provider_ref=paid.provider_ref))
        if settings.SANDBOX_OUT_OF_ORDER and kind == "refunded":
            # A late "paid" (re-sent under a new event id, as some providers do) arrives after the refund.
            bodies.append(notice_body(event_id=f"{paid.provider_ref}:paid:late", out_trade_no=paid.reference,
                                      kind="paid", amount=paid.amount, provider_ref=paid.provider_ref))
        return [({SIGNATURE_HEADER: sign(self.secret, body)}, body) for body in bodies]


# --- production --------------------------------------------------------------------------------------------


class HttpProvider:
    """JSON over HTTPS, every request and every callback signed with the shared secret (HMAC-SHA256).
    `POST {url}/orders`, `GET {url}/orders/<out_trade_no>`, `POST {url}/orders/<out_trade_no>/refunds`."""

    name = "http"

    def __init__(self, url: str, secret: str, timeout: int) -> None:
        self.url, self.secret, self.timeout = url.rstrip("/"), secret, timeout

    def _call(self, method: str, path: str, payload: dict | None = None) -> dict:
        body = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else b""
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.secret, body)}
        try:
            response = requests.request(method, self.url + path, data=body or None, headers=headers,
                                        timeout=(3, self.timeout))
        except requests.RequestException as exc:
            raise ProviderUnavailable(type(exc).__name__) from exc
        if response.status_code == 404 and method == "GET":
            return {}
        if response.status_code >= 300:
            raise ProviderUnavailable(f"provider answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise ProviderUnavailable("provider answered something that is not JSON") from None
        if not isinstance(data, dict):
            raise ProviderUnavailable("provider answered something that is not a JSON object")
        return data

    def start(self, order: PaymentOrder) -> Start:
        data = self._call("POST", "/orders", {
            "out_trade_no": order.out_trade_no, "amount": str(order.amount), "subject": "城乡居民医保缴费",
            "notify_url": settings.PORTAL_PUBLIC_URL + reverse("payments:callback", kwargs={"provider": self.name}),
            "return_url": settings.PORTAL_PUBLIC_URL + reverse("payments:order", kwargs={"public_id": order.public_id}),
            "expires_at": order.expires_at.isoformat()})
        url = data.get("pay_url")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise ProviderUnavailable("provider gave no https pay_url")
        qr = data.get("qr_payload")
        return Start(redirect_url=url, qr_payload=qr if isinstance(qr, str) else "")

    def verify_callback(self, headers: dict[str, str], body: bytes) -> Notice:
        return verify_signed(self.name, self.secret, headers, body)

    def query(self, order: PaymentOrder) -> Notice | None:
        data = self._call("GET", f"/orders/{order.out_trade_no}")
        if not data or data.get("kind") not in KINDS:
            return None  # created, or unknown to the provider: nothing happened yet
        try:
            return parse_notice(self.name, data)
        except BadCallback as exc:
            raise ProviderUnavailable(f"provider's answer is malformed ({exc})") from None

    def refund(self, order: PaymentOrder, amount: Decimal) -> RefundResult:
        data = self._call("POST", f"/orders/{order.out_trade_no}/refunds",
                          {"amount": str(amount), "refund_no": f"{order.out_trade_no}R"})
        ref = data.get("refund_ref")
        if not isinstance(ref, str) or not ref:
            raise ProviderUnavailable("provider gave no refund_ref")
        return RefundResult(refund_ref=ref, amount=amount)


def get_provider(name: str | None = None) -> PaymentProvider:
    """The configured provider, or the one a callback names (only the configured one is accepted)."""
    name = name or settings.PAYMENT_PROVIDER
    if name != settings.PAYMENT_PROVIDER:
        raise BadCallback(f"provider {name!r} is not the configured one")
    if name == "http":
        return HttpProvider(settings.PAYMENT_HTTP_URL, settings.PAYMENT_SECRET, settings.PAYMENT_TIMEOUT_SECONDS)
    return SandboxProvider(settings.PAYMENT_SECRET)
