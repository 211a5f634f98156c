"""The client's address, the one helper every part of the portal uses (audit rows, lockouts, rate limits).

``PROXY_COUNT`` is the number of reverse proxies in front of the app (README, "Production"). Each of them
appends the address it received the request from to ``X-Forwarded-For``, so the client is the entry the
outermost proxy wrote: the PROXY_COUNT-th from the right. Everything to the left of it was written by
the client and may be forged; it is never read. With ``PROXY_COUNT=0`` (the default, and ``make run``)
the header is ignored and the socket address is used. See docs/decisions.md.

Leaf module: imports no app.
"""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def _valid(address: str | None) -> str | None:
    if not address:
        return None
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the person at the other end, or None when there is no request."""
    if request is None:
        return None
    remote = _valid(request.META.get("REMOTE_ADDR"))
    proxies = int(getattr(settings, "PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR") or ""
    hops = [hop.strip() for hop in header.split(",")] if header.strip() else []
    if len(hops) < proxies:
        # No header, or fewer entries than proxies: the request did not come through them. The socket.
        return remote
    # Only the entries our proxies wrote go to django-ipware, which parses them (ports, brackets,
    # IPv4-mapped IPv6) and, strictly, refuses the lot if one is not an address. It counts the proxies
    # *listed in* the header: the last proxy is REMOTE_ADDR and lists only the hop before it.
    trusted = SimpleNamespace(META={"HTTP_X_FORWARDED_FOR": ", ".join(hops[-proxies:])})
    address, _routable = get_client_ip(
        trusted,  # type: ignore[arg-type]  # get_client_ip reads only .META
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=("HTTP_X_FORWARDED_FOR",),
        strict=True,
    )
    return _valid(address) or remote


def kiosk_id(request: HttpRequest | None) -> int | None:
    """The registered kiosk this request comes from (assist's KioskMiddleware sets `request.kiosk`), if any:
    a kiosk has its own code and identity-check budgets (accounts/budgets.py). Read by attribute: core
    imports no app."""
    kiosk = getattr(request, "kiosk", None)
    return getattr(kiosk, "pk", None)
