"""Step-up: on a session opened by a trusted phone (no SMS that day), anything that changes her account asks
her to prove it is her first: a passkey, her 6-digit PIN, or an SMS code (docs/architecture.md, "Trusted
phones and step-up").

It lives in `core` because pages of every app may change her account (family grants today; payments,
claims and filings later, some in `insurance`, which imports no app). Leaf module: it reads only the
session; `accounts` writes these keys when it signs her in by a trusted phone and when she steps up, and
owns the step-up page (reversed by name, never imported).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# The trusted phone's public id, set when a trusted phone signed her in (and only then).
TRUSTED_SESSION_KEY = "trusted_phone"
# When she last proved it was her on this session (seconds since the epoch).
STEPPED_UP_KEY = "stepped_up_at"

View = Callable[..., HttpResponse]


def opened_by_trusted_phone(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(TRUSTED_SESSION_KEY))


def stepped_up_recently(request: HttpRequest) -> bool:
    at = request.session.get(STEPPED_UP_KEY) or 0
    return time.time() - at <= settings.STEP_UP_MINUTES * 60


def needs_step_up(request: HttpRequest) -> bool:
    """A session signed in by SMS (or a worker's password + TOTP) has just proved itself; a trusted phone's
    session has not, until she steps up, and then only for STEP_UP_MINUTES."""
    return opened_by_trusted_phone(request) and not stepped_up_recently(request)


def _return_to(request: HttpRequest) -> str:
    """Where to come back after stepping up: this page for a GET; for a form post, the page the form was on
    (the post itself is not replayed: she presses the button again, now allowed)."""
    if request.method == "GET":
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return "/"


def step_up_url(request: HttpRequest) -> str:
    return reverse("accounts:step_up") + "?" + urlencode({"next": _return_to(request)})


def requires_step_up(view: View) -> View:
    """Put it under `login_required`. On a trusted phone's session not stepped up in the last STEP_UP_MINUTES,
    she is sent to the step-up page first (htmx requests are told to go there with HX-Redirect)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if needs_step_up(request):
            target = step_up_url(request)
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return HttpResponseRedirect(target)
        return view(request, *args, **kwargs)

    return wrapped
