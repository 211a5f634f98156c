"""缴费 state changes (docs/design.md §2): ordering her year's contribution (herself, or 亲情代缴 by anyone she
has granted access), what the provider tells us (callbacks, and the same notices found by reconciliation),
refunds. Each change is one transaction with one audit row; SMS and the live status go out on commit.

Exactly once: a provider event is kept once (`PaymentCallback`, unique provider + event id), the order row is
locked while a notice is applied, and a period's `Contribution` is unique per person, so duplicate, concurrent
or out-of-order notices book a payment at most once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import send_notice
from accounts.models import User
from audit.actions import record_event, record_proxy_use
from audit.kinds import Kind
from audit.models import Via as AuditVia
from insurance.models import Contribution, ContributionRate, EnrollmentStatus, InsuredPerson, Scheme
from payments import tasks  # a module, not its names: tasks imports this module too
from payments.models import CallbackOutcome, OrderStatus, PaymentCallback, PaymentOrder, Purpose
from payments.providers import ACK_BODY, BadCallback, Notice, ProviderUnavailable, SandboxProvider, Start, get_provider
from payments.push import push_order

logger = logging.getLogger(__name__)


class PaymentError(Exception):
    """What we cannot do, in plain Chinese for her page; `field` the form field it belongs under."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def provider_down_message() -> str:
    return _("支付渠道暂时没有响应，请过一会儿再点“去支付”。您的订单还在，再点一次用的是同一张订单，不会重复扣钱。")


# --- what she owes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """Her contribution for one year: the region's amount, the window to pay in, and where it stands."""

    year: int
    amount: Decimal
    opens_on: dt.date
    closes_on: dt.date
    contribution: Contribution | None
    open_order: PaymentOrder | None
    today: dt.date

    @property
    def period(self) -> str:
        return str(self.year)

    @property
    def paid(self) -> bool:
        return self.contribution is not None

    @property
    def window_open(self) -> bool:
        return self.opens_on <= self.today <= self.closes_on


def contribution_due(person: InsuredPerson, today: dt.date | None = None) -> Due | None:
    """The year she can pay for now; otherwise the next one to open; otherwise the last one. None for an
    employee (the employer pays) or a region without a published amount."""
    if person.scheme != Scheme.RESIDENT:
        return None
    today = today or timezone.localdate()
    rates = ContributionRate.objects.filter(region_code=person.region_code, scheme=Scheme.RESIDENT)
    rate = (rates.filter(opens_on__lte=today, closes_on__gte=today).order_by("-year").first()
            or rates.filter(opens_on__gt=today).order_by("opens_on").first()
            or rates.order_by("-year").first())
    if rate is None:
        return None
    period = str(rate.year)
    return Due(year=rate.year, amount=rate.amount, opens_on=rate.opens_on, closes_on=rate.closes_on,
               contribution=Contribution.objects.filter(person=person, period=period).first(),
               open_order=PaymentOrder.objects.filter(person=person, purpose=Purpose.CONTRIBUTION, period=period,
                                                      status=OrderStatus.CREATED,
                                                      expires_at__gt=timezone.now()).first(),
               today=today)


def _new_trade_no() -> str:
    return timezone.localtime().strftime("YB%Y%m%d") + secrets.token_hex(8).upper()


def _check_payable(person: InsuredPerson, period: str) -> ContributionRate:
    if person.scheme != Scheme.RESIDENT:
        raise PaymentError(_("您参加的是职工医保，医保费由单位每月代扣，不用在这里交。"))
    if person.status == EnrollmentStatus.ENDED:
        raise PaymentError(_("您的医保已经终止，不能在这里缴费。请带身份证到医保窗口重新参保，或拨打%(h)s。")
                           % {"h": settings.SITE_HOTLINE})
    if not (period.isdigit() and len(period) == 4):
        raise PaymentError(_("请选要交哪一年的医保费。"), "period")
    rate = ContributionRate.objects.filter(region_code=person.region_code, scheme=Scheme.RESIDENT,
                                           year=int(period)).first()
    if rate is None:
        raise PaymentError(_("%(year)s年的缴费标准还没有公布，公布后再来交。") % {"year": period}, "period")
    today = timezone.localdate()
    if not rate.opens_on <= today <= rate.closes_on:
        raise PaymentError(_("%(year)s年的医保费在%(open)s到%(close)s之间交，现在不在这段时间。有疑问请拨打%(h)s。")
                           % {"year": period, "open": rate.opens_on.strftime("%Y-%m-%d"),
                              "close": rate.closes_on.strftime("%Y-%m-%d"), "h": settings.SITE_HOTLINE}, "period")
    if Contribution.objects.filter(person=person, period=period).exists():
        raise PaymentError(_("%(year)s年的医保费已经交过了，不用再交。") % {"year": period}, "period")
    return rate


def order_contribution(*, payer: User, person: InsuredPerson, period: str, for_family: bool, ip: str | None = None,
                       grant_id: int | None = None) -> PaymentOrder:
    """Her order for the year, new or the one still open (a double tap, or her and her son at once, find the
    same order: one live order per person and period). Whoever presses "去支付" last is its payer. Raises
    PaymentError with a plain message when she cannot pay (an employee, outside the window, already paid)."""
    if for_family and grant_id is None:
        raise ValueError("亲情代缴 needs the grant it used")
    rate = _check_payable(person, period)
    now = timezone.now()
    with transaction.atomic():
        live = (PaymentOrder.objects.select_for_update()
                .filter(person=person, purpose=Purpose.CONTRIBUTION, period=period,
                        status__in=[OrderStatus.CREATED, OrderStatus.PAID]).first())
        if live is not None and live.status == OrderStatus.PAID:
            raise PaymentError(_("%(year)s年的医保费已经交过了，不用再交。") % {"year": period}, "period")
        if live is not None and live.expires_at <= now:
            live.status = OrderStatus.EXPIRED
            live.save(update_fields=["status", "updated_at"])
            live = None
        if live is None:
            try:
                with transaction.atomic():
                    live = PaymentOrder.objects.create(
                        out_trade_no=_new_trade_no(), person=person, payer=payer, for_family=for_family,
                        purpose=Purpose.CONTRIBUTION, period=period, amount=rate.amount,
                        provider=settings.PAYMENT_PROVIDER,
                        expires_at=now + dt.timedelta(minutes=settings.PAYMENT_ORDER_TTL_MINUTES))
            except IntegrityError:
                # Someone else's tap created it between our look and our insert: use theirs.
                live = (PaymentOrder.objects.select_for_update()
                        .filter(person=person, purpose=Purpose.CONTRIBUTION, period=period,
                                status__in=[OrderStatus.CREATED, OrderStatus.PAID]).first())
                if live is None or live.status == OrderStatus.PAID:
                    raise PaymentError(_("%(year)s年的医保费已经交过了，不用再交。") % {"year": period},
                                       "period") from None
        elif (live.payer_id, live.for_family) != (payer.pk, for_family):
            live.payer, live.for_family = payer, for_family
            live.save(update_fields=["payer", "for_family", "updated_at"])
        detail = {"out_trade_no": live.out_trade_no, "period": period, "amount": str(live.amount),
                  "for_family": for_family}
        if for_family:
            record_proxy_use(Kind.PAYMENT_ORDERED, actor=payer, subject=person, grant_id=grant_id, ip=ip,
                             detail=detail)
        else:
            record_event(action=Kind.PAYMENT_ORDERED, via=AuditVia.SELF, actor=payer, subject=person, ip=ip,
                         detail=detail)
    return live


def start_payment(order: PaymentOrder) -> Start:
    """Where to send the payer (the provider's cashier). The provider down or slow leaves the order as it
    is: she is told so and tries again with the same order (never a second charge)."""
    if order.status != OrderStatus.CREATED:
        raise PaymentError(_("这张订单已经不能支付了（%(status)s）。") % {"status": order.get_status_display()})
    try:
        return get_provider(order.provider).start(order)
    except (ProviderUnavailable, BadCallback) as exc:
        logger.warning("payment provider start failed for %s: %s", order.out_trade_no, exc)
        raise PaymentError(provider_down_message()) from exc


def sandbox_pay(order: PaymentOrder) -> None:
    """The sandbox cashier's "确认支付": the sandbox takes the money (once per order) and sends its signed
    callback after commit, as a real provider would, through `receive_callback`."""
    provider = get_provider(order.provider)
    if not isinstance(provider, SandboxProvider):
        raise PaymentError(_("这个页面只在测试环境使用。"))
    with transaction.atomic():
        record, created = provider.take_payment(order)
        if created and not settings.SANDBOX_LOSE_CALLBACKS:
            transaction.on_commit(lambda: tasks.send_sandbox_notices.apply_async(
                (record.pk, "paid"), countdown=settings.SANDBOX_CALLBACK_DELAY_SECONDS))


# --- what the provider tells us -----------------------------------------------------------------------


def receive_callback(provider_name: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """A provider's notice, from the HTTP view or the sandbox's task: (status code, body to answer).
    Accepted, duplicate, unknown-order and flagged notices are all answered `success` (they are recorded;
    sending them again would change nothing); a bad signature or a malformed body gets 400."""
    try:
        notice = get_provider(provider_name).verify_callback(headers, body)
    except BadCallback as exc:
        logger.warning("payment callback refused (%s): %s", provider_name, exc)
        return 400, "bad request"
    apply_notice(notice, body_sha256=hashlib.sha256(body).hexdigest())
    return 200, ACK_BODY


def apply_notice(notice: Notice, *, body_sha256: str = "") -> str:
    """One provider event, applied at most once; returns the outcome (CallbackOutcome)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                callback = PaymentCallback.objects.create(
                    provider=notice.provider, event_id=notice.event_id, kind=notice.kind, amount=notice.amount,
                    body_sha256=body_sha256 or "-", outcome=CallbackOutcome.NOTED)
        except IntegrityError:
            return CallbackOutcome.DUPLICATE
        order = (PaymentOrder.objects.select_for_update().select_related("person", "payer")
                 .filter(out_trade_no=notice.out_trade_no, provider=notice.provider).first())
        if order is None:
            outcome, detail = CallbackOutcome.REJECTED, "unknown order"
        elif notice.kind == "paid":
            outcome, detail = _on_paid(order, notice)
        elif notice.kind == "refunded":
            outcome, detail = _on_refunded(order, notice)
        else:
            outcome, detail = _on_failed(order)
        callback.order, callback.outcome, callback.detail = order, outcome, detail[:200]
        callback.save(update_fields=["order", "outcome", "detail"])
    return outcome


def _flag(order: PaymentOrder, reason: str, notice: Notice | None = None) -> None:
    """Staff look at it (admin: 对账有差异); the order is not booked."""
    order.flagged, order.flag_reason = True, reason[:200]
    order.save(update_fields=["flagged", "flag_reason", "updated_at"])
    record_event(action=Kind.PAYMENT_FLAGGED, via=AuditVia.SYSTEM, actor_label=_("支付渠道"), subject=order.person,
                 detail={"out_trade_no": order.out_trade_no, "reason": reason,
                         "notice_amount": str(notice.amount) if notice else None, "amount": str(order.amount)})


def _on_paid(order: PaymentOrder, notice: Notice) -> tuple[str, str]:
    if order.status == OrderStatus.PAID:
        return CallbackOutcome.DUPLICATE, "already paid"
    if order.status == OrderStatus.REFUNDED:
        return CallbackOutcome.NOTED, "paid after refunded: not booked again"
    if notice.amount != order.amount:
        _flag(order, f"amount {notice.amount} != {order.amount}", notice)
        return CallbackOutcome.FLAGGED, "amount differs"
    return _book(order, notice.amount, notice.provider_ref)


def _book(order: PaymentOrder, amount: Decimal, provider_ref: str) -> tuple[str, str]:
    """Her contribution for the period, once; the order paid; her told. Call with the order locked."""
    now = timezone.now()
    # A late "paid" for an expired order: money was taken, so it counts, and a newer open order goes.
    PaymentOrder.objects.filter(person=order.person, purpose=order.purpose, period=order.period,
                                status=OrderStatus.CREATED).exclude(pk=order.pk).update(status=OrderStatus.EXPIRED)
    order.status, order.paid_amount, order.paid_at = OrderStatus.PAID, amount, order.paid_at or now
    order.provider_ref = provider_ref or order.provider_ref
    payer_label = _("亲情代缴（%(who)s）") % {"who": order.payer.masked_name} if order.for_family else _("本人")
    try:
        with transaction.atomic():
            contribution = Contribution.objects.create(person=order.person, period=order.period, amount=amount,
                                                       paid_on=timezone.localdate(), payer=payer_label[:40])
    except IntegrityError:
        # Paid already another way (at a window): the money must go back; staff refund it.
        order.save(update_fields=["status", "paid_amount", "paid_at", "provider_ref", "updated_at"])
        _flag(order, "period already paid: refund this order")
        push_order(order)
        return CallbackOutcome.FLAGGED, "period already paid"
    order.booked, order.contribution = True, contribution
    order.save(update_fields=["status", "paid_amount", "paid_at", "provider_ref", "booked", "contribution",
                              "updated_at"])
    # Paying brings a paused enrolment back (a resident's enrolment pauses when the year goes unpaid).
    InsuredPerson.objects.filter(pk=order.person_id, status=EnrollmentStatus.PAUSED).update(
        status=EnrollmentStatus.ENROLLED)
    record_event(action=Kind.PAYMENT_PAID, via=AuditVia.SYSTEM, actor_label=_("支付渠道"), subject=order.person,
                 detail={"out_trade_no": order.out_trade_no, "period": order.period, "amount": str(amount),
                         "for_family": order.for_family, "payer": order.payer.masked_name})
    values = {"year": order.period, "amount": f"{amount:.2f}", "who": order.payer.masked_name,
              "name": order.person.masked_name}
    if order.for_family:
        send_notice(order.person.phone, _("【医保通】您的家人%(who)s替您缴了%(year)s年的医保费%(amount)s元，已经到账，"
                                          "您不用再交。") % values)
        if order.payer.phone != order.person.phone:
            send_notice(order.payer.phone, _("【医保通】您替%(name)s缴的%(year)s年医保费%(amount)s元已经到账。") % values)
    else:
        send_notice(order.person.phone, _("【医保通】您%(year)s年的医保费已经缴好了（%(amount)s元）。") % values)
    push_order(order)
    return CallbackOutcome.BOOKED, "booked"


def _unbook(order: PaymentOrder, amount: Decimal) -> None:
    """The money went back: the period is no longer paid."""
    contribution_id = order.contribution_id
    order.status, order.refunded_amount, order.booked, order.contribution = (OrderStatus.REFUNDED, amount, False,
                                                                             None)
    order.save(update_fields=["status", "refunded_amount", "booked", "contribution", "updated_at"])
    if contribution_id:
        Contribution.objects.filter(pk=contribution_id).delete()
    send_notice(order.person.phone, _("【医保通】您%(year)s年的医保费%(amount)s元已经退回原付款账户，这一年算作没有缴费。")
                % {"year": order.period, "amount": f"{amount:.2f}"})
    push_order(order)


def _on_refunded(order: PaymentOrder, notice: Notice) -> tuple[str, str]:
    if order.status == OrderStatus.REFUNDED:
        return CallbackOutcome.DUPLICATE, "already refunded"
    if order.status != OrderStatus.PAID:
        return CallbackOutcome.NOTED, "refunded before paid: ignored"
    _unbook(order, notice.amount)
    record_event(action=Kind.PAYMENT_REFUNDED, via=AuditVia.SYSTEM, actor_label=_("支付渠道"), subject=order.person,
                 detail={"out_trade_no": order.out_trade_no, "amount": str(notice.amount)})
    return CallbackOutcome.BOOKED, "refunded"


def _on_failed(order: PaymentOrder) -> tuple[str, str]:
    if order.status != OrderStatus.CREATED:
        return CallbackOutcome.NOTED, f"failed while {order.status}: ignored"
    order.status = OrderStatus.FAILED
    order.save(update_fields=["status", "updated_at"])
    push_order(order)
    return CallbackOutcome.BOOKED, "failed"


# --- reconciliation and refunds ------------------------------------------------------------------------


def reconcile_payments(now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic check (payments/tasks.py): orders still waiting are asked about (paid → booked by the same
    code as a callback; nothing and past their time → expired); paid orders without a booking are booked;
    booked orders the provider says were not paid are flagged for staff."""
    now = now or timezone.now()
    counts = {"booked": 0, "expired": 0, "flagged": 0, "unreachable": 0}
    waiting = PaymentOrder.objects.filter(
        status=OrderStatus.CREATED,
        created_at__lt=now - dt.timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES))
    for order in waiting.order_by("created_at")[:500]:
        try:
            notice = get_provider(order.provider).query(order)
        except (ProviderUnavailable, BadCallback):
            counts["unreachable"] += 1
            continue
        if notice is not None:
            outcome = apply_notice(notice)
            counts["booked"] += outcome == CallbackOutcome.BOOKED
            counts["flagged"] += outcome == CallbackOutcome.FLAGGED
        elif order.expires_at <= now:
            counts["expired"] += PaymentOrder.objects.filter(pk=order.pk, status=OrderStatus.CREATED).update(
                status=OrderStatus.EXPIRED, updated_at=now)
    for order_id in PaymentOrder.objects.filter(status=OrderStatus.PAID, booked=False, flagged=False).values_list(
            "pk", flat=True)[:500]:
        with transaction.atomic():
            order = PaymentOrder.objects.select_for_update().select_related("person", "payer").get(pk=order_id)
            if order.status == OrderStatus.PAID and not order.booked and not order.flagged:
                order.status = OrderStatus.CREATED  # _book moves it to PAID again, with the booking
                outcome, _detail = _book(order, order.paid_amount or order.amount, order.provider_ref)
                counts["booked"] += outcome == CallbackOutcome.BOOKED
    recent = PaymentOrder.objects.filter(
        status=OrderStatus.PAID, booked=True, flagged=False,
        paid_at__gte=now - dt.timedelta(days=settings.PAYMENT_RECONCILE_LOOKBACK_DAYS))
    for order in recent.select_related("person")[:500]:
        try:
            notice = get_provider(order.provider).query(order)
        except (ProviderUnavailable, BadCallback):
            counts["unreachable"] += 1
            continue
        if notice is None or notice.kind != "paid" or notice.amount != order.amount:
            with transaction.atomic():
                _flag(order, "booked, but the provider does not report it paid" if notice is None
                      else f"booked, provider reports {notice.kind} {notice.amount}", notice)
            counts["flagged"] += 1
    return counts


def refund_order(order: PaymentOrder, *, staff: User, reason: str, ip: str | None = None) -> PaymentOrder:
    """Staff give a paid order's money back (a period paid twice, a mistake): through the provider, then the
    period's booking is undone. The provider's own "refunded" notice later finds it refunded (a duplicate)."""
    reason = reason.strip()
    if len(reason) < 2:
        raise PaymentError(_("请写明退款原因。"), "reason")
    if order.status != OrderStatus.PAID:
        raise PaymentError(_("只有已支付的订单可以退款。"))
    amount = order.paid_amount or order.amount
    try:
        provider = get_provider(order.provider)
        provider.refund(order, amount)
    except (ProviderUnavailable, BadCallback) as exc:
        raise PaymentError(_("支付渠道暂时没有响应，退款没有办成，请稍后再试。")) from exc
    ledger_id = provider.ledger_id(order) if isinstance(provider, SandboxProvider) else None
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().select_related("person", "payer").get(pk=order.pk)
        if order.status != OrderStatus.PAID:
            return order
        _unbook(order, amount)
        order.flagged = False
        order.save(update_fields=["flagged", "updated_at"])
        record_event(action=Kind.PAYMENT_REFUNDED, via=AuditVia.STAFF, actor=staff, subject=order.person, ip=ip,
                     detail={"out_trade_no": order.out_trade_no, "amount": str(amount), "reason": reason[:200]})
        if ledger_id is not None:
            # Like a real provider, the sandbox also sends its own "refunded" notice: a duplicate by then.
            transaction.on_commit(lambda: tasks.send_sandbox_notices.apply_async(
                (ledger_id, "refunded"), countdown=settings.SANDBOX_CALLBACK_DELAY_SECONDS))
    return order


def orders_of(person: InsuredPerson) -> list[PaymentOrder]:
    return list(PaymentOrder.objects.filter(person=person).filter(~Q(status=OrderStatus.EXPIRED))[:20])
