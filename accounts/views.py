"""Signing in: citizens with an SMS (or voice) code; helpers, operators and staff with password + TOTP."""

from __future__ import annotations

import time

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actions import (
    PHONE_PROVEN_SESSION_KEY,
    OtpError,
    record_staff_sign_in,
    send_one_time_code,
    sign_in_with_code,
)
from accounts.forms import CodeSignInForm, TotpForm, WorkerPasswordForm
from accounts.models import Channel, Purpose, Role, User
from accounts.phone_views import may_offer_trust, trust_if_asked
from core import rescue
from core.client_address import client_ip, kiosk_id
from core.masking import mask_phone
from core.safe_next import safe_next


def _next_url(request: HttpRequest) -> str:
    return safe_next(request)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    notice = ""
    out_of_attempts = False
    form = CodeSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        action = request.POST.get("action", "verify")
        try:
            if action in ("send_sms", "send_voice"):
                channel = Channel.VOICE if action == "send_voice" else Channel.SMS
                send_one_time_code(phone_e164=phone, purpose=Purpose.SIGN_IN, channel=channel, ip=client_ip(request),
                                   kiosk_id=kiosk_id(request))
                notice = _("验证码已发到 %(p)s，5分钟内有效。") % {"p": mask_phone(phone)}
                form.fields["code"].widget.attrs["data-focus-next"] = ""  # static/js/alerts.js
            else:
                if not form.cleaned_data["code"]:
                    form.add_error("code", _("请填写短信里的6位验证码。"))
                else:
                    user = sign_in_with_code(phone_e164=phone, code=form.cleaned_data["code"], ip=client_ip(request))
                    login(request, user, backend="accounts.backends.PhonePasswordBackend")
                    request.session[PHONE_PROVEN_SESSION_KEY] = time.time()
                    rescue.note_success(request, "sign_in")
                    if user.person_id is None:
                        # Never activated: the activation page says so and takes this code as the proof
                        # that the phone is hers, so she does not wait for a second one (docs/decisions.md,
                        # "Signing in before activating").
                        return redirect("vouchers:activate")
                    return trust_if_asked(request, redirect(_next_url(request)), user)
        except OtpError as exc:
            form.add_error("code" if action == "verify" else None, exc.message)
            out_of_attempts = exc.out_of_attempts
    if request.method == "POST" and form.errors:
        # Which box was wrong, never what was typed in it (core/rescue.py).
        field = next((f for f in form.errors if f in form.fields), "code" if out_of_attempts else "")
        rescue.note_failure(request, "sign_in", field=field, out_of_attempts=out_of_attempts)
    return render(request, "accounts/sign_in.html", {
        "form": form, "notice": notice, "next": _next_url(request),
        "resend_after": settings.OTP_RESEND_AFTER_SECONDS, "offer_trust": may_offer_trust(request),
        "rescue": rescue.should_offer(request, "sign_in"),
    })


@never_cache
@require_http_methods(["GET", "POST"])
def worker_sign_in(request: HttpRequest) -> HttpResponse:
    """Step one for workers: phone and password. Lockouts are django-axes' and end by themselves."""
    form = WorkerPasswordForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        # Checked here as well as in the axes backend: with our phone-index usernames the backend's
        # own check let a locked-out phone through (see docs/decisions.md).
        if not AxesProxyHandler.is_allowed(request, {"username": form.cleaned_data["phone"]}):
            return render(request, "accounts/locked_out.html", status=429)
        user = authenticate(request, username=form.cleaned_data["phone"], password=form.cleaned_data["password"])
        if user is None or not user.is_worker:
            error = _("手机号或密码不对。连续错5次会锁定15分钟。")
        else:
            request.session["worker_pending"] = user.pk
            request.session["worker_next"] = _next_url(request)
            return redirect("accounts:worker_totp")
    return render(request, "accounts/worker_sign_in.html", {"form": form, "error": error})


# Where a worker lands after signing in when no page was asked for.
WORKER_HOME = {Role.OPERATOR: "/counter/", Role.HELPER: "/assist/", Role.STAFF: "/staff/offline/"}


@never_cache
@require_http_methods(["GET", "POST"])
def worker_totp(request: HttpRequest) -> HttpResponse:
    """Step two: the TOTP code. Without a confirmed device, a worker cannot sign in at all."""

    pending = request.session.get("worker_pending")
    user = User.objects.filter(pk=pending, is_active=True).first() if pending else None
    if user is None:
        return redirect("accounts:worker_login")
    form = TotpForm(request.POST or None)
    error = ""

    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        error = _("您的账户还没有绑定动态口令，不能登录。请联系医保局管理员绑定。")
    elif request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"].strip())
        if device is None:
            error = _("动态口令不对或已过期，请输入身份验证器里现在显示的6位数字。")
        else:
            request.session.pop("worker_pending", None)
            login(request, user, backend="accounts.backends.PhonePasswordBackend")
            otp_login(request, device)
            record_staff_sign_in(user, ip=client_ip(request))
            target = request.session.pop("worker_next", "/")
            if target == "/":  # each worker's own start page, never the citizen home page
                target = WORKER_HOME.get(user.role, "/")
            return redirect(target)
    return render(request, "accounts/worker_totp.html", {"form": form, "error": error, "blocked": bool(error) and
                  not TOTPDevice.objects.filter(user=user, confirmed=True).exists()})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/")
