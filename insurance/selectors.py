"""Read-only queries on the insurance core."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from insurance.engine import entitlement_year_to_date, year_to_date
from insurance.filings import Entitlement, Filing, ReviewStatus
from insurance.models import Institution, InstitutionLevel, InsuredPerson, OfflineTerminal, Scheme
from insurance.policy import Locality, PolicyRule, VisitType


def person_by_id_number(id_number: str) -> InsuredPerson | None:
    return InsuredPerson.objects.with_id_number(id_number).first()


def institution_by_key_id(key_id: str) -> Institution | None:
    return Institution.objects.filter(api_key_id=key_id).first()


def recent_contributions(person: InsuredPerson, limit: int = 12):
    return person.contributions.all()[:limit]


# --- credentials for the institution API and offline counters ----------------------------------------------


@dataclass(frozen=True)
class Credential:
    """Who signed a request: the institution, and the offline terminal when its own key was used."""

    institution: Institution
    terminal: OfflineTerminal | None
    secret: str


def credential_by_key_id(key_id: str) -> Credential | None:
    """An institution's own key, or one of its active offline terminals' keys (an institution key wins if both
    ever had the same id, so a terminal can never stand in for an institution)."""
    institution = Institution.objects.filter(api_key_id=key_id).first()
    if institution is not None:
        return Credential(institution, None, institution.api_secret)
    # A revoked terminal's key is unknown from the moment it is revoked.
    terminal = OfflineTerminal.objects.select_related("institution").filter(key_id=key_id, is_active=True).first()
    if terminal is not None:
        return Credential(terminal.institution, terminal, terminal.secret)
    return None


def terminal_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def terminal_for_browser(token: str, institution_id: int | None) -> OfflineTerminal | None:
    """The active offline terminal of this institution that this browser's cookie token stands for."""
    if not token or len(token) > 200 or institution_id is None:
        return None
    return OfflineTerminal.objects.filter(browser_token_hash=terminal_token_hash(token), institution_id=institution_id,
                                          is_active=True).first()


# --- 待遇查询: what she has used of this year's benefits ------------------------------------------------------

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Threshold:
    """One of this year's numbers: the deductible or a yearly limit, and how much of it is used."""

    limit: Decimal
    used: Decimal

    @property
    def left(self) -> Decimal:
        return max(ZERO, self.limit - self.used)

    @property
    def met(self) -> bool:
        return self.used >= self.limit


@dataclass(frozen=True)
class EntitlementBenefit:
    entitlement: Entitlement
    cap: Threshold


@dataclass(frozen=True)
class Benefits:
    year: int
    fund_paid: Decimal
    outpatient_deductible: Threshold | None
    inpatient_deductible: Threshold | None
    outpatient_cap: Threshold | None
    account_balance: Decimal | None  # employees only
    filings: list[Filing] = field(default_factory=list)
    entitlements: list[EntitlementBenefit] = field(default_factory=list)


def _rule(person: InsuredPerson, visit_type: str) -> PolicyRule | None:
    # Her own region, a tertiary hospital: the numbers most bills meet (the demo tables, docs/design.md §5).
    return PolicyRule.objects.filter(scheme=person.scheme, region_code=person.region_code,
                                     level=InstitutionLevel.TERTIARY, visit_type=visit_type,
                                     locality=Locality.IN_REGION).first()


def benefits_of(person: InsuredPerson, on: dt.date) -> Benefits:
    """This year's fund paid, deductibles met, the outpatient limit left, her account (employees), and her
    filings and chronic entitlements in force today or later."""
    ytd = year_to_date(person, on.year)
    outpatient, inpatient = _rule(person, VisitType.OUTPATIENT), _rule(person, VisitType.INPATIENT)
    filings = list(Filing.objects.filter(person=person, status=ReviewStatus.APPROVED)
                   .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on)).order_by("valid_from"))
    entitlements = [
        EntitlementBenefit(e, Threshold(e.condition.annual_cap, entitlement_year_to_date(e, on.year).fund_paid))
        for e in Entitlement.objects.filter(person=person, status=ReviewStatus.APPROVED, valid_until__gte=on)
        .select_related("condition").order_by("valid_until")
    ]
    return Benefits(
        year=on.year,
        fund_paid=ytd.fund_paid,
        outpatient_deductible=Threshold(outpatient.deductible, min(ytd.deductible_used, outpatient.deductible))
        if outpatient and outpatient.deductible > 0 else None,
        inpatient_deductible=Threshold(inpatient.deductible, min(ytd.deductible_used, inpatient.deductible))
        if inpatient and inpatient.deductible > 0 else None,
        outpatient_cap=Threshold(outpatient.annual_cap, ytd.fund_paid) if outpatient else None,
        account_balance=person.account_balance if person.scheme == Scheme.EMPLOYEE else None,
        filings=filings,
        entitlements=entitlements,
    )


def institutions_near(person: InsuredPerson, limit: int = 8) -> list[Institution]:
    """A short list of her region's institutions for 看病前算一算."""
    return list(Institution.objects.filter(region_code=person.region_code, is_active=True).order_by("level", "name")
                [:limit])
