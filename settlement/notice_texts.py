"""What her settlement results say by SMS or voice call (core/notice_texts.py; `notices` sends them): the split
when settled, the reason and the next step when not. Registered at start-up by SettlementConfig.ready."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from audit.kinds import Kind
from core.notice_texts import SETTLEMENT, NoticeText, register_notice_text
from settlement.models import Settlement
from settlement.texts import _yuan


def _settlement_of(event) -> Settlement | None:
    public_id = (event.detail or {}).get("settlement")
    if not public_id:
        return None
    return Settlement.objects.select_related("institution").filter(public_id=public_id).first()


def _path(settlement: Settlement) -> str:
    return reverse("settlement:receipt", kwargs={"settlement_id": settlement.public_id})


def settled_text(event) -> NoticeText | None:
    settlement = _settlement_of(event)
    if settlement is None:
        return None
    values = {"place": settlement.institution.name, "total": _yuan(settlement.total),
              "ins": _yuan((settlement.fund_pay or 0) + (settlement.account_pay or 0)),
              "self": _yuan(settlement.self_pay), "name": "%(name)s"}
    return NoticeText(
        for_her=_("【医保通】您在%(place)s看病花了%(total)s元，医保支付%(ins)s元，您自付%(self)s元。") % values,
        for_family=_("【医保通】您的家人%(name)s在%(place)s看病花了%(total)s元，医保支付%(ins)s元，自付%(self)s元。")
        % values,
        path=_path(settlement))


def failed_text(event) -> NoticeText | None:
    settlement = _settlement_of(event)
    if settlement is None:
        return None
    # Reasons and next steps are stored as the Chinese msgid and translated where they are shown.
    values = {"place": settlement.institution.name, "reason": _(settlement.reason) if settlement.reason else "",
              "next": _(settlement.next_step) if settlement.next_step else "", "name": "%(name)s"}
    family = {**values, "reason": values["reason"].replace("%", "%%"), "next": values["next"].replace("%", "%%")}
    return NoticeText(
        for_her=_("【医保通】您在%(place)s的这次结算没有成功：%(reason)s下一步：%(next)s") % values,
        for_family=_("【医保通】您的家人%(name)s在%(place)s的结算没有成功：%(reason)s下一步：%(next)s") % family,
        path=_path(settlement), failure=True)


def register_settlement_notices() -> None:
    register_notice_text(Kind.SETTLEMENT_SETTLED, SETTLEMENT, settled_text)
    register_notice_text(Kind.SETTLEMENT_FAILED, SETTLEMENT, failed_text)
    register_notice_text(Kind.SETTLEMENT_MANUAL, SETTLEMENT, failed_text)
