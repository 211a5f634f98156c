"""Settlement state changes. Each: one transaction, a compare-and-set on status, an event, an audit
row, and the push sent on commit. Balances and accumulators change once, in `finalize_settlement`."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from accounts.actions import send_notice
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import Via
from insurance.actions import book_split
from insurance.engine import BillItem, NoPolicy, quote
from insurance.filings import ChronicCondition
from insurance.models import Institution, OfflineTerminal
from insurance.selectors import credential_by_key_id
from settlement import tasks  # a module, not its names: tasks imports this module too
from settlement.models import (
    FINAL_STATUSES,
    DisputeStatus,
    Reporter,
    Settlement,
    SettlementDispute,
    SettlementEvent,
    SettlementItem,
    Status,
)
from settlement.notices import not_me_url
from settlement.push import push_settlement
from settlement.watchers import notice_audience
from vouchers.actions import consume_code
from vouchers.codes import CLOCK_SKEW_SECONDS, CodeTokenError
from vouchers.models import Voucher

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
        raise SettlementError(422, "empty_bill", gettext("账单里没有项目，请至少添加一项。"))
    if len(items) > MAX_ITEMS:
        raise SettlementError(422, "too_many_items", gettext("一张账单最多%(n)s项。") % {"n": MAX_ITEMS})
    bill = []
    for n, item in enumerate(items, start=1):
        if item.category not in ("A", "B", "C"):
            raise SettlementError(422, "unknown_category",
                                  gettext("第%(n)s项的类别只能是 A（甲类）、B（乙类）或 C（丙类）。") % {"n": n})
        if not item.quantity.is_finite() or item.quantity <= 0 or item.quantity > MAX_QUANTITY:
            raise SettlementError(422, "bad_quantity", gettext("第%(n)s项的数量不对：要大于0，且不超过%(max)s。")
                                  % {"n": n, "max": MAX_QUANTITY})
        if item.quantity != item.quantity.quantize(Decimal("0.001")):
            raise SettlementError(422, "bad_quantity", gettext("第%(n)s项的数量最多3位小数。") % {"n": n})
        if not item.unit_price.is_finite() or item.unit_price <= 0 or item.unit_price > MAX_UNIT_PRICE:
            raise SettlementError(422, "bad_price", gettext("第%(n)s项的单价不对：要大于0元，且不超过%(max)s元。")
                                  % {"n": n, "max": MAX_UNIT_PRICE})
        if item.unit_price != item.unit_price.quantize(Decimal("0.01")):
            raise SettlementError(422, "bad_price", gettext("第%(n)s项的单价最多精确到分（2位小数）。") % {"n": n})
        if not item.code.strip() or not item.name.strip():
            raise SettlementError(422, "bad_item", gettext("第%(n)s项缺少项目编码或名称。") % {"n": n})
        bill.append(BillItem(item.code.strip()[:40], item.name.strip()[:100], item.category, item.quantity,
                             item.unit_price))
    if sum(i.amount for i in bill) > MAX_TOTAL:
        raise SettlementError(422, "bill_too_large", gettext("账单总额太大，请到人工窗口办理。"))
    return bill


def condition_named(code: str | None) -> ChronicCondition | None:
    """The 门诊慢特病 condition a bill says it is for: none when left out, 422 for a code nobody knows."""
    code = (code or "").strip()
    if not code:
        return None
    condition = ChronicCondition.objects.filter(code=code[:20]).first() if len(code) <= 20 else None
    if condition is None:
        raise SettlementError(422, "unknown_condition", gettext(
            "没有这个门诊慢特病病种编码：%(code)s。请核对编码；不是门诊慢特病就不要填。") % {"code": code[:20]})
    return condition


def _event(settlement: Settlement, detail: dict | None = None) -> None:
    SettlementEvent.objects.create(settlement=settlement, status=settlement.status, detail=detail or {})


def _after_commit(settlement: Settlement) -> None:
    # The object as this transaction saved it (with her and the hospital already loaded): the push renders
    # what was committed without reading the row again.
    transaction.on_commit(lambda: push_settlement(settlement))


def submit_settlement(
    *, institution: Institution, code: str, visit_type: str, items: list[ItemIn], operator=None,
    captured_at: dt.datetime | None = None, client_id: str = "", terminal: OfflineTerminal | None = None,
    now: dt.datetime | None = None, condition: str | None = None,
) -> Settlement:
    """Verify and use the code, record the bill, and hand it to the worker.

    Online (no `captured_at`) the code is checked against the server's clock only. `captured_at` marks an
    offline capture, accepted only from a registered offline terminal of the institution, up to the floor
    limit, within 72 h; the code must have been valid then. Her and her family are told of it by SMS, and
    the same voucher captured offline at two institutions within minutes is flagged (docs/architecture.md,
    "Offline counters")."""
    now = now or timezone.now()
    bill = validate_bill(items)
    chronic = condition_named(condition)
    total = sum((i.amount for i in bill), Decimal("0"))
    offline = captured_at is not None
    if offline:
        _check_offline(institution, terminal, captured_at, total, now)
    if client_id:
        existing = Settlement.objects.filter(institution=institution, client_id=client_id).first()
        if existing is not None:
            return existing
    check_time = int((captured_at or now).timestamp())
    try:
        with transaction.atomic():
            claims, voucher = consume_code(code, institution=institution, now=check_time)
            if offline:  # one offline upload per voucher at a time, so two twins always see each other
                Voucher.objects.select_for_update().filter(pk=voucher.pk).first()
            settlement = Settlement.objects.create(
                institution=institution, person=voucher.person, voucher=voucher, code_nonce=claims.nonce,
                visit_type=visit_type, condition=chronic, total=total, client_id=client_id,
                captured_at=captured_at, offline=offline, operator=operator,
                offline_terminal=terminal if offline else None,
            )
            SettlementItem.objects.bulk_create([
                SettlementItem(settlement=settlement, code=i.code, name=i.name, category=i.category,
                               quantity=i.quantity, unit_price=i.unit_price, amount=i.amount) for i in bill
            ])
            _event(settlement, {"offline": offline})
            detail = {"settlement": str(settlement.public_id)}
            if offline:
                detail.update(offline=True, terminal=str(terminal.public_id))
            record_event(action=Kind.SETTLEMENT_RECEIVED, via=Via.INSTITUTION, actor_label=institution.name,
                         subject=voucher.person, detail=detail)
            if offline:
                _flag_twins(settlement)
                _tell_her_and_family(settlement)
            _after_commit(settlement)
            transaction.on_commit(lambda: _enqueue(settlement.pk))
    except CodeTokenError as exc:
        status = 409 if exc.code == "code_used" else 422
        raise SettlementError(status, exc.code, exc.message) from None
    except IntegrityError:
        if client_id:
            existing = Settlement.objects.filter(institution=institution, client_id=client_id).first()
            if existing is not None:
                return existing
        raise SettlementError(409, "code_used", gettext("这个医保码已经用过一次了，请让对方刷新后再扫。")) from None
    return settlement


def _check_offline(institution: Institution, terminal: OfflineTerminal | None, captured_at: dt.datetime,
                   total: Decimal, now: dt.datetime) -> None:
    if terminal is None or not terminal.is_active or terminal.institution_id != institution.pk:
        raise SettlementError(403, "offline_not_allowed",
                              gettext("只有登记为离线收费终端的收费台才能上传离线结算。需要开通请联系医保局。"))
    if timezone.is_naive(captured_at):
        raise SettlementError(422, "bad_captured_at", gettext("采集时间要带时区，例如 2026-03-01T09:30:00+08:00。"))
    if captured_at > now + dt.timedelta(seconds=CLOCK_SKEW_SECONDS):
        raise SettlementError(422, "captured_in_future", gettext("采集时间晚于现在，请检查收费电脑的时间。"))
    if now - captured_at > OFFLINE_UPLOAD_WINDOW:
        raise SettlementError(422, "upload_too_late",
                              gettext("离线采集超过72小时，不能再上传。请让病人到人工窗口办理。"))
    limit = settings.OFFLINE_FLOOR_LIMIT_YUAN
    if total > limit:
        raise SettlementError(422, "over_floor_limit", gettext(
            "离线结算每笔最多%(limit)s元，这笔%(total)s元，没有结算。请等网络恢复后重新扫码结算，或请病人到人工窗口办理。")
            % {"limit": f"{limit:.2f}", "total": f"{total:.2f}"})


# Stored as the Chinese msgid, translated where it is shown (like a settlement's reason).
TWIN_REASON = _("同一医保码几分钟内在两家机构离线结算，请核实。")


def _flag_twins(settlement: Settlement) -> None:
    """The same voucher captured offline at another institution within the window: flag both for staff."""
    window = dt.timedelta(minutes=settings.OFFLINE_TWIN_WINDOW_MINUTES)
    twins = list(
        Settlement.objects.filter(voucher_id=settlement.voucher_id, offline=True,
                                  captured_at__gte=settlement.captured_at - window,
                                  captured_at__lte=settlement.captured_at + window)
        .exclude(institution_id=settlement.institution_id).exclude(pk=settlement.pk)
    )
    if not twins:
        return
    Settlement.objects.filter(pk__in=[t.pk for t in twins] + [settlement.pk]).update(
        flagged=True, flag_reason=TWIN_REASON)
    settlement.flagged, settlement.flag_reason = True, TWIN_REASON
    record_event(action=Kind.SETTLEMENT_OFFLINE_FLAGGED, via=Via.SYSTEM, subject=settlement.person,
                 detail={"settlement": str(settlement.public_id), "with": [str(t.public_id) for t in twins],
                         "minutes": settings.OFFLINE_TWIN_WINDOW_MINUTES})


def _tell_her_and_family(settlement: Settlement) -> None:
    """An SMS to her registered phone and to each proxy with view_settlements, each with its own
    "不是我本人" link. The messages are written in this transaction and delivered on commit, so an
    offline settlement and its notices exist together or not at all."""

    person = settlement.person
    # In the portal's language whatever the counter's page language: these go to her phone.
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "institution": settlement.institution.name,
            "when": timezone.localtime(settlement.captured_at).strftime("%m-%d %H:%M"),
            "amount": f"{settlement.total:.2f}",
        }
        told = {person.phone}
        send_notice(person.phone, gettext(
            "【医保通】%(when)s，%(institution)s用您的医保码离线结算了%(amount)s元。"
            "不是您本人的，请点 %(link)s 报告，或打12393。") % {**values, "link": not_me_url(settlement, None)})
        for user in notice_audience(person):
            if user.phone in told:
                continue
            told.add(user.phone)
            send_notice(user.phone, gettext(
                "【医保通】%(when)s，%(institution)s用您的家人%(name)s的医保码离线结算了%(amount)s元。"
                "不是%(name)s本人的，请点 %(link)s 报告，或打12393。") % {
                **values, "name": person.masked_name, "link": not_me_url(settlement, user)})


def _enqueue(settlement_id: int) -> None:

    try:
        tasks.run_settlement.delay(settlement_id)
    except Exception:  # the broker is down: the watchdog will pick it up, nothing is lost
        log.exception("could not enqueue settlement %s", settlement_id)


def presettle(settlement_id: int, *, push: bool = True) -> Settlement | None:
    """received → presettled with the provisional split. Does nothing if it already moved on. With `push`
    False the provisional split is recorded but not pushed: the caller finalizes at once and pushes the
    final state instead (settlement/tasks.py)."""
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update(of=("self",)).select_related("person", "institution").get(
            pk=settlement_id)
        if settlement.status != Status.RECEIVED:
            return settlement
        items = _bill_of(settlement)
        try:
            split = quote(settlement.person, settlement.institution, settlement.visit_type, items,
                          timezone.localdate(), settlement.condition)
        except NoPolicy:
            return _fail_locked(settlement, _("这次就诊不在医保自动结算范围内。"),
                                _("请到人工窗口结算，带上身份证。"), status=Status.MANUAL)
        settlement.fund_pay, settlement.account_pay, settlement.self_pay = (
            split.fund_pay, split.account_pay, split.self_pay)
        settlement.breakdown = split.as_dict()
        settlement.status = Status.PRESETTLED
        settlement.save(update_fields=["fund_pay", "account_pay", "self_pay", "breakdown", "status", "updated_at"])
        _event(settlement, {"provisional": split.as_dict()})
        if push:
            _after_commit(settlement)
    return settlement


def finalize_settlement(settlement_id: int) -> Settlement:
    """presettled → settled: book accumulators and the personal account exactly once."""
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update(of=("self",)).select_related("institution").get(pk=settlement_id)
        if settlement.status != Status.PRESETTLED or settlement.booked:
            return settlement
        try:
            split = book_split(settlement.person_id, settlement.institution, settlement.visit_type,
                               _bill_of(settlement), timezone.localdate(), settlement.condition)
        except NoPolicy:
            return _fail_locked(settlement, _("这次就诊不在医保自动结算范围内。"),
                                _("请到人工窗口结算，带上身份证。"), status=Status.MANUAL)
        settlement.fund_pay, settlement.account_pay, settlement.self_pay = (
            split.fund_pay, split.account_pay, split.self_pay)
        settlement.breakdown = split.as_dict()
        settlement.status = Status.SETTLED
        settlement.booked = True
        settlement.finished_at = timezone.now()
        settlement.save(update_fields=["fund_pay", "account_pay", "self_pay", "breakdown", "status", "booked",
                                       "finished_at", "updated_at"])
        _event(settlement, {"final": split.as_dict()})
        record_event(action=Kind.SETTLEMENT_SETTLED, via=Via.INSTITUTION, actor_label=settlement.institution.name,
                     subject=settlement.person, detail={"settlement": str(settlement.public_id),
                                                        "total": str(split.total), "self_pay": str(split.self_pay)})
        _after_commit(settlement)
    return settlement


def _fail_locked(settlement: Settlement, reason: str, next_step: str, *, status: str = Status.FAILED) -> Settlement:
    settlement.status = status
    settlement.reason, settlement.next_step = reason[:200], next_step[:200]
    settlement.fund_pay = settlement.account_pay = settlement.self_pay = None
    settlement.finished_at = timezone.now()
    settlement.save()
    _event(settlement, {"reason": reason})
    kind = Kind.SETTLEMENT_MANUAL if status == Status.MANUAL else Kind.SETTLEMENT_FAILED
    record_event(action=kind, via=Via.SYSTEM, subject=settlement.person,
                 detail={"settlement": str(settlement.public_id)})
    _after_commit(settlement)
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


# --- offline terminals ----------------------------------------------------------------------------------


def _new_terminal_key_id() -> str:
    while True:
        key_id = f"offline-{secrets.token_hex(6)}"
        if credential_by_key_id(key_id) is None and not OfflineTerminal.objects.filter(key_id=key_id).exists():
            return key_id


def register_offline_terminal(*, institution: Institution, name: str, location: str, by) -> tuple[OfflineTerminal, str]:
    """Staff register a counter as offline-capable. Returns the terminal and its secret, shown once."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        terminal = OfflineTerminal.objects.create(
            institution=institution, name=name.strip()[:60], location=location.strip()[:120],
            key_id=_new_terminal_key_id(), secret=secret, created_by=by)
        record_event(action=Kind.OFFLINE_TERMINAL_REGISTERED, via=Via.STAFF, actor=by,
                     detail={"terminal": str(terminal.public_id), "institution": institution.code})
    return terminal, secret


def revoke_offline_terminal(terminal: OfflineTerminal, *, by) -> OfflineTerminal:
    """Its key and its enrolled browser stop working at once. Revoking twice changes nothing."""
    with transaction.atomic():
        terminal = OfflineTerminal.objects.select_for_update().get(pk=terminal.pk)
        if not terminal.is_active:
            return terminal
        terminal.is_active, terminal.browser_token_hash, terminal.revoked_at = False, None, timezone.now()
        terminal.save(update_fields=["is_active", "browser_token_hash", "revoked_at"])
        record_event(action=Kind.OFFLINE_TERMINAL_REVOKED, via=Via.STAFF, actor=by,
                     detail={"terminal": str(terminal.public_id), "institution": terminal.institution.code})
    return terminal


# --- "不是我本人" ------------------------------------------------------------------------------------------


def report_not_me(settlement: Settlement, *, reporter: str, user=None, ip: str | None = None
                  ) -> tuple[SettlementDispute, bool]:
    """Open the dispute for staff, once: a second report (or two at the same instant) finds the first.
    Returns the dispute and whether this report opened it."""
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update(of=("self",)).select_related("person").get(pk=settlement.pk)
        existing = SettlementDispute.objects.filter(settlement=settlement).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                dispute = SettlementDispute.objects.create(settlement=settlement, reporter=reporter, reported_by=user)
        except IntegrityError:
            return SettlementDispute.objects.get(settlement=settlement), False
        record_event(action=Kind.SETTLEMENT_DISPUTED, via=Via.SELF if reporter == Reporter.PRINCIPAL else Via.PROXY,
                     actor=user, actor_label="" if user else "短信链接", subject=settlement.person, ip=ip,
                     detail={"settlement": str(settlement.public_id), "dispute": str(dispute.public_id)})
    return dispute, True


def clear_offline_flag(settlement: Settlement, *, staff) -> Settlement:
    """Staff have checked a flagged offline settlement (the same code offline at two institutions within
    minutes) and found it in order: it leaves their queue. Clearing it twice changes nothing."""
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update(of=("self",)).select_related("person").get(pk=settlement.pk)
        if not settlement.flagged:
            return settlement
        settlement.flagged = False
        settlement.save(update_fields=["flagged", "updated_at"])
        record_event(action=Kind.SETTLEMENT_FLAG_CLEARED, via=Via.STAFF, actor=staff, subject=settlement.person,
                     detail={"settlement": str(settlement.public_id)})
    return settlement


def close_dispute(dispute: SettlementDispute, *, staff, note: str) -> SettlementDispute:
    with transaction.atomic():
        dispute = SettlementDispute.objects.select_for_update(of=("self",)).select_related("settlement__person").get(pk=dispute.pk)
        if dispute.status == DisputeStatus.CLOSED:
            return dispute
        dispute.status, dispute.closed_at, dispute.closed_by = DisputeStatus.CLOSED, timezone.now(), staff
        dispute.staff_note = note.strip()[:2000]
        dispute.save(update_fields=["status", "closed_at", "closed_by", "staff_note"])
        record_event(action=Kind.SETTLEMENT_DISPUTE_CLOSED, via=Via.STAFF, actor=staff,
                     subject=dispute.settlement.person,
                     detail={"settlement": str(dispute.settlement.public_id), "dispute": str(dispute.public_id)})
    return dispute
