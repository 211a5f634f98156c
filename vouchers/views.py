"""Activation in at most four screens, and the code page. Views are thin; actions do the work."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.actions import (
    PHONE_PROVEN_SESSION_KEY,
    BindingError,
    OtpError,
    send_one_time_code,
    sign_in_and_bind,
    verify_identity,
)
from accounts.middleware import forget_trusted_cookie
from accounts.models import Channel, Purpose
from accounts.phone_views import may_offer_trust, trust_if_asked
from core import rescue
from core.acting_for import own_account_only, requires_scope
from core.client_address import client_ip, kiosk_id
from core.funnel import note_step
from core.masking import mask_phone
from core.qr import qr_png_data_uri
from elder_mode.preferences import remember_elder_mode
from vouchers.actions import VoucherError, finish_activation, note_code_shown, suspend_voucher
from vouchers.codes import issue_code_token
from vouchers.forms import AgreeForm, IdentityForm
from vouchers.models import VoucherStatus
from vouchers.selectors import voucher_as_loaded, voucher_of

_SESSION_KEY = "activation"
# The last settlement whose result she dismissed; templates/base.html passes it to her live socket as `after`.
SETTLEMENT_SEEN_KEY = "settlement_seen"
_SETTLEMENT_ID_LENGTH = 36
_IDENTITY_VALID_SECONDS = 15 * 60


def _verified_person(request: HttpRequest):
    """The person whose identity was proved in this session in the last 15 minutes, if any."""
    state = request.session.get(_SESSION_KEY) or {}
    if not request.user.is_authenticated or request.user.person is None:
        return None
    if state.get("person") != request.user.person.pk:
        return None
    if time.time() - state.get("at", 0) > _IDENTITY_VALID_SECONDS:
        return None
    return request.user.person


def _note_screen(request: HttpRequest, step: str, person=None) -> None:
    """The activation funnel on the staff dashboard (core/funnel.py). A random id in her session, not the
    session key: signing in at step 1 changes the key, and the funnel must follow her across it."""
    visitor = request.session.setdefault("funnel_visitor", uuid.uuid4().hex)
    note_step(step, visitor, person.region_code if person is not None else "")


def _phone_just_proven(request: HttpRequest) -> bool:
    """She signed in with a code minutes ago and has not activated: that code proved the phone is hers."""
    user = request.user
    if not user.is_authenticated or user.person_id is not None or user.is_worker:
        return False
    return time.time() - request.session.get(PHONE_PROVEN_SESSION_KEY, 0) < _IDENTITY_VALID_SECONDS


@never_cache
@require_http_methods(["GET", "POST"])
def identity(request: HttpRequest) -> HttpResponse:
    """Step 1: name, ID number, registered phone and a one-time code, on one screen."""
    notice = ""
    action = request.POST.get("action", "verify")
    proven = _phone_just_proven(request)
    out_of_attempts = False
    if request.method == "POST":
        rescue.note_started(request, "activation")  # leaving from here on is giving up halfway
        sending = action in ("send_sms", "send_voice")
        form = IdentityForm(request.POST, need_code=not sending and not proven)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if sending:
                    verify_identity(name=data["name"], id_number=data["id_number"], phone_e164=data["phone"],
                                    ip=client_ip(request), kiosk_id=kiosk_id(request))
                    channel = Channel.VOICE if action == "send_voice" else Channel.SMS
                    send_one_time_code(phone_e164=data["phone"], purpose=Purpose.IDENTITY, channel=channel,
                                       ip=client_ip(request), kiosk_id=kiosk_id(request))
                    form.fields["code"].widget.attrs["data-focus-next"] = ""  # where she looks next: alerts.js
                    if channel == Channel.VOICE:
                        notice = _("我们正在给 %(p)s 打电话，电话里会念出验证码。") % {"p": mask_phone(data["phone"])}
                    else:
                        notice = _("验证码已发到 %(p)s，5分钟内有效。") % {"p": mask_phone(data["phone"])}
                elif proven and data["phone"] != request.user.phone:
                    form.add_error("phone", _("请填您刚才登录用的手机号 %(p)s。要为家人开通，请用“亲情账户”。")
                                   % {"p": mask_phone(request.user.phone)})
                else:
                    user = sign_in_and_bind(name=data["name"], id_number=data["id_number"],
                                            phone_e164=data["phone"], code=data["code"], ip=client_ip(request),
                                            kiosk_id=kiosk_id(request), proven_by=request.user if proven else None)
                    if not request.user.is_authenticated or request.user.pk != user.pk:
                        login(request, user, backend="accounts.backends.PhonePasswordBackend")
                    request.session[_SESSION_KEY] = {"person": user.person_id, "at": time.time()}
                    rescue.note_success(request, "activation")
                    return redirect("vouchers:confirm")
            except BindingError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                out_of_attempts = exc.retry_after is not None  # too many identity checks for now
            except OtpError as exc:
                form.add_error("code" if not sending else None, exc.message)
                out_of_attempts = exc.out_of_attempts
        if form.errors:
            # Which box was wrong, never what was typed in it (core/rescue.py).
            field = next((f for f in form.errors if f in form.fields), "code" if out_of_attempts else "")
            rescue.note_failure(request, "activation", field=field, out_of_attempts=out_of_attempts)
    else:
        form = IdentityForm(need_code=True, initial={"phone": request.user.phone[3:]} if proven else None)
        _note_screen(request, "identity")
    return render(request, "vouchers/identity.html", {
        "form": form, "notice": notice, "step": 1, "resend_after": settings.OTP_RESEND_AFTER_SECONDS,
        "phone_proven": proven, "rescue": rescue.should_offer(request, "activation"),
    }, status=200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: the enrollment details the bureau holds, for her to confirm."""
    person = _verified_person(request)
    if person is None:
        return redirect("vouchers:activate")
    if request.method == "POST":
        request.session[_SESSION_KEY] = {**request.session[_SESSION_KEY], "confirmed": True}
        return redirect("vouchers:agree")
    _note_screen(request, "confirm", person)
    return render(request, "vouchers/confirm.html", {"person": person, "step": 2})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def agree(request: HttpRequest) -> HttpResponse:
    """Step 3: what opening the code means, in plain words, and her display preference."""
    person = _verified_person(request)
    if person is None or not request.session.get(_SESSION_KEY, {}).get("confirmed"):
        return redirect("vouchers:activate")
    error = ""
    form = AgreeForm(request.POST or None, initial={"elder_mode": "1" if person.age >= 60 else "0"})
    if request.method == "POST" and form.is_valid():
        try:
            finish_activation(person, user=request.user, elder_mode=form.cleaned_data["elder_mode"],
                              ip=client_ip(request))
        except VoucherError as exc:
            error = exc.message
        else:
            request.session.pop(_SESSION_KEY, None)
            rescue.note_finished(request, "activation")
            _note_screen(request, "done", person)
            response = redirect("vouchers:code")
            remember_elder_mode(response, form.cleaned_data["elder_mode"])
            return trust_if_asked(request, response, request.user)
    if request.method == "GET":
        _note_screen(request, "agree", person)
    return render(request, "vouchers/agree.html", {"form": form, "step": 3, "error": error,
                                                   "offer_trust": may_offer_trust(request)})


def _code_gone(request: HttpRequest) -> HttpResponse:
    """The refreshing card of a proxy whose grant no longer includes show_code: the code goes away."""
    return render(request, "vouchers/_code_gone.html", status=403)


def _card_url(request: HttpRequest, large: bool) -> str:
    """The refresh address names whose code the page shows, so a page opened for her never turns into
    someone else's code after the acting context changes (a revoke, or "回到我自己" in another tab)."""
    params = {}
    if large:
        params["large"] = "1"
    grant = request.acting_grant
    params["as"] = str(grant.public_id) if grant else "self"
    return reverse("vouchers:code_card") + "?" + urlencode(params)


def _code_context(request: HttpRequest, person, *, large: bool = False, voucher=None) -> dict | None:
    voucher = voucher or voucher_as_loaded(person)
    if voucher is None or voucher.status != VoucherStatus.ACTIVE:
        return None
    issued = int(time.time())
    token = issue_code_token(voucher.public_id, now=issued)
    return {
        "person": person,
        "voucher": voucher,
        "acting": request.acting_grant is not None,
        "qr": qr_png_data_uri(token),
        "issued_at": issued,
        "refresh_seconds": settings.CODE_REFRESH_SECONDS,
        "ttl_seconds": settings.CODE_TTL_SECONDS,
        "large": large,
        "card_url": _card_url(request, large),
    }


@never_cache
@login_required
@requires_scope("show_code")
def code(request: HttpRequest) -> HttpResponse:
    """Her code: herself, or (acting for her) a proxy whose grant includes show_code."""
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    voucher = voucher_as_loaded(person)
    if voucher is None or voucher.status != VoucherStatus.ACTIVE:
        return render(request, "vouchers/not_active.html", {"voucher": voucher, "acting": request.acting_grant})
    large = request.resolver_match.url_name == "code_large"
    grant = request.acting_grant
    seen = request.GET.get("after", "")
    if grant is None and 0 < len(seen) <= _SETTLEMENT_ID_LENGTH:
        # She has seen that settlement's result (再出示医保码): her pages' sockets no longer bring it back.
        request.session[SETTLEMENT_SEEN_KEY] = seen
    note_code_shown(person, actor=request.user, grant_id=grant.pk if grant else None, ip=client_ip(request))
    return render(request, "vouchers/code.html", _code_context(request, person, large=large, voucher=voucher))


@never_cache
@login_required
@requires_scope("show_code", denied=_code_gone)
def code_card(request: HttpRequest) -> HttpResponse:
    """The fragment htmx swaps in every 30 seconds: a fresh QR and countdown. Checked again each time,
    so a revoked proxy's open page stops getting codes."""
    person = request.subject_person
    grant = request.acting_grant
    expected = str(grant.public_id) if grant else "self"
    if person is None or request.GET.get("as", expected) != expected:
        return render(request, "vouchers/_code_gone.html", status=403 if grant or request.GET.get("as") else 200)
    context = _code_context(request, person, large=request.GET.get("large") == "1")
    if context is None:
        return render(request, "vouchers/_code_gone.html", status=200)
    return render(request, "vouchers/_code_card.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@own_account_only  # only she can suspend her own code
def lost_phone(request: HttpRequest) -> HttpResponse:
    person = request.user.person
    voucher = voucher_of(person)
    if voucher is None:
        return redirect("vouchers:activate")
    if request.method == "POST":
        # Also forgets every trusted phone of hers (the lost one may be one of them): no step-up here.
        suspend_voucher(person, actor=request.user, ip=client_ip(request))
        response = redirect("vouchers:code")
        forget_trusted_cookie(response)
        return response
    return render(request, "vouchers/lost_phone.html", {"voucher": voucher})
