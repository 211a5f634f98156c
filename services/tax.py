"""个税扣除查询: what she paid herself, within the insurance catalogue, in a tax year, and how much of it the
national catastrophic-illness deduction (大病医疗专项附加扣除) lets her take off her income tax.

The rule (docs/export-format.md, "个税大病医疗" states it in full): within one tax year, the part of her medical
expenses related to basic medical insurance that she bore herself, counted from the insurance's own figures,
is deductible above 15,000 yuan, up to 80,000 yuan. What counts, per visit:

- a settled settlement (status `settled`), dated by its visit (`captured_at` for an offline capture, otherwise
  `created_at`, in the portal's time zone): `self_pay + account_pay - breakdown["category_c"]`;
- a paid 手工报销 claim (status `paid`), dated by `visit_date`: the same three fields of the claim.

Her personal account is her own money, so what it paid counts; 丙类 (category C) items are outside the
catalogue and never count (the engine never lets the account pay them, so they are all inside `self_pay`).
Failed and manual settlements are not counted: what she paid for them is counted once, by the claim she made.

The printed statement carries a QR to a public page that checks a signed token (django.core.signing, its own
salt; docs/decisions.md, "Tax statement tokens" says why not the Ed25519 code key).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from insurance.models import InsuredPerson
from services.models import Claim, ClaimStatus
from settlement.models import Settlement, Status

THRESHOLD = Decimal("15000.00")
CAP = Decimal("80000.00")
YEARS_SHOWN = 4  # this year and the three before it
FEN = Decimal("0.01")
ZERO = Decimal("0.00")
TOKEN_SALT = "services.tax_statement"
TOKEN_VERSION = 1


def _yuan(value: object) -> Decimal:
    try:
        return Decimal(str(value or "0")).quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return ZERO


def deductible_for(total: Decimal) -> Decimal:
    """The part above the threshold, up to the cap."""
    return min(max(ZERO, total - THRESHOLD), CAP)


def years_offered(today: dt.date | None = None) -> list[int]:
    today = today or timezone.localdate()
    return [today.year - n for n in range(YEARS_SHOWN)]


@dataclass(frozen=True)
class Visit:
    day: dt.date
    place: str
    kind: str  # "settlement" | "claim"
    total: Decimal
    self_pay: Decimal
    account_pay: Decimal
    category_c: Decimal

    @property
    def counted(self) -> Decimal:
        return max(ZERO, self.self_pay + self.account_pay - self.category_c)


@dataclass(frozen=True)
class TaxYear:
    year: int
    visits: list[Visit]

    @property
    def total(self) -> Decimal:
        return sum((v.counted for v in self.visits), ZERO)

    @property
    def deductible(self) -> Decimal:
        return deductible_for(self.total)

    @property
    def threshold(self) -> Decimal:
        return THRESHOLD

    @property
    def cap(self) -> Decimal:
        return CAP

    @property
    def short_of_threshold(self) -> Decimal:
        return max(ZERO, THRESHOLD - self.total)

    @property
    def capped(self) -> bool:
        return self.total - THRESHOLD > CAP


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return (dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone))


def tax_year(person: InsuredPerson, year: int) -> TaxYear:
    """Every visit of `year` that counts, oldest first. Reads only."""
    start, end = _year_bounds(year)
    visits: list[Visit] = []
    settlements = (Settlement.objects.filter(person=person, status=Status.SETTLED)
                   .annotate(visit_at=Coalesce(F("captured_at"), F("created_at")))
                   .filter(visit_at__gte=start, visit_at__lt=end)
                   .select_related("institution").order_by("visit_at", "id"))
    for s in settlements.iterator(chunk_size=500):
        visits.append(Visit(day=timezone.localdate(s.visit_at), place=s.institution.name, kind="settlement",
                            total=s.total, self_pay=_yuan(s.self_pay), account_pay=_yuan(s.account_pay),
                            category_c=_yuan((s.breakdown or {}).get("category_c"))))
    claims = Claim.objects.filter(person=person, status=ClaimStatus.PAID, visit_date__year=year).order_by(
        "visit_date", "id")
    for c in claims:
        visits.append(Visit(day=c.visit_date, place=c.institution_name, kind="claim", total=c.total,
                            self_pay=_yuan(c.self_pay), account_pay=_yuan(c.account_pay),
                            category_c=_yuan((c.breakdown or {}).get("category_c"))))
    visits.sort(key=lambda v: v.day)
    return TaxYear(year=year, visits=visits)


# --- the signed statement -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """What the printed statement says and its QR carries. Only masked identifiers: the paper travels."""

    statement_id: str
    masked_name: str
    masked_id: str
    year: int
    total: Decimal
    deductible: Decimal
    issued_at: dt.datetime

    def payload(self) -> dict:
        return {"v": TOKEN_VERSION, "id": self.statement_id, "n": self.masked_name, "i": self.masked_id,
                "y": self.year, "t": str(self.total), "d": str(self.deductible),
                "at": self.issued_at.isoformat(timespec="seconds")}

    @property
    def token(self) -> str:
        return signing.dumps(self.payload(), salt=TOKEN_SALT, compress=True)

    @property
    def verify_url(self) -> str:
        return settings.PORTAL_PUBLIC_URL + reverse("services:tax_verify", kwargs={"token": self.token})


def new_statement(person: InsuredPerson, year_figures: TaxYear) -> Statement:
    return Statement(statement_id=secrets.token_hex(6).upper(), masked_name=person.masked_name,
                     masked_id=person.masked_id_number, year=year_figures.year, total=year_figures.total,
                     deductible=year_figures.deductible, issued_at=timezone.localtime().replace(microsecond=0))


def read_statement(token: str) -> Statement | None:
    """The statement a token carries, or None for anything not signed by us (or changed since). No expiry: a
    statement stays verifiable for as long as a tax office may ask (keys rotate through SECRET_KEY_FALLBACKS)."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    try:
        if data["v"] != TOKEN_VERSION:
            return None
        return Statement(statement_id=str(data["id"]), masked_name=str(data["n"]), masked_id=str(data["i"]),
                         year=int(data["y"]), total=Decimal(data["t"]), deductible=Decimal(data["d"]),
                         issued_at=dt.datetime.fromisoformat(data["at"]))
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return None


