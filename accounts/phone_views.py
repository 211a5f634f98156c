"""我的手机: the phones she keeps trusted, her PIN and passkeys, and the step-up page (docs/architecture.md,
"Trusted phones and step-up"). Views are thin: accounts.actions makes every change."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import actions
from accounts.middleware import device_from_cookie, forget_trusted_cookie, set_trusted_cookie
from accounts.models import Passkey, Purpose, Role, StepUpPin, TrustedDevice, User
from accounts.passkeys import (
    PasskeyError,
    authentication_options,
    registration_options,
    verify_authentication,
    verify_registration,
)
from core.acting_for import own_account_only
from core.client_address import client_ip
from core.masking import mask_phone
from core.safe_next import safe_next
from core.step_up import STEPPED_UP_KEY, needs_step_up, opened_by_trusted_phone, requires_step_up


def phone_label(user_agent: str) -> str:
    """A plain name for the phone from its User-Agent, e.g. "安卓手机 · Chrome"."""
    ua = user_agent or ""
    if "HarmonyOS" in ua or "OpenHarmony" in ua:
        kind = _("华为鸿蒙手机")
    elif "Android" in ua:
        kind = _("安卓手机")
    elif "iPhone" in ua:
        kind = _("苹果手机")
    elif "iPad" in ua:
        kind = _("苹果平板")
    elif "Windows" in ua or "Macintosh" in ua or "Linux" in ua:
        kind = _("电脑")
    else:
        kind = _("手机")
    for needle, name in (("MicroMessenger", _("微信")), ("HuaweiBrowser", _("华为浏览器")), ("UCBrowser", "UC"),
                         ("Edg/", "Edge"), ("Firefox", "Firefox"), ("Chrome", "Chrome"), ("Safari", "Safari")):
        if needle in ua:
            return f"{kind} · {name}"
    return str(kind)


def may_offer_trust(request: HttpRequest) -> bool:
    """"记住这台手机" is never offered on a kiosk, to a worker, while acting for someone, or where this
    browser is already a trusted phone."""
    user = getattr(request, "user", None)
    if getattr(request, "kiosk", None) is not None or getattr(request, "acting_grant", None) is not None:
        return False
    if user is not None and user.is_authenticated and (user.role != Role.CITIZEN or user.person_id is None):
        return False
    return device_from_cookie(request.COOKIES.get(settings.TRUSTED_PHONE_COOKIE)) is None


def trust_if_asked(request: HttpRequest, response: HttpResponse, user: User) -> HttpResponse:
    """After an SMS sign-in or activation: remember this phone when she left "记住这台手机" ticked."""
    if request.POST.get("trust_phone") == "1" and may_offer_trust(request) and user.role == Role.CITIZEN \
            and user.person_id is not None:
        _device, value = actions.trust_this_phone(user, label=phone_label(request.headers.get("User-Agent", "")),
                                                  ip=client_ip(request))
        set_trusted_cookie(response, value)
    return response


def _citizen(view):
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.user.role != Role.CITIZEN:
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _this_device(request: HttpRequest) -> TrustedDevice | None:
    device = device_from_cookie(request.COOKIES.get(settings.TRUSTED_PHONE_COOKIE))
    return device if device is not None and device.user_id == request.user.pk else None


@never_cache
@_citizen
@own_account_only
def my_phones(request: HttpRequest) -> HttpResponse:
    this = _this_device(request)
    devices = list(TrustedDevice.objects.filter(user=request.user, revoked_at__isnull=True))
    return render(request, "accounts/my_phones.html", {
        "devices": devices, "this_device": this,
        "offer_trust": this is None and may_offer_trust(request) and request.user.person_id is not None,
        "has_pin": StepUpPin.objects.filter(user=request.user).exists(),
        "passkeys": list(request.user.passkeys.all()),
    })


@_citizen
@own_account_only
@require_POST
def remove_phone(request: HttpRequest, device_id) -> HttpResponse:
    """移除 needs no step-up: taking a phone away only ever makes her account safer."""
    device = TrustedDevice.objects.filter(user=request.user, public_id=device_id).first()
    if device is None:
        raise Http404
    actions.revoke_trusted_phone(device, by=request.user, ip=client_ip(request))
    this = _this_device(request)
    response = redirect("accounts:my_phones")
    if this is None or this.pk == device.pk:
        forget_trusted_cookie(response)
    return response


@_citizen
@own_account_only
@require_POST
def remove_passkey(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """关掉 needs no step-up either; someone else's passkey looks like a missing one."""
    passkey = Passkey.objects.filter(user=request.user, pk=passkey_id).first()
    if passkey is None:
        raise Http404
    actions.remove_passkey(passkey, by=request.user, ip=client_ip(request))
    return redirect("accounts:my_phones")


@_citizen
@own_account_only
@require_POST
@requires_step_up
def trust_phone(request: HttpRequest) -> HttpResponse:
    response = redirect("accounts:my_phones")
    if may_offer_trust(request) and request.user.person_id is not None:
        _device, value = actions.trust_this_phone(
            request.user, label=phone_label(request.headers.get("User-Agent", "")), ip=client_ip(request))
        set_trusted_cookie(response, value)
    return response


@never_cache
@_citizen
@own_account_only
@require_http_methods(["GET", "POST"])
@requires_step_up
def set_pin(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        pin, again = request.POST.get("pin", "").strip(), request.POST.get("pin_again", "").strip()
        if pin != again:
            error = _("两次输入的数字密码不一样，请再输一次。")
        else:
            try:
                actions.set_step_up_pin(request.user, pin=pin, ip=client_ip(request))
            except actions.StepUpError as exc:
                error = exc.message
            else:
                return redirect("accounts:my_phones")
    return render(request, "accounts/set_pin.html", {"error": error}, status=400 if error else 200)


@never_cache
@_citizen
@own_account_only
@requires_step_up
def add_passkey(request: HttpRequest) -> HttpResponse:
    """用指纹或面容解锁: the page whose button (static/js/passkey.js) registers a passkey."""
    return render(request, "accounts/add_passkey.html", {"passkeys": list(request.user.passkeys.all())})


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def _read_json(request: HttpRequest) -> dict | None:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


@_citizen
@own_account_only
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    if needs_step_up(request):
        return _json_error("step_up_needed", _("请先确认是您本人。"), 403)
    return HttpResponse(registration_options(request, request.user), content_type="application/json")


@_citizen
@own_account_only
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    if needs_step_up(request):
        return _json_error("step_up_needed", _("请先确认是您本人。"), 403)
    body = _read_json(request)
    if body is None:
        return _json_error("bad_request", _("手机没有回答，请再点一次。"), 400)
    try:
        credential_id, public_key, sign_count = verify_registration(request, body)
    except PasskeyError:
        return _json_error("passkey_refused", _("没能开通指纹或面容解锁。可以再试一次，或用数字密码。"), 400)
    actions.add_passkey(request.user, credential_id=credential_id, public_key=public_key, sign_count=sign_count,
                        label=phone_label(request.headers.get("User-Agent", "")), ip=client_ip(request))
    return JsonResponse({"ok": True, "next": "/accounts/phones/"})


def _mark_stepped_up(request: HttpRequest) -> None:
    request.session.cycle_key()  # a new session key once she has proved it again
    request.session[STEPPED_UP_KEY] = time.time()


@never_cache
@_citizen
@require_http_methods(["GET", "POST"])
def step_up(request: HttpRequest) -> HttpResponse:
    """再确认一下是您本人: a passkey, her PIN, or an SMS code. Biometrics are offered, never required."""
    target = safe_next(request)
    if not needs_step_up(request):
        return redirect(target)
    user = request.user
    error = notice = ""
    code_sent = False
    pin_row = StepUpPin.objects.filter(user=user).first()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "pin":
                actions.step_up_with_pin(user, pin=request.POST.get("pin", ""), ip=client_ip(request))
                _mark_stepped_up(request)
                return redirect(target)
            if action == "send_sms":
                actions.send_one_time_code(phone_e164=user.phone, purpose=Purpose.STEP_UP, ip=client_ip(request))
                notice = _("验证码已发到 %(p)s，5分钟内有效。") % {"p": mask_phone(user.phone)}
                code_sent = True
            elif action == "sms":
                code_sent = True
                actions.step_up_with_code(user, code=request.POST.get("code", ""), ip=client_ip(request))
                _mark_stepped_up(request)
                return redirect(target)
        except actions.StepUpError as exc:
            error = exc.message
        except actions.OtpError as exc:
            error = exc.message
        pin_row = StepUpPin.objects.filter(user=user).first()
    return render(request, "accounts/step_up.html", {
        "next": target, "error": error, "notice": notice, "code_sent": code_sent,
        "has_pin": pin_row is not None, "has_passkey": user.passkeys.exists(),
        "masked_phone": user.masked_phone, "trusted_session": opened_by_trusted_phone(request),
    }, status=400 if error else 200)


@_citizen
@require_POST
def passkey_assert_options(request: HttpRequest) -> HttpResponse:
    if not request.user.passkeys.exists():
        return _json_error("no_passkey", _("这台手机还没有开通指纹或面容解锁，请用数字密码或短信验证码。"), 404)
    return HttpResponse(authentication_options(request, request.user), content_type="application/json")


@_citizen
@require_POST
def passkey_assert(request: HttpRequest) -> HttpResponse:
    body = _read_json(request)
    if body is None:
        return _json_error("bad_request", _("手机没有回答，请再点一次。"), 400)
    try:
        passkey, sign_count = verify_authentication(request, request.user, body.get("credential") or {})
    except PasskeyError:
        return _json_error("passkey_refused", _("没能用指纹或面容确认。可以再试一次，或用数字密码、短信验证码。"), 400)
    actions.step_up_with_passkey(passkey, sign_count=sign_count, ip=client_ip(request))
    _mark_stepped_up(request)
    return JsonResponse({"ok": True, "next": safe_next(request, str(body.get("next") or "/"))})
