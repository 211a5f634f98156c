"""The one place that decides where a "next" parameter may send someone: only back into this portal."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, target: str | None = None, *, default: str = "/") -> str:
    """`target` (or the request's POST/GET "next") when it stays on this site, otherwise `default`.

    An address on another host, a scheme-relative "//evil.example" or a "javascript:" URL falls back to
    `default`, so a link in a message can never send her to a look-alike site after signing in."""
    if target is None:
        target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default
