"""What a chronic-disease entitlement (门诊慢特病) means for her, in one plain sentence each: the terms a
condition is paid at for her scheme, and the last day a grant lasts. The numbers come from the
ChronicCondition row staff keep in the admin (insurance/filings.py), never from the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from insurance.filings import ChronicCondition, Entitlement, ReviewStatus


def _plain_number(value: Decimal) -> str:
    # 0.850 → "85", 3000.00 → "3000", 87.5 stays "87.5": no trailing zeros for her to read aloud.
    return f"{value.normalize():f}"


def percent(ratio: Decimal) -> str:
    return _plain_number(ratio * 100)


def terms_sentence(condition: ChronicCondition, scheme: str) -> str:
    """"在门诊看高血压、买治这个病的药，医保报销85%，每年最多3000元"."""
    values = {"name": condition.name, "ratio": percent(condition.ratio_for(scheme)),
              "cap": _plain_number(condition.annual_cap)}
    if condition.deductible > 0:
        values["deductible"] = _plain_number(condition.deductible)
        return _("在门诊看%(name)s、买治这个病的药，每年先自己付%(deductible)s元，以后医保报销%(ratio)s%%，"
                 "每年最多%(cap)s元") % values
    return _("在门诊看%(name)s、买治这个病的药，医保报销%(ratio)s%%，每年最多%(cap)s元") % values


def grant_ends_on(start: dt.date, years: int) -> dt.date:
    """The last day of a grant of `years` years from `start`: the day before the same date `years` later
    (29 February runs to 28 February)."""
    try:
        same_day = start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year that has none
        same_day = start.replace(year=start.year + years, month=3, day=1)
    return same_day - dt.timedelta(days=1)


def valid_until_sentence(day: dt.date) -> str:
    return _("有效期到%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}


def day_words(day: dt.date) -> str:
    return _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}


def ran_out(entitlement: Entitlement) -> bool:
    """Set aside as expired, or granted with an end date already past."""
    if entitlement.status == ReviewStatus.EXPIRED:
        return True
    return (entitlement.status == ReviewStatus.APPROVED and entitlement.valid_until is not None
            and entitlement.valid_until < timezone.localdate())


def headline(entitlement: Entitlement) -> str:
    """One sentence for the status, shown big and read aloud in elder mode."""
    name = entitlement.condition.name
    if ran_out(entitlement):
        return _("%(name)s的认定已经到期了。要继续按慢特病报销，请重新申请。") % {"name": name}
    if entitlement.status == ReviewStatus.APPROVED and entitlement.valid_until:
        return _("%(name)s已经认定了，%(until)s。") % {"name": name,
                                                  "until": valid_until_sentence(entitlement.valid_until)}
    if entitlement.status == ReviewStatus.PENDING:
        if entitlement.due_by:
            return _("%(name)s的申请正在审核，最晚%(day)s办好。") % {
                "name": name, "day": day_words(timezone.localtime(entitlement.due_by).date())}
        return _("%(name)s的申请正在审核。") % {"name": name}
    if entitlement.status == ReviewStatus.RETURNED:
        return _("%(name)s的申请退回了，要重新拍一张证明：%(reason)s") % {"name": name, "reason": entitlement.reason}
    if entitlement.status == ReviewStatus.REFUSED:
        return _("%(name)s的申请没有通过：%(reason)s") % {"name": name, "reason": entitlement.reason}
    return _("%(name)s的申请已经取消了。") % {"name": name}


def status_context(entitlement: Entitlement) -> dict:
    """What services/_entitlement_status.html needs: on her pages and in the live push alike."""
    until = entitlement.valid_until if entitlement.status == ReviewStatus.APPROVED and not ran_out(entitlement) else None
    return {"e": entitlement, "headline": headline(entitlement),
            "terms": terms_sentence(entitlement.condition, entitlement.person.scheme),
            "until": valid_until_sentence(until) if until else ""}
