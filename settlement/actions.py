"""Settlement state changes. Each: one transaction, a compare-and-set on status, an event, an audit
row, and the push sent on commit. Balances and accumulators change once, in `finalize_settlement`."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from audit.actions import record_event
from audit.models import Via
from insurance.actions import book_split
from insurance.engine import BillItem, NoPolicy, quote
from insurance.models import Institution
from settlement.models import FINAL_STATUSES, Settlement, SettlementEvent, SettlementItem, Status
from vouchers.actions import consume_code
from vouchers.codes import CodeTokenError

log = logging.getLogger(__name__)

OFFLINE_UPLOAD_WINDOW = dt.timedelta(hours=72)
MAX_ITEMS = 200
MAX_QUANTITY = Decimal("10000")
MAX_UNIT_PRICE = Decimal("1000000")
MAX_TOTAL = Decimal("5000000")


class SettlementError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass(frozen=True)
class ItemIn:
    code: str
    name: str
    category: str
    quantity: Decimal
    unit_price: Decimal


def validate_bill(items: list[ItemIn]) -> list[BillItem]:
    if not items:
        raise SettlementError(422, "empty_bill", "账单里没有项目，请至少添加一项。")
    if len(items) > MAX_ITEMS:
        raise SettlementError(422, "too_many_items", f"一张账单最多{MAX_ITEMS}项。")
    bill = []
    for n, item in enumerate(items, start=1):
        if item.category not in ("A", "B", "C"):
            raise SettlementError(422, "unknown_category", f"第{n}项的类别只能是 A（甲类）、B（乙类）或 C（丙类）。")
        if not item.quantity.is_finite() or item.quantity <= 0 or item.quantity > MAX_QUANTITY:
            raise SettlementError(422, "bad_quantity", f"第{n}项的数量不对：要大于0，且不超过{MAX_QUANTITY}。")
        if item.quantity != item.quantity.quantize(Decimal("0.001")):
            raise SettlementError(422, "bad_quantity", f"第{n}项的数量最多3位小数。")
        if not item.unit_price.is_finite() or item.unit_price <= 0 or item.unit_price > MAX_UNIT_PRICE:
            raise SettlementError(422, "bad_price", f"第{n}项的单价不对：要大于0元，且不超过{MAX_UNIT_PRICE}元。")
        if item.unit_price != item.unit_price.quantize(Decimal("0.01")):
            raise SettlementError(422, "bad_price", f"第{n}项的单价最多精确到分（2位小数）。")
        if not item.code.strip() or not item.name.strip():
            raise SettlementError(422, "bad_item", f"第{n}项缺少项目编码或名称。")
        bill.append(BillItem(item.code.strip()[:40], item.name.strip()[:100], item.category, item.quantity,
                             item.unit_price))
    if sum(i.amount for i in bill) > MAX_TOTAL:
        raise SettlementError(422, "bill_too_large", "账单总额太大，请到人工窗口办理。")
    return bill


def _event(settlement: Settlement, detail: dict | None = None) -> None:
    SettlementEvent.objects.create(settlement=settlement, status=settlement.status, detail=detail or {})


def _after_commit(settlement_id: int) -> None:
    from settlement.push import push_settlement

    transaction.on_commit(lambda: push_settlement(settlement_id))


def submit_settlement(
    *, institution: Institution, code: str, visit_type: str, items: list[ItemIn], operator=None,
    captured_at: dt.datetime | None = None, client_id: str = "", now: dt.datetime | None = None,
) -> Settlement:
    """Verify and use the code, record the bill, and hand it to the worker. `captured_at` marks an
    offline capture: the code must have been valid then, and the upload must come within 72 h."""
    now = now or timezone.now()
    bill = validate_bill(items)
    offline = captured_at is not None
    if offline:
        if captured_at > now + dt.timedelta(seconds=60):
            raise SettlementError(422, "captured_in_future", "采集时间晚于现在，请检查收费电脑的时间。")
        if now - captured_at > OFFLINE_UPLOAD_WINDOW:
            raise SettlementError(422, "upload_too_late", "离线采集超过72小时，不能再上传。请让病人到人工窗口办理。")
    if client_id:
        existing = Settlement.objects.filter(institution=institution, client_id=client_id).first()
        if existing is not None:
            return existing
    check_time = int((captured_at or now).timestamp())
    try:
        with transaction.atomic():
            claims, voucher = consume_code(code, institution=institution, now=check_time)
            settlement = Settlement.objects.create(
                institution=institution, person=voucher.person, voucher=voucher, code_nonce=claims.nonce,
                visit_type=visit_type, total=sum((i.amount for i in bill), Decimal("0")), client_id=client_id,
                captured_at=captured_at, offline=offline, operator=operator,
            )
            SettlementItem.objects.bulk_create([
                SettlementItem(settlement=settlement, code=i.code, name=i.name, category=i.category,
                               quantity=i.quantity, unit_price=i.unit_price, amount=i.amount) for i in bill
            ])
            _event(settlement, {"offline": offline})
            record_event(action="settlement.received", via=Via.INSTITUTION, actor_label=institution.name,
                         subject=voucher.person, detail={"settlement": str(settlement.public_id)})
            _after_commit(settlement.pk)
            transaction.on_commit(lambda: _enqueue(settlement.pk))
    except CodeTokenError as exc:
        status = 409 if exc.code == "code_used" else 422
        raise SettlementError(status, exc.code, exc.message) from None
    except IntegrityError:
        if client_id:
            existing = Settlement.objects.filter(institution=institution, client_id=client_id).first()
            if existing is not None:
                return existing
        raise SettlementError(409, "code_used", "这个医保码已经用过一次了，请让对方刷新后再扫。") from None
    return settlement


def _enqueue(settlement_id: int) -> None:
    from settlement.tasks import run_settlement

    try:
        run_settlement.delay(settlement_id)
    except Exception:  # the broker is down: the watchdog will pick it up, nothing is lost
        log.exception("could not enqueue settlement %s", settlement_id)


def presettle(settlement_id: int) -> Settlement | None:
    """received → presettled with the provisional split. Does nothing if it already moved on."""
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update().select_related("person", "institution").get(
            pk=settlement_id)
        if settlement.status != Status.RECEIVED:
            return settlement
        items = _bill_of(settlement)
        try:
            split = quote(settlement.person, settlement.institution, settlement.visit_type, items,
                          timezone.localdate())
        except NoPolicy:
            return _fail_locked(settlement, _("这次就诊不在医保自动结算范围内。"),
                                _("请到人工窗口结算，带上身份证。"), status=Status.MANUAL)
        settlement.fund_pay, settlement.account_pay, settlement.self_pay = (
            split.fund_pay, split.account_pay, split.self_pay)
        settlement.breakdown = split.as_dict()
        settlement.status = Status.PRESETTLED
        settlement.save(update_fields=["fund_pay", "account_pay", "self_pay", "breakdown", "status", "updated_at"])
        _event(settlement, {"provisional": split.as_dict()})
        _after_commit(settlement.pk)
    return settlement


def finalize_settlement(settlement_id: int) -> Settlement:
    """presettled → settled: book accumulators and the personal account exactly once."""
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update().select_related("institution").get(pk=settlement_id)
        if settlement.status != Status.PRESETTLED or settlement.booked:
            return settlement
        try:
            split = book_split(settlement.person_id, settlement.institution, settlement.visit_type,
                               _bill_of(settlement), timezone.localdate())
        except NoPolicy:
            return _fail_locked(settlement, _("这次就诊不在医保自动结算范围内。"),
                                _("请到人工窗口结算，带上身份证。"), status=Status.MANUAL)
        settlement.fund_pay, settlement.account_pay, settlement.self_pay = (
            split.fund_pay, split.account_pay, split.self_pay)
        settlement.breakdown = split.as_dict()
        settlement.status = Status.SETTLED
        settlement.booked = True
        settlement.finished_at = timezone.now()
        settlement.save()
        _event(settlement, {"final": split.as_dict()})
        record_event(action="settlement.settled", via=Via.INSTITUTION, actor_label=settlement.institution.name,
                     subject=settlement.person, detail={"settlement": str(settlement.public_id),
                                                        "total": str(split.total), "self_pay": str(split.self_pay)})
        _after_commit(settlement.pk)
    return settlement


def _fail_locked(settlement: Settlement, reason: str, next_step: str, *, status: str = Status.FAILED) -> Settlement:
    settlement.status = status
    settlement.reason, settlement.next_step = reason[:200], next_step[:200]
    settlement.fund_pay = settlement.account_pay = settlement.self_pay = None
    settlement.finished_at = timezone.now()
    settlement.save()
    _event(settlement, {"reason": reason})
    record_event(action=f"settlement.{status}", via=Via.SYSTEM, subject=settlement.person,
                 detail={"settlement": str(settlement.public_id)})
    _after_commit(settlement.pk)
    return settlement


def move_to_manual(settlement_id: int, *, reason: str | None = None) -> Settlement:
    """The watchdog's move: no final state in time, so send her to the counter with what to bring."""
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update().get(pk=settlement_id)
        if settlement.status in FINAL_STATUSES:
            return settlement
        return _fail_locked(settlement, reason or _("系统结算超时，这笔没有扣款。"),
                            _("请到人工窗口结算，带上身份证。"), status=Status.MANUAL)


def _bill_of(settlement: Settlement) -> list[BillItem]:
    return [BillItem(i.code, i.name, i.category, i.quantity, i.unit_price) for i in settlement.items.all()]
