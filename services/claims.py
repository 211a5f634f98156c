"""手工报销, read side: her claims, the bill a claim is made from (a failed or `manual` settlement of hers, or
what she types for care paid out of pocket), its items as the engine reads them, and where the money may go.
The rules are the actions' (services/actions.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from insurance.engine import BillItem
from insurance.models import Institution, InsuredPerson, Scheme
from insurance.regions import region_name
from payments.models import PayoutDestination
from services.models import CLAIM_HOLDING, Claim
from settlement.models import Settlement, Status

CLAIMABLE_STATUSES = (Status.FAILED, Status.MANUAL)
ITEM_ROWS = 5  # a fixed number of rows: the form works on a phone without JavaScript
INVOICE_LABEL = "发票"
SLIP_LABEL = "付款凭证"


@dataclass
class ClaimBill:
    """What is claimed: from her settlement (read-only) or typed by her (care paid out of pocket)."""

    institution_name: str
    institution_level: str
    region_code: str
    visit_date: dt.date | None
    visit_type: str
    items: list[dict] = field(default_factory=list)  # {code, name, category, quantity, unit_price}
    institution: Institution | None = None
    settlement: Settlement | None = None
    condition_code: str = ""

    @property
    def total(self) -> Decimal:
        return items_total(self.items)

    @property
    def region_name(self) -> str:
        return region_name(self.region_code)


def bill_from_settlement(settlement: Settlement) -> ClaimBill:
    institution = settlement.institution
    items = [{"code": i.code, "name": i.name, "category": i.category, "quantity": str(i.quantity),
              "unit_price": str(i.unit_price)} for i in settlement.items.all()]
    return ClaimBill(institution_name=institution.name, institution_level=institution.level,
                     region_code=institution.region_code, visit_date=timezone.localtime(settlement.created_at).date(),
                     visit_type=settlement.visit_type, items=items, institution=institution, settlement=settlement,
                     condition_code=settlement.condition.code if settlement.condition_id else "")


def bill_items(items: list[dict]) -> list[BillItem]:
    return [BillItem(code=str(i.get("code", "")), name=str(i["name"]), category=str(i["category"]),
                     quantity=Decimal(str(i.get("quantity", "1"))), unit_price=Decimal(str(i["unit_price"])))
            for i in items]


def items_total(items: list[dict]) -> Decimal:
    return sum((item.amount for item in bill_items(items)), Decimal("0.00"))


def stand_in_institution(claim: Claim) -> Institution:
    """The engine reads only an institution's level and city: a hospital typed by name gets an unsaved one."""
    if claim.institution_id:
        return claim.institution
    return Institution(name=claim.institution_name, level=claim.institution_level, region_code=claim.region_code)


def claims_of(person: InsuredPerson | None) -> Any:
    return Claim.objects.filter(person=person)


def claim_of(person: InsuredPerson | None, public_id) -> Claim | None:
    """Her claim by its public id; None for anyone else's (looked up by id AND owner)."""
    if person is None:
        return None
    try:
        return Claim.objects.select_related("person", "settlement", "payout").filter(
            person=person, public_id=public_id).first()
    except (ValueError, TypeError):
        return None


def her_settlement(person: InsuredPerson | None, public_id) -> Settlement | None:
    if person is None or not public_id:
        return None
    try:
        return (Settlement.objects.select_related("institution", "condition")
                .filter(person=person, public_id=public_id).first())
    except (ValueError, TypeError, ValidationError):  # a malformed id in the address is just "not hers"
        return None


def live_claim_of(settlement: Settlement) -> Claim | None:
    return Claim.objects.filter(settlement=settlement, status__in=CLAIM_HOLDING).first()


def may_use_account(person: InsuredPerson) -> bool:
    """Only employees have a personal account (职工医保); residents have none."""
    return person.scheme == Scheme.EMPLOYEE


def bank_on_file(person: InsuredPerson) -> str:
    """"工商银行 **** 1234", or "" when the bureau has no bank account of hers."""
    if not person.bank_account:
        return ""
    return f"{person.bank_name} {person.masked_bank_account}".strip()


def destination_choices(person: InsuredPerson) -> list[tuple[str, str]]:
    bank = bank_on_file(person)
    choices = [(PayoutDestination.BANK.value,
                _("打到我的银行卡：%(bank)s") % {"bank": bank} if bank
                else _("打到我的银行卡（医保局还没有您的银行卡）"))]
    if may_use_account(person):
        choices.append((PayoutDestination.ACCOUNT.value, _("存进我的医保个人账户")))
    return choices


def institution_choices() -> list[tuple[str, str]]:
    return [(str(i.public_id), f"{i.name}（{i.get_level_display()}）")
            for i in Institution.objects.filter(is_active=True).order_by("region_code", "name")]
