"""亲情账户 pages. Every grant is looked up through the signed-in user (as proxy or as principal):
anyone else gets a 404, exactly as for a grant that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import Via
from core.acting_for import not_allowed
from core.client_address import client_ip
from core.safe_next import safe_next
from core.step_up import requires_step_up
from family import actions
from family.forms import AnswerForm, ConsentCodeForm, InviteForm, RequestGrantForm
from family.middleware import ENDED_KEY, SESSION_KEY
from family.models import GrantStatus, Scope
from family.selectors import grant_for_principal, grant_for_proxy, grants_given_by, grants_held_by
from family.wording import her_as_he_sees_her, proxy_as_she_sees_him, scopes_as_she_reads_them
from vouchers.actions import VoucherError, activate_voucher
from vouchers.selectors import voucher_status_of


def _citizen_required(view):
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.user.is_worker:
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@never_cache
@_citizen_required
def hub(request: HttpRequest) -> HttpResponse:
    return render(request, "family/hub.html", _hub_context(request))


def _hub_context(request: HttpRequest, **extra) -> dict:
    """Her side first (谁在帮我), said to her; then the people he helps, said to him (family/wording.py)."""
    person = request.user.person
    given = list(grants_given_by(person)) if person else []
    for g in given:
        g.seen_as, g.allows_text = proxy_as_she_sees_him(g.relationship), scopes_as_she_reads_them(g.scopes)
    held = list(grants_held_by(request.user))
    for g in held:
        g.seen_as = her_as_he_sees_her(g.relationship)
    helpers = [g for g in given if g.status == GrantStatus.ACTIVE]
    restorable = actions.restorable_grants(person) if person else []
    for g in restorable:
        g.seen_as = proxy_as_she_sees_him(g.relationship)
    return {
        "held": held, "helpers": helpers, "restorable": restorable,
        "pending_for_me": [g for g in given if g.status == GrantStatus.PENDING],
        "answer_form": AnswerForm(),
        # Spoken to whoever is looking: her, unless he only helps others and nobody helps him.
        "guide": "family_proxy" if held and not given else "family",
        **extra,
    }


@never_cache
@_citizen_required
@require_http_methods(["GET", "POST"])
@requires_step_up
def add(request: HttpRequest) -> HttpResponse:
    """The son asks to help his mother."""
    form = RequestGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = actions.request_grant(proxy=request.user, ip=client_ip(request), **form.cleaned_data)
        except actions.FamilyError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if grant.status == GrantStatus.ACTIVE:
                return redirect("family:hub")
            return redirect("family:consent", grant_id=grant.public_id)
    return render(request, "family/add.html", {"form": form})


@never_cache
@_citizen_required
@require_http_methods(["GET", "POST"])
@requires_step_up
def consent(request: HttpRequest, grant_id) -> HttpResponse:
    grant = grant_for_proxy(request.user, grant_id)
    if grant is None:
        raise Http404
    if grant.status != GrantStatus.PENDING:
        return redirect("family:hub")
    form = ConsentCodeForm(request.POST or None)
    notice = ""
    if request.method == "POST":
        if request.POST.get("action") == "resend":
            form = ConsentCodeForm()
            try:
                actions.resend_consent_code(grant, ip=client_ip(request))
                notice = _("已经重新发了一条验证码到她的手机。")
            except actions.FamilyError as exc:
                # A bound form can carry the refusal (an unbound one cannot: that was an error page); the
                # empty code box is no mistake of his here.
                form = ConsentCodeForm({})
                form.is_valid()
                form.errors.pop("code", None)
                form.add_error(None, exc.message)
        elif form.is_valid():
            try:
                actions.consent_with_code(grant, proxy=request.user, code=form.cleaned_data["code"],
                                          ip=client_ip(request))
            except actions.FamilyError as exc:
                form.add_error("code" if exc.field == "code" else None, exc.message)
            else:
                return redirect("family:hub")
    # A pending grant has no scopes yet: show what he asked for.
    return render(request, "family/consent.html", {"grant": grant, "form": form, "notice": notice,
                                                   "asked": grant.scope_labels(grant.requested_scopes)})


@never_cache
@_citizen_required
@require_http_methods(["GET", "POST"])
@requires_step_up
def invite(request: HttpRequest) -> HttpResponse:
    """The mother adds her son from her own account."""
    if request.user.person is None:
        return redirect("vouchers:activate")
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.invite_proxy(principal_user=request.user, phone_e164=form.cleaned_data["phone"],
                                 relationship=form.cleaned_data["relationship"], scopes=form.cleaned_data["scopes"],
                                 ip=client_ip(request))
        except actions.FamilyError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("family:hub")
    return render(request, "family/invite.html", {"form": form})


@_citizen_required
@require_POST
@requires_step_up
def answer(request: HttpRequest, grant_id) -> HttpResponse:
    grant = grant_for_principal(request.user.person, grant_id)
    if grant is None:
        raise Http404
    form = AnswerForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    scopes = form.cleaned_data.get("scopes", []) if form.is_valid() else []
    try:
        actions.answer_request(grant, principal_user=request.user, approve=approve, scopes=scopes,
                               ip=client_ip(request))
    except actions.FamilyError as exc:
        return render(request, "family/hub.html", _hub_context(request, error=exc.message), status=422)
    return redirect("family:hub")


@never_cache
@_citizen_required
@require_http_methods(["GET", "POST"])
@requires_step_up
def revoke(request: HttpRequest, grant_id) -> HttpResponse:
    """GET asks first (a page, not a pop-up: docs/design.md §6); the POST from that page ends it at once. What
    she ends she can bring back for five minutes (restore)."""
    mine = grant_for_principal(request.user.person, grant_id)
    grant = mine or grant_for_proxy(request.user, grant_id)
    if grant is None:
        raise Http404
    if request.method == "GET":
        if grant.status not in (GrantStatus.ACTIVE, GrantStatus.PENDING):
            return redirect("family:hub")
        by_her = mine is not None
        return render(request, "family/revoke_confirm.html", {
            "grant": grant, "by_her": by_her,
            "seen_as": proxy_as_she_sees_him(grant.relationship) if by_her else her_as_he_sees_her(grant.relationship),
            "allows_text": scopes_as_she_reads_them(grant.scopes) if by_her else grant.scope_labels(),
            "minutes": int(actions.RESTORE_WINDOW.total_seconds() // 60)})
    actions.revoke_grant(grant, by=request.user, ip=client_ip(request))
    if request.session.get(SESSION_KEY) == str(grant.public_id):
        request.session.pop(SESSION_KEY, None)
    return redirect("family:hub")


@_citizen_required
@require_POST
@requires_step_up
def restore(request: HttpRequest, grant_id) -> HttpResponse:
    """撤销: she brings back a grant she ended in the last five minutes."""
    grant = grant_for_principal(request.user.person, grant_id)
    if grant is None:
        raise Http404
    try:
        actions.restore_grant(grant, principal_user=request.user, ip=client_ip(request))
    except actions.FamilyError as exc:
        return render(request, "family/hub.html", _hub_context(request, error=exc.message), status=409)
    messages.success(request, _("已撤销解除：%(name)s又可以帮您了。") % {"name": grant.proxy.masked_name})
    return redirect("family:hub")


@_citizen_required
@require_POST
@requires_step_up
def renew(request: HttpRequest, grant_id) -> HttpResponse:
    grant = grant_for_principal(request.user.person, grant_id)
    if grant is None:
        raise Http404
    try:
        actions.renew_grant(grant, principal_user=request.user, ip=client_ip(request))
    except actions.FamilyError:
        pass
    return redirect("family:hub")


@_citizen_required
@require_POST
def start_acting(request: HttpRequest, grant_id) -> HttpResponse:
    grant = grant_for_proxy(request.user, grant_id)
    if grant is None or not grant.is_active:
        raise Http404
    request.session[SESSION_KEY] = str(grant.public_id)
    if Scope.SHOW_CODE in grant.scopes:
        return redirect("vouchers:code")
    if Scope.VIEW_RECORDS in grant.scopes:
        return redirect("settlement:records")
    return redirect("family:hub")


@require_POST
def stop_acting(request: HttpRequest) -> HttpResponse:
    """回到我自己; also 知道了 on the notice that a grant ended (then back to the page he was on, now his own)."""
    request.session.pop(SESSION_KEY, None)
    if request.session.pop(ENDED_KEY, None) is not None and request.POST.get("next"):
        return redirect(safe_next(request, request.POST.get("next")))
    return redirect("family:hub" if request.user.is_authenticated else "home")


@never_cache
@_citizen_required
@require_http_methods(["GET", "POST"])
def activate_for(request: HttpRequest, grant_id) -> HttpResponse:
    """With the act scope, the son opens his mother's e-voucher for her."""

    grant = grant_for_proxy(request.user, grant_id)
    if grant is None:
        raise Http404
    if not grant.allows(Scope.ACT):  # the grant in the address, not the acting-for context: checked here
        return not_allowed(request)
    person = grant.principal
    error = ""
    if request.method == "POST":
        if request.POST.get("agree") != "on":
            error = _("请先勾选“她同意开通医保码”。")
        else:
            try:
                activate_voucher(person, actor=request.user, via=Via.PROXY, ip=client_ip(request), grant_id=grant.pk)
            except VoucherError as exc:
                error = exc.message
            else:
                return redirect("family:hub")
    return render(request, "family/activate.html", {"grant": grant, "person": person, "error": error,
                                                    "status": voucher_status_of(person)})


@_citizen_required
@require_POST
def ask_help(request: HttpRequest) -> HttpResponse:
    """请家人帮我, from the help block on every page."""
    count = actions.ask_family_for_help(principal_user=request.user, ip=client_ip(request))
    if count:
        messages.success(request, _("已经告诉您的家人了（%(n)d位），他们会联系您。") % {"n": count})
    else:
        messages.info(request, _("您还没有添加能帮您的家人。可以在“亲情账户”里添加，或打12393。"))
    return redirect(safe_next(request, request.POST.get("next")))
