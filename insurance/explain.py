""""Why I paid this": short plain sentences written from a stored breakdown alone (Split.as_dict()).

Shown on her receipt, on her live status, on the counter's result and with the before-visit estimate, and
read aloud in elder mode (docs/design.md §6: results are spoken too). A breakdown stored before the terms
and year-to-date figures were kept lacks those keys: the sentences that need them are left out, the rest
still read right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from insurance.policy import Locality
from insurance.regions import city

ZERO = Decimal("0")
# The say endpoint reads at most 200 characters (elder_mode/voice/text.py); the spoken version stops
# at the last whole sentence that fits.
SPOKEN_MAX_CHARS = 200


@dataclass(frozen=True)
class Explanation:
    sentences: list[str] = field(default_factory=list)
    spoken: str = ""
    file_first: bool = False  # out of region without a filing: offer to file before the next visit

    def __bool__(self) -> bool:
        return bool(self.sentences)


def _amount(breakdown: dict, key: str) -> Decimal | None:
    try:
        value = Decimal(str(breakdown[key]))
    except (KeyError, InvalidOperation, TypeError, ValueError):
        return None
    return value if value.is_finite() else None


def _yuan(value: Decimal, spoken: bool) -> str:
    text = f"{value:.2f}"
    # Read aloud, 300.00 would be "300点00": whole yuan are said without the fen.
    if spoken and text.endswith(".00"):
        return text[:-3]
    return text


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def _sentences(b: dict, *, spoken: bool) -> list[str]:
    def money(key: str) -> Decimal:
        return _amount(b, key) or ZERO

    def y(value: Decimal) -> str:
        return _yuan(value, spoken)

    total = _amount(b, "total")
    if total is None:
        return []
    out = [_("这次看病一共花了%(total)s元。") % {"total": y(total)}]

    found = city(str(b.get("region_code") or ""))
    place = str(found.name) if found else ""
    locality = b.get("locality")
    if locality == Locality.OUT_FILED:
        out.append(_("您在%(place)s看病，已经备案，按异地备案的比例报销。") % {"place": place} if place
                   else _("您在外地看病，已经备案，按异地备案的比例报销。"))
    elif locality == Locality.OUT_UNFILED:
        out.append(_("您在%(place)s看病，没有备案，报销比例低一些；去外地看病前先备案，能多报一些。") % {"place": place}
                   if place else _("您在外地看病，没有备案，报销比例低一些；去外地看病前先备案，能多报一些。"))

    for note in b.get("notes") or []:
        if isinstance(note, str) and note:
            out.append(_(note))  # stored as the Chinese msgid

    category_c = money("category_c")
    if category_c > 0:
        out.append(_("丙类（医保不报）的东西%(amount)s元，要自己付。") % {"amount": y(category_c)})
    b_self = money("b_self_part")
    if b_self > 0:
        share = _amount(b, "b_self_share")
        if share is not None and share == Decimal("0.1"):
            out.append(_("乙类药先自付一成：%(amount)s元。") % {"amount": y(b_self)})
        else:
            out.append(_("乙类药先自付一部分：%(amount)s元。") % {"amount": y(b_self)})

    deductible_part = money("deductible_part")
    deductible, used = _amount(b, "deductible"), _amount(b, "ytd_deductible_used")
    left = max(ZERO, deductible - used) if deductible is not None and used is not None else None
    if deductible_part > 0:
        if left is not None and deductible_part >= left:
            out.append(_("今年的起付线还差%(left)s元，这次先由您自己付。") % {"left": y(left)})
        elif left is not None:
            out.append(_("今年的起付线还差%(left)s元，这次的%(part)s元都算在起付线里，由您自己付。")
                       % {"left": y(left), "part": y(deductible_part)})
        else:
            out.append(_("起付线以内的%(part)s元，由您自己付。") % {"part": y(deductible_part)})
    elif deductible is not None and deductible > 0 and left == 0:
        out.append(_("今年的起付线已经付满了。"))

    ratio = _amount(b, "ratio")
    eligible = money("eligible")
    if ratio is not None and eligible - deductible_part > 0:
        if b.get("terms") == "chronic":
            out.append(_("门诊慢特病（%(condition)s）：按慢特病待遇报销%(ratio)s。")
                       % {"condition": b.get("condition") or _("慢特病"), "ratio": _percent(ratio)})
        elif deductible_part > 0 or (deductible is not None and deductible > 0):
            out.append(_("超过起付线的部分，医保按%(ratio)s报销。") % {"ratio": _percent(ratio)})
        else:
            out.append(_("医保按%(ratio)s报销。") % {"ratio": _percent(ratio)})

    capped = money("capped_part")
    if capped > 0:
        cap_left = _cap_left(b)
        if cap_left is not None and cap_left > 0:
            out.append(_("今年的医保报销额度只剩%(left)s元，超出的部分自己付。") % {"left": y(cap_left)})
        else:
            out.append(_("今年的医保报销额度用完了，超出部分自己付。"))

    fund, account, self_pay = money("fund_pay"), money("account_pay"), money("self_pay")
    if account > 0:
        out.append(_("个人账户付了%(amount)s元。") % {"amount": y(account)})
    out.append(_("医保统筹付了%(fund)s元，您自己付%(self)s元。") % {"fund": y(fund), "self": y(self_pay)})
    return out


def _cap_left(b: dict) -> Decimal | None:
    cap, paid = _amount(b, "annual_cap"), _amount(b, "ytd_fund_paid")
    if cap is None or paid is None:
        return None
    return max(ZERO, cap - paid)


def _spoken(sentences: list[str]) -> str:
    """As many sentences as fit, always ending with who paid what (what she most needs to hear)."""
    last = sentences[-1]
    text = ""
    for sentence in sentences[:-1]:
        if len(text) + len(sentence) + len(last) > SPOKEN_MAX_CHARS:
            break
        text += sentence
    return (text + last)[:SPOKEN_MAX_CHARS]


def explain(breakdown: dict | None) -> Explanation:
    """The sentences for one breakdown; empty when there is nothing to explain (not settled yet, failed)."""
    if not isinstance(breakdown, dict) or not breakdown:
        return Explanation()
    sentences = _sentences(breakdown, spoken=False)
    if not sentences:
        return Explanation()
    said = _spoken(_sentences(breakdown, spoken=True))
    return Explanation(sentences=sentences, spoken=said,
                       file_first=breakdown.get("locality") == Locality.OUT_UNFILED)
