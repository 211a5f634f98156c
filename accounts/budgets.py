"""How many one-time codes and identity checks may be asked for, per purpose and per place.

A mother who activates her code, lets her son bind her and is served by a helper in the same hour needs
codes for three different reasons. Each reason has its own hourly budget per phone (`Budget`), so one
cannot use up another; one ceiling over all of them still stops a phone being flooded.

Where the request comes from is a `Origin`: an ordinary address, a community help point (an address listed
in HELP_POINT_NETWORKS: many citizens behind one router) or a registered kiosk (assist's Kiosk, recognised
by its cookie). Help points and kiosks have their own, higher budgets, still limited. A kiosk is counted by
the kiosk, not by the address it shares with the rest of the help point.

Every refusal says when she can try again (minutes and the clock time) and what she can do right now.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import crypto


class Budget(StrEnum):
    SIGN_IN = "sign_in"
    IDENTITY = "identity"
    PROXY_CONSENT = "proxy_consent"
    HELPER_CONSENT = "helper_consent"
    STEP_UP = "step_up"


# Consent codes carry the request they answer in their purpose: "c<grant pk>" (family.actions.consent_purpose)
# and "a<session pk>" (assist.actions._purpose). The prefix says whose budget they use.
_PREFIXES = {"c": Budget.PROXY_CONSENT, "a": Budget.HELPER_CONSENT}


def budget_of(purpose: str) -> Budget:
    if purpose[:1] in _PREFIXES and purpose[1:].isdigit():
        return _PREFIXES[purpose[:1]]
    try:
        return Budget(purpose)
    except ValueError:
        return Budget.SIGN_IN


def purposes_in(budget: Budget) -> Q:
    """The OneTimeCode rows that count against this budget."""
    for prefix, owner in _PREFIXES.items():
        if owner == budget:
            return Q(purpose__regex=rf"^{prefix}[0-9]+$")
    return Q(purpose=budget.value)


def phone_limit(budget: Budget) -> int:
    """Codes per phone per hour for one purpose: OTP_PHONE_BUDGETS[budget], else OTP_MAX_PER_PHONE_PER_HOUR."""
    return int(getattr(settings, "OTP_PHONE_BUDGETS", {}).get(budget.value, settings.OTP_MAX_PER_PHONE_PER_HOUR))


@dataclass(frozen=True)
class Origin:
    kind: str  # "address" | "help_point" | "kiosk"
    index: str  # keyed hash: stored in OneTimeCode.ip_index and used as the identity-check bucket key
    code_limit: int
    check_limit: int


def _is_help_point(ip: str | None) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for network in getattr(settings, "HELP_POINT_NETWORKS", ()):
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def origin_of(ip: str | None, kiosk_id: int | None = None) -> Origin:
    if kiosk_id is not None:
        return Origin("kiosk", crypto.blind_index("kiosk", str(kiosk_id)),
                      settings.OTP_MAX_PER_KIOSK_PER_HOUR, settings.IDENTITY_CHECKS_PER_KIOSK_PER_HOUR)
    index = crypto.blind_index("ip", ip or "-")
    if _is_help_point(ip):
        return Origin("help_point", index, settings.OTP_MAX_PER_HELP_POINT_PER_HOUR,
                      settings.IDENTITY_CHECKS_PER_HELP_POINT_PER_HOUR)
    return Origin("address", index, settings.OTP_MAX_PER_IP_PER_HOUR, settings.IDENTITY_CHECKS_PER_ADDRESS_PER_HOUR)


def wait_words(seconds: float, now: dt.datetime | None = None) -> dict[str, object]:
    """{"m": minutes, "t": "HH:MM"}: "60 minutes" means little to her an hour later, "22:10以后" does."""
    now = now or timezone.now()
    minutes = max(1, math.ceil(seconds / 60))
    until = timezone.localtime(now + dt.timedelta(minutes=minutes))
    return {"m": minutes, "t": f"{until:%H:%M}", "h": settings.SITE_HOTLINE}


def what_else(budget: Budget) -> str:
    """What she can do now instead of waiting; buttons are named by their labels on the pages."""
    hotline = {"h": settings.SITE_HOTLINE}
    if budget == Budget.SIGN_IN:
        return _("现在就要用：请家人在他的手机上为您出示医保码，或到社区帮办点请帮办员帮忙，也可以拨打医保热线%(h)s。") % hotline
    if budget == Budget.IDENTITY:
        return _("现在就要办：带身份证到社区帮办点请帮办员帮您开通，或请家人替您开通，也可以拨打医保热线%(h)s。") % hotline
    if budget == Budget.PROXY_CONSENT:
        return _("现在就要办：请她在自己的手机上打开“亲情账户”，点“同意”；或拨打医保热线%(h)s。") % hotline
    if budget == Budget.HELPER_CONSENT:
        return _("现在就要办：可以点“发给家人”请她的家人在手机上同意，或由帮办员点“我见证她同意了”；也可以拨打医保热线%(h)s。") \
            % hotline
    return _("现在可以改用数字密码或指纹确认，或拨打医保热线%(h)s。") % hotline


def phone_budget_message(budget: Budget, seconds: float) -> str:
    return _("这个手机号一小时内收到的验证码太多了，请%(m)d分钟后再试（%(t)s以后）。") % wait_words(seconds) \
        + what_else(budget)


def origin_message(origin: Origin, budget: Budget, seconds: float) -> str:
    words = wait_words(seconds)
    if origin.kind == "kiosk":
        first = _("这台帮办终端一小时内请求验证码太频繁了，请%(m)d分钟后再试（%(t)s以后），或换一台帮办终端。") % words
    else:
        first = _("这台设备请求验证码太频繁了，请%(m)d分钟后再试（%(t)s以后）。") % words
    return first + what_else(budget)


def locked_message(budget: Budget, seconds: float) -> str:
    return _("验证码错误次数太多，为了安全，请%(m)d分钟后再试（%(t)s以后）。") % wait_words(seconds) + what_else(budget)


def seconds_until_room(created: list[dt.datetime], limit: int, now: dt.datetime) -> float:
    """Codes sent in the last hour (newest first): when the oldest one that keeps the count at the limit
    leaves the hour."""
    if not created:
        return 0
    oldest_that_counts = sorted(created)[max(0, len(created) - limit)]
    return max(1.0, (oldest_that_counts + dt.timedelta(hours=1) - now).total_seconds())
