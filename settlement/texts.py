"""What each settlement state says to the person waiting, on screen and aloud (elder mode)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from settlement.models import Settlement, Status


def _yuan(value: Decimal | None) -> str:
    if value is None:
        return "0"
    text = f"{value:.2f}"
    return text[:-3] if text.endswith(".00") else text


def headline(settlement: Settlement) -> str:
    return {
        Status.RECEIVED: _("正在结算，请稍等…"),
        Status.PRESETTLED: _("预结算完成，正在确认…"),
        Status.SETTLED: _("结算完成"),
        Status.FAILED: _("这次没有结算成功"),
        Status.MANUAL: _("请到人工窗口结算"),
    }[Status(settlement.status)]


def spoken(settlement: Settlement) -> str:
    """One short sentence for the voice guide, e.g. 医保支付85元，您自付15元。"""
    if settlement.status == Status.SETTLED:
        paid_by_insurance = (settlement.fund_pay or 0) + (settlement.account_pay or 0)
        return _("结算完成。医保支付%(ins)s元，您自付%(self)s元。") % {
            "ins": _yuan(paid_by_insurance), "self": _yuan(settlement.self_pay)}
    if settlement.status == Status.PRESETTLED:
        return _("预计医保支付%(ins)s元，正在确认。") % {
            "ins": _yuan((settlement.fund_pay or 0) + (settlement.account_pay or 0))}
    if settlement.status in (Status.FAILED, Status.MANUAL):
        # Reasons are stored as the Chinese msgid and translated when shown.
        return f"{_(settlement.reason) if settlement.reason else ''} {_(settlement.next_step) if settlement.next_step else ''}".strip()
    return _("正在结算，请稍等。")
