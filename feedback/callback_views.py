"""请帮办员打电话给我 (anyone, signed in or not) and the helpers' call-back queue (helpers with password + TOTP).
Views are thin: feedback/rescue.py does the work."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from core import rescue as giving_up
from core.client_address import client_ip
from core.masking import mask_phone
from feedback import rescue
from feedback.models import CallbackRequest, CallbackStatus
from insurance.identity import InvalidIdentifier, normalize_mobile
from insurance.regions import REGION_NAMES, region_name

_DONE_KEY = "callback_done"
_REGION_KEY = "callback_region"


class CallMeForm(forms.Form):
    # A plain box: MobileField's own clean would refuse the empty box that means "the number you know".
    phone = forms.CharField(label=gettext_lazy("打哪个手机号"), required=False, max_length=20,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))

    def __init__(self, *args, known_phone: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.known_phone = known_phone
        if known_phone:
            self.fields["phone"].label = gettext_lazy("换一个号码（可以不填）")

    def clean_phone(self) -> str:
        # An empty box means "the number you know", when there is one; otherwise "请填写手机号。".
        raw = (self.cleaned_data.get("phone") or "").strip()
        if not raw and self.known_phone:
            return self.known_phone
        try:
            return normalize_mobile(raw)
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("回电结果"), widget=forms.RadioSelect,
                                choices=[(o.value, o.label) for o in rescue.OUTCOMES],
                                error_messages={"required": gettext_lazy("请选一个回电结果。"),
                                                "invalid_choice": gettext_lazy("请选一个回电结果。")})
    note = forms.CharField(label=gettext_lazy("备注（可以不填）"), required=False, max_length=200,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"max_length": gettext_lazy("备注最多200个字。")})


def helper_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A helper (or staff) signed in with password and TOTP, as for the helper's kiosk pages."""

    @wraps(view)
    @never_cache
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or user.role not in (Role.HELPER, Role.STAFF) or not user.is_verified():
            if request.method == "POST":
                return HttpResponseForbidden(_("请先用帮办员账户登录（密码和动态口令）。"),
                                             content_type="text/plain; charset=utf-8")
            return redirect(f"/accounts/worker/login/?next={request.path}")
        return view(request, *args, **kwargs)

    return wrapped


def _citizen_phone(request: HttpRequest) -> str:
    user = request.user
    return user.phone if user.is_authenticated and not user.is_worker else ""


@never_cache
def family_help(request: HttpRequest) -> HttpResponse:
    """请家人帮我, for someone not signed in: how her family can do it from their own phone."""
    return render(request, "feedback/callback_family.html")


@never_cache
@require_http_methods(["GET", "POST"])
def call_me(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_worker:
        raise Http404
    known = _citizen_phone(request)
    form = CallMeForm(request.POST or None, known_phone=known)
    if request.method == "POST" and form.is_valid():
        offer = giving_up.last_offer(request)
        try:
            rescue.request_callback(phone_e164=form.cleaned_data["phone"], user=request.user, offer=offer,
                                    ip=client_ip(request))
        except rescue.CallbackError as exc:
            form.add_error(None, exc.message)
        else:
            giving_up.clear_offer(request)
            request.session[_DONE_KEY] = mask_phone(form.cleaned_data["phone"])
            return redirect("rescue:call_me_done")
    return render(request, "feedback/callback.html", {"form": form, "masked_phone": mask_phone(known) if known else ""})


@never_cache
def call_me_done(request: HttpRequest) -> HttpResponse:
    masked = request.session.get(_DONE_KEY)
    if not masked:
        return redirect("rescue:call_me")
    return render(request, "feedback/callback_done.html", {"masked_phone": masked, "within": rescue.CALL_WITHIN})


def _helper_region(request: HttpRequest) -> str:
    """Her region: the one she chose on the queue page, else where her last call-back was."""
    chosen = request.GET.get("region")
    if chosen is not None and (chosen in REGION_NAMES or chosen == ""):
        request.session[_REGION_KEY] = chosen
        return chosen
    if _REGION_KEY in request.session:
        return request.session[_REGION_KEY]
    last = (CallbackRequest.objects.filter(helper=request.user).exclude(region_code="")
            .order_by("-created_at").values_list("region_code", flat=True).first())
    return last or ""


@helper_required
def queue(request: HttpRequest) -> HttpResponse:
    region = _helper_region(request)
    waiting = list(rescue.queue_for(request.user, region)[:50])
    return render(request, "feedback/callback_queue.html", {
        "waiting": waiting, "mine": rescue.taken_by(request.user), "region": region,
        "region_label": region_name(region) if region else "",
        "regions": sorted(REGION_NAMES.items(), key=lambda item: item[0]),
    })


@helper_required
@require_POST
def take(request: HttpRequest, callback_id) -> HttpResponse:
    try:
        callback = rescue.take_callback(callback_id, helper=request.user, ip=client_ip(request))
    except rescue.CallbackError as exc:
        return render(request, "feedback/callback_queue.html", {
            "error": exc.message, "waiting": list(rescue.queue_for(request.user, _helper_region(request))[:50]),
            "mine": rescue.taken_by(request.user), "regions": sorted(REGION_NAMES.items())}, status=409)
    return redirect("rescue:detail", callback_id=callback.public_id)


@helper_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, callback_id) -> HttpResponse:
    """The call-back she took: the number to call in full (only to her), what went wrong, and the outcome."""
    callback = CallbackRequest.objects.filter(public_id=callback_id, helper=request.user).first()
    if callback is None:
        raise Http404
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rescue.record_outcome(callback.public_id, helper=request.user, outcome=form.cleaned_data["outcome"],
                                  note=form.cleaned_data["note"], ip=client_ip(request))
        except rescue.CallbackError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("rescue:queue")
    return render(request, "feedback/callback_detail.html", {
        "callback": callback, "form": form, "step": rescue.step_label(callback.step),
        "resolved": callback.status == CallbackStatus.RESOLVED})
