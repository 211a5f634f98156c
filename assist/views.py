"""Helper kiosk pages. Helpers must have passed TOTP; a session is only ever found through its own
helper; an ended session shows nothing of the citizen; nothing is cached."""

from __future__ import annotations

import datetime as dt
import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from assist import actions
from assist.forms import BindFamilyForm, CodeForm, FindCitizenForm, KioskForm, WitnessForm
from assist.middleware import KIOSK_COOKIE
from assist.models import AssistSession, ConsentVia, EndReason, SessionStatus, Task
from assist.selectors import pending_remote_approvals_for, session_for_helper, visit_queue_for
from audit.kinds import Kind
from core.client_address import client_ip
from core.qr import qr_png_data_uri
from feedback.views import complaint_flow
from live import close_session_sockets
from services.actions import ServiceError
from services.claim_views import claim_flow
from services.claims import CLAIMABLE_STATUSES
from services.entitlement_forms import ApplyEntitlementForm
from services.entitlement_views import condition_cards
from services.forms import FilingForm, MaterialsForm
from services.selectors import requirements_for, type_cards
from settlement.models import Settlement
from vouchers.codes import issue_code_token
from vouchers.selectors import voucher_of, voucher_status_of


def helper_required(view):
    """Signed in as a helper (or staff) who passed TOTP. Otherwise: to the worker sign-in."""

    @wraps(view)
    @never_cache
    def wrapped(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or user.role not in (Role.HELPER, Role.STAFF) or not user.is_verified():
            if request.method == "POST":
                return render(request, "assist/ended.html", {"reason": _("请先用帮办员账户登录（密码和动态口令）。")},
                              status=403)
            return redirect(f"/accounts/worker/login/?next={request.path}")
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, max-age=0"
        return response

    return wrapped


def _open_session(request: HttpRequest, session_id) -> AssistSession | HttpResponse:
    session = session_for_helper(request.user, session_id)
    if session is None:
        raise Http404
    if session.kiosk_id is None or request.kiosk is None or session.kiosk_id != request.kiosk.pk:
        # Only at the kiosk where it began, with her in front of it: not from the helper's phone or home.
        return render(request, "assist/ended.html", {"reason": _("这次帮办只能在开始它的帮办终端上继续。")},
                      status=403)
    if session.status in (SessionStatus.AWAITING_CONSENT, SessionStatus.ACTIVE) and session.is_idle:
        actions.end_session(session, reason=EndReason.TIMEOUT, ip=client_ip(request))
        session.refresh_from_db()
        _close_this_browsers_sockets(request)
    if session.status in (SessionStatus.ENDED, SessionStatus.REFUSED):
        # Nothing of her here: not her name, not what was done.
        return render(request, "assist/ended.html", {"reason": _("这次帮办已经结束。")}, status=410)
    return session


def _dashboard(request: HttpRequest, *, unconfirmed: AssistSession | None = None) -> HttpResponse:
    """The helper's day and, for staff, the witnessed sessions to review; `unconfirmed` is one whose undo was
    pressed without ticking "我已核实，确定撤销"."""
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    sessions = AssistSession.objects.filter(helper=request.user, started_at__gte=start).select_related("citizen")
    review = []
    if request.user.role == Role.STAFF:
        review = AssistSession.objects.filter(needs_review=True).select_related("citizen", "helper")
    return render(request, "assist/dashboard.html", {
        "sessions": sessions,
        "waiting": [s for s in sessions if s.status == SessionStatus.AWAITING_CONSENT and s.consent_proxy_id],
        "review": review,
        "unconfirmed": unconfirmed.public_id if unconfirmed else None,
        "visit_queue": visit_queue_for(request.user)[:5],  # 上门服务 waiting for this helper
    })


@helper_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard(request)


@helper_required
@require_http_methods(["GET", "POST"])
def register_kiosk(request: HttpRequest) -> HttpResponse:
    form = KioskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _kiosk, token = actions.register_kiosk(by=request.user, **form.cleaned_data)
        response = redirect("assist:dashboard")
        response.set_cookie(KIOSK_COOKIE, token, max_age=5 * 365 * 24 * 3600, httponly=True, samesite="Strict",
                            secure=request.is_secure())
        return response
    return render(request, "assist/register.html", {"form": form})


@helper_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    form = FindCitizenForm(request.POST or None)
    if request.method == "POST" and request.kiosk is None:
        form.is_valid()
        form.add_error(None, _("这台机器还没有登记为帮办终端，不能开始帮办。请先登记这台机器，或到已登记的帮办终端上办理。"))
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            citizen = actions.find_citizen(name=data["name"], id_number=data["id_number"], code=data["code"],
                                           ip=client_ip(request), kiosk=request.kiosk)
            session = actions.start_session(helper=request.user, kiosk=request.kiosk, citizen=citizen,
                                            tasks=data["tasks"], ip=client_ip(request))
        except actions.AssistError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("assist:consent", session_id=session.public_id)
    return render(request, "assist/start.html", {"form": form})


@helper_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, session_id) -> HttpResponse:
    session = _open_session(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    if session.status == SessionStatus.ACTIVE:
        return redirect("assist:session", session_id=session.public_id)
    actions.touch(session)  # the helper and she are at this page: the idle count starts again, as on the page
    ip = client_ip(request)
    code_form, witness_form = CodeForm(), WitnessForm()
    notice, error = "", ""
    family = actions.family_who_may_approve(session)
    if request.method == "POST":
        step = request.POST.get("step")
        try:
            if step == "send_code":
                actions.send_consent_code(session, ip=ip)
                notice = _("验证码已发到她在医保局登记的手机。请她把6位数字念给您。")
                code_form.fields["code"].widget.attrs["data-focus-next"] = ""  # static/js/alerts.js
            elif step == "code":
                code_form = CodeForm(request.POST)
                if code_form.is_valid():
                    actions.consent_by_code(session, code=code_form.cleaned_data["code"], ip=ip)
                    return redirect("assist:session", session_id=session.public_id)
            elif step == "family":
                grant = next((g for g in family if str(g.public_id) == request.POST.get("grant")), None)
                if grant is None:
                    raise actions.AssistError(_("请选一位家人。"))
                actions.ask_family_to_approve(session, grant=grant, ip=ip)
                notice = _("已经发给家人，请等家人在手机上同意。这一页会自动更新。")
            elif step == "witness":
                witness_form = WitnessForm(request.POST)
                if witness_form.is_valid():
                    actions.consent_witnessed(session, reason=witness_form.cleaned_data["reason"], ip=ip)
                    return redirect("assist:session", session_id=session.public_id)
            elif step == "refuse":
                actions.refuse(session, ip=ip)
                return _ended_response(request, _("她不同意，这次帮办没有办理任何事。"))
        except actions.AssistError as exc:
            # A wrong code or a missing reason is said next to its field; anything else at the top.
            if step == "code" and exc.field == "code":
                code_form.add_error("code", exc.message)
            elif step == "witness" and exc.field == "reason":
                witness_form.add_error("reason", exc.message)
            else:
                error = exc.message
    session.refresh_from_db()
    return render(request, "assist/consent.html", {
        "session": session, "code_form": code_form, "witness_form": witness_form, "family": family,
        "notice": notice, "error": error,
    })


@helper_required
def consent_status(request: HttpRequest, session_id) -> HttpResponse:
    """Polled by the consent page while the son decides on his phone."""
    session = _open_session(request, session_id)
    if isinstance(session, HttpResponse):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = "/assist/"
        return response
    if session.status == SessionStatus.ACTIVE:
        response = HttpResponse(status=200)
        response["HX-Redirect"] = f"/assist/s/{session.public_id}/"
        return response
    return render(request, "assist/_waiting.html", {"session": session})


@helper_required
def session_home(request: HttpRequest, session_id) -> HttpResponse:
    session = _open_session(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    if request.GET.get("touch") == "1":  # kiosk.js: "继续", or someone is using the page
        actions.touch(session)
        return HttpResponse(status=204)
    if session.status != SessionStatus.ACTIVE:
        return redirect("assist:consent", session_id=session.public_id)
    actions.touch(session)
    return render(request, "assist/session.html", {"session": session, "tasks": Task})


def _task_view(task: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, session_id, *args, **kwargs):
            session = _open_session(request, session_id)
            if isinstance(session, HttpResponse):
                return session
            try:
                actions.require_task(session, task)
            except actions.AssistError as exc:
                return render(request, "assist/not_allowed.html", {"session": session, "reason": exc.message},
                              status=403)
            if request.GET.get("card") != "1":  # the code's own refresh is not someone using the kiosk
                actions.touch(session)
            return view(request, session, *args, **kwargs)

        return helper_required(wrapped)

    return decorator


@_task_view(Task.ACTIVATE)
@require_http_methods(["GET", "POST"])
def do_activate(request: HttpRequest, session: AssistSession) -> HttpResponse:

    error = ""
    if request.method == "POST":
        try:
            actions.activate_for_citizen(session, ip=client_ip(request))
        except actions.AssistError as exc:
            error = exc.message
        else:
            return redirect("assist:session", session_id=session.public_id)
    return render(request, "assist/activate.html", {"session": session, "error": error,
                                                    "status": voucher_status_of(session.citizen)})


@_task_view(Task.BIND_FAMILY)
@require_http_methods(["GET", "POST"])
def do_bind_family(request: HttpRequest, session: AssistSession) -> HttpResponse:
    form = BindFamilyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.bind_family_for_citizen(session, ip=client_ip(request), phone_e164=form.cleaned_data["phone"],
                                            relationship=form.cleaned_data["relationship"],
                                            scopes=form.cleaned_data["scopes"])
        except actions.AssistError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("assist:session", session_id=session.public_id)
    return render(request, "assist/bind_family.html", {"session": session, "form": form})


@_task_view(Task.SHOW_CODE)
def do_show_code(request: HttpRequest, session: AssistSession) -> HttpResponse:
    context = _code_card_context(request, session)
    if request.GET.get("card") != "1":
        actions.note_task_use(session, Task.SHOW_CODE, Kind.CODE_SHOWN, ip=client_ip(request))
        return render(request, "assist/code.html", {"session": session, **context})
    return render(request, "vouchers/_code_card.html", context)


def _code_card_context(request: HttpRequest, session: AssistSession) -> dict:



    voucher = voucher_of(session.citizen)
    if voucher is None or not voucher.is_active:
        return {"person": session.citizen, "qr": None}
    issued = int(time.time())
    return {"person": session.citizen, "voucher": voucher, "qr": qr_png_data_uri(issue_code_token(voucher.public_id,
                                                                                                   now=issued)),
            "issued_at": issued, "refresh_seconds": settings.CODE_REFRESH_SECONDS, "large": True,
            "card_url": f"/assist/s/{session.public_id}/code/?card=1"}


@_task_view(Task.CHRONIC)
@require_http_methods(["GET", "POST"])
def do_chronic(request: HttpRequest, session: AssistSession) -> HttpResponse:
    form = ApplyEntitlementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.apply_chronic_for_citizen(session, condition=form.cleaned_data["condition"],
                                              hospital=form.cleaned_data["hospital"],
                                              photo=form.cleaned_data["photo"], ip=client_ip(request))
        except actions.AssistError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("门诊慢特病的申请已经交上去了。审核好了会发短信告诉她。"))
            return redirect("assist:session", session_id=session.public_id)
    return render(request, "assist/chronic.html", {"session": session, "form": form,
                                                   "cards": condition_cards(session.citizen),
                                                   "chosen": form["condition"].value() or ""})


@_task_view(Task.FILE_CROSS_REGION)
@require_http_methods(["GET", "POST"])
def do_file_filing(request: HttpRequest, session: AssistSession) -> HttpResponse:
    """异地就医备案 at the kiosk, in the same two screens as on her phone (services/views.py): type, city and
    dates; then one photo per material and her promise, read out to her before the helper ticks it."""
    step = request.POST.get("step")
    form = FilingForm(request.POST or None, hidden=step == "2")
    materials = None
    if request.method == "POST" and step != "back" and form.is_valid():
        values = form.values()
        requirements = requirements_for(values["filing_type"], values["region_code"])
        if step == "2":
            materials = MaterialsForm(request.POST, request.FILES, requirements=requirements)
            if materials.is_valid():
                try:
                    actions.file_filing_for_citizen(session, values=values, photos=materials.photos,
                                                    promised=materials.cleaned_data["promised"], ip=client_ip(request))
                except actions.AssistError as exc:
                    if exc.field in FilingForm.base_fields:
                        form, materials = FilingForm(request.POST), None
                        form.is_valid()
                        form.add_error(exc.field, exc.message)
                    else:
                        materials.add_error(exc.field if exc.field in materials.fields else None, exc.message)
                else:
                    messages.success(request, _("异地就医备案已经交上去了。结果会发短信告诉她。"))
                    return redirect("assist:session", session_id=session.public_id)
        else:
            try:
                actions.check_filing_for_citizen(session, values)
            except actions.AssistError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                form, materials = FilingForm(request.POST, hidden=True), MaterialsForm(requirements=requirements)
                form.is_valid()
    elif step in ("2", "back"):
        form = FilingForm(initial=request.POST.dict())
    return render(request, "assist/file_filing.html", {"session": session, "form": form, "materials": materials,
                                                       "cards": type_cards()})


@_task_view(Task.CLAIM)
@require_http_methods(["GET", "POST"])
def do_claim(request: HttpRequest, session: AssistSession) -> HttpResponse:
    """手工报销 at the kiosk, in the same two screens as on her phone (services/claim_views.py): from one of her
    failed settlements (listed first) or from nothing; the invoice and payment slip photographed here."""

    def submit(**values):
        try:
            return actions.claim_for_citizen(session, ip=client_ip(request), **values)
        except actions.AssistError as exc:
            raise ServiceError(exc.message, exc.field) from None

    def done(claim) -> HttpResponse:
        messages.success(request, _("报销申请已经交上去了。审核好了会发短信告诉她。"))
        return redirect("assist:session", session_id=session.public_id)

    def claimed(claim) -> HttpResponse:
        messages.info(request, _("这笔已经申请过报销了（%(status)s），不用再申请。") % {"status": claim.get_status_display()})
        return redirect("assist:session", session_id=session.public_id)

    failed = (Settlement.objects.filter(person=session.citizen, status__in=CLAIMABLE_STATUSES)
              .select_related("institution")[:5])
    return claim_flow(request, session.citizen, submit=submit, done=done, claimed=claimed, context={
        "post_url": reverse("assist:claim", args=[session.public_id]), "session": session, "failed": failed})


@_task_view(Task.COMPLAINT)
@require_http_methods(["GET", "POST"])
def do_complaint(request: HttpRequest, session: AssistSession) -> HttpResponse:
    """投诉或举报 at the kiosk, in her words or her voice, with feedback's form and action (feedback/views.py)."""

    def done(complaint) -> HttpResponse:
        actions.mark_done(session, Task.COMPLAINT)
        messages.success(request, _("已经交给医保局了，24小时内答复，会发短信告诉她。"))
        return redirect("assist:session", session_id=session.public_id)

    acting = {"actor": request.user, "via": "helper", "assist_session_id": session.pk, "ip": client_ip(request)}
    return complaint_flow(request, session.citizen, acting=acting, done=done, context={"helper_session": session})


@_task_view(Task.CHECK_RECORDS)
def do_records(request: HttpRequest, session: AssistSession) -> HttpResponse:

    actions.note_task_use(session, Task.CHECK_RECORDS, Kind.RECORDS_VIEWED, ip=client_ip(request))
    settlements = Settlement.objects.filter(person=session.citizen).select_related("institution")[:10]
    return render(request, "assist/records.html", {"session": session, "settlements": settlements,
                                                   "contributions": session.citizen.contributions.all()[:6]})


@helper_required
@require_POST
def end(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_helper(request.user, session_id)
    if session is None:
        raise Http404
    reason = request.POST.get("reason")
    reason = reason if reason in (EndReason.HELPER, EndReason.CITIZEN, EndReason.TIMEOUT) else EndReason.HELPER
    actions.end_session(session, reason=reason, ip=client_ip(request))
    if reason == EndReason.TIMEOUT:
        return _ended_response(request, _("长时间没有操作，帮办已自动结束，这台机器上已经没有她的信息了。"))
    return _ended_response(request, _("帮办已结束，这台机器上已经没有她的信息了。"))


def _close_this_browsers_sockets(request: HttpRequest) -> None:
    """The kiosk is wiped for the next person: its open sockets (her live settlements) close too."""
    close_session_sockets(request.session.session_key)


def _ended_response(request: HttpRequest, message: str) -> HttpResponse:
    """Wipe: the browser drops its cache of her pages, the kiosk goes back to its defaults for the next person:
    elder mode and voice on (elder_mode/preferences.py: a kiosk without the cookies has both on)."""
    _close_this_browsers_sockets(request)
    response = render(request, "assist/ended.html", {"reason": message, "wiped": True})
    response["Clear-Site-Data"] = '"cache"'
    response["Cache-Control"] = "no-store, max-age=0"
    response.delete_cookie("elder_mode")
    response.delete_cookie("voice")
    return response


@helper_required
@require_POST
def review(request: HttpRequest, session_id) -> HttpResponse:
    if request.user.role != Role.STAFF:
        raise Http404
    session = AssistSession.objects.filter(public_id=session_id, needs_review=True).first()
    if session is None:
        raise Http404
    actions.review_witnessed(session, staff=request.user)
    return redirect("assist:dashboard")


@helper_required
@require_POST
def undo(request: HttpRequest, session_id) -> HttpResponse:
    """撤销此次办理, from the staff review of a witnessed session."""
    if request.user.role != Role.STAFF:
        raise Http404
    session = AssistSession.objects.filter(public_id=session_id, consent_via=ConsentVia.WITNESSED).first()
    if session is None:
        raise Http404
    if request.POST.get("confirm") != "yes":  # the confirm step is a tick on the page, not a browser pop-up
        return _dashboard(request, unconfirmed=session)
    undone = actions.undo_witnessed(session, staff=request.user, ip=client_ip(request))
    messages.success(request, _undone_message(undone))
    return redirect("assist:dashboard")


def _undone_message(undone: actions.Undone) -> str:
    """Names what was actually taken back."""
    if undone.already:
        return _("这次办理之前已经撤销过了，这次没有再改动什么。")
    n = {"n": undone.grants_revoked}
    if undone.grants_revoked and undone.voucher_suspended:
        return _("已撤销：撤销了%(n)d个家人绑定，暂停了她的医保码。已发短信告诉她。") % n
    if undone.grants_revoked:
        return _("已撤销：撤销了%(n)d个家人绑定。已发短信告诉她。") % n
    if undone.voucher_suspended:
        return _("已撤销：暂停了她的医保码。已发短信告诉她。")
    return _("这次办理没有绑定家人，也没有开通医保码，没有要撤销的；这条见证同意已经复核。")


@never_cache
@require_http_methods(["GET", "POST"])
def family_approval(request: HttpRequest, session_id) -> HttpResponse:
    """The son's phone: 社区帮办员王XX正在为您母亲办理激活，是否同意？"""
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    session = None
    try:
        session = (AssistSession.objects.select_related("helper", "citizen", "kiosk")
                   .filter(public_id=session_id, consent_proxy=request.user).first())
    except (ValueError, TypeError):
        session = None
    if session is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            actions.answer_as_family(session, proxy=request.user, approve=request.POST.get("decision") == "approve",
                                     ip=client_ip(request))
        except actions.AssistError as exc:
            error = exc.message
        else:
            if request.POST.get("decision") == "approve":
                messages.success(request, _("您已同意，帮办员现在可以为她办理了。"))
            else:
                messages.success(request, _("您没有同意，帮办员不会为她办理。"))
            return redirect("family:hub")
    return render(request, "assist/family_approval.html", {
        "session": session, "error": error, "pending": session.status == SessionStatus.AWAITING_CONSENT,
        # The banner that leads here is not shown on this very page.
        "assist_pending": [p for p in pending_remote_approvals_for(request.user)[:3] if p.pk != session.pk],
    })
