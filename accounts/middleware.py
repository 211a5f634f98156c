"""Trusted phones (记住这台手机): her phone opens her code with one tap, any day, without an SMS.

Decision (docs/decisions.md, "Trusted phones and step-up"): a valid trusted-phone cookie signs her in only
when she opens the code (`/code/`, `/code/large/`, `/code/card/`), as an ordinary session marked
`core.step_up.TRUSTED_SESSION_KEY`. Such a session may look at everything she may look at, and every page
that changes her account asks for a step-up first (`core.step_up.requires_step_up`). Elsewhere the cookie
only makes `request.trusted_device` known (the home page then shows "出示医保码"). A kiosk ignores the cookie.
A session opened by a phone that has since been removed ends at its next request.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from accounts.actions import sign_in_by_trusted_phone, trusted_phone_secret_hash
from accounts.models import Role, TrustedDevice
from core.client_address import client_ip
from core.step_up import TRUSTED_SESSION_KEY

BACKEND = "accounts.backends.PhonePasswordBackend"


def device_from_cookie(value: str | None) -> TrustedDevice | None:
    """The trusted phone this cookie value proves, or None (forged, revoked, someone else's secret, or an
    account that can no longer use it). Bad input is simply not a device."""
    if not value or "." not in value or len(value) > 200:
        return None
    public_id, secret = value.split(".", 1)
    try:
        uuid.UUID(public_id)
    except ValueError:
        return None
    device = (TrustedDevice.objects.select_related("user", "user__person")
              .filter(public_id=public_id, revoked_at__isnull=True).first())
    if device is None or not secrets.compare_digest(device.secret_hash, trusted_phone_secret_hash(secret)):
        return None
    if device.created_at < timezone.now() - dt.timedelta(days=settings.TRUSTED_PHONE_DAYS):
        return None  # as old as the cookie's own lifetime: she proves it is her again
    user = device.user
    if not user.is_active or user.role != Role.CITIZEN or user.person_id is None:
        return None
    return device


def set_trusted_cookie(response: HttpResponse, value: str) -> None:
    response.set_cookie(settings.TRUSTED_PHONE_COOKIE, value, max_age=settings.TRUSTED_PHONE_DAYS * 86400,
                        httponly=True, secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")


def forget_trusted_cookie(response: HttpResponse) -> None:
    response.delete_cookie(settings.TRUSTED_PHONE_COOKIE, samesite="Lax")


def _code_paths() -> set[str]:
    return {reverse("vouchers:code"), reverse("vouchers:code_large"), reverse("vouchers:code_card")}


class TrustedPhoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.trusted_device = None
        cookie = request.COOKIES.get(settings.TRUSTED_PHONE_COOKIE)
        forget = False
        if getattr(request, "kiosk", None) is None:
            user = request.user
            opened_by = request.session.get(TRUSTED_SESSION_KEY) if user.is_authenticated else None
            if opened_by and not TrustedDevice.objects.filter(public_id=opened_by, user=user,
                                                              revoked_at__isnull=True).exists():
                logout(request)  # the phone was removed (by her, 我的手机丢了, or staff): its session ends
            if cookie and not request.user.is_authenticated:
                device = device_from_cookie(cookie)
                forget = device is None
                request.trusted_device = device
                if device is not None and request.path in _code_paths():
                    user = sign_in_by_trusted_phone(device, ip=client_ip(request))
                    login(request, user, backend=BACKEND)
                    request.session[TRUSTED_SESSION_KEY] = str(device.public_id)
        response = self.get_response(request)
        if forget:
            forget_trusted_cookie(response)
        return response
