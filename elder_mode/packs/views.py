"""Staff and registered volunteers: the packs with their coverage, recording one sentence, the review queue, and
(staff only) registering volunteers. `/staff/voice-packs/…`. Anyone else: signed out → the worker sign-in page,
signed in → 403 with a plain sentence. Thin views: the work is in actions and selectors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from elder_mode.models import DialectPack, PackRecorder, VoiceClip
from elder_mode.packs import actions, selectors
from elder_mode.packs.validation import max_bytes, max_seconds
from elder_mode.voice.guides import GUIDES

PER_PAGE = 10  # a page of sentences stays a few screens long on her phone
SHOWS = {
    "todo": (selectors.MISSING, selectors.STALE),
    "missing": (selectors.MISSING,),
    "stale": (selectors.STALE,),
    "waiting": (selectors.WAITING,),
    "approved": (selectors.APPROVED,),
    "all": (selectors.MISSING, selectors.STALE, selectors.WAITING, selectors.APPROVED),
}


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "elder_mode/packs/forbidden.html", {"message": message}, status=403)


def pack_people_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff (password + TOTP) or a registered volunteer."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if selectors.may_use_packs(request.user):
            return view(request, *args, **kwargs)
        if not request.user.is_authenticated and request.method != "POST":
            return redirect_to_login(request.get_full_path(), reverse("accounts:worker_login"))
        return _refuse(request, _("只有医保局工作人员和登记过的录音志愿者才能打开这里。"))

    return wrapper


def _pack(request: HttpRequest, code: str) -> DialectPack:
    pack = selectors.packs_for(request.user).filter(code=code).first()
    if pack is None:
        raise Http404
    return pack


@never_cache
@require_safe
@pack_people_only
def index(request: HttpRequest) -> HttpResponse:
    packs = [selectors.coverage(pack) for pack in selectors.packs_for(request.user)]
    return render(request, "elder_mode/packs/index.html", {
        "coverages": packs, "waiting": selectors.review_queue(request.user).count(),
        "is_staff": selectors.is_pack_staff(request.user)})


@never_cache
@require_safe
@pack_people_only
def pack_detail(request: HttpRequest, code: str) -> HttpResponse:
    pack = _pack(request, code)
    cover = selectors.coverage(pack)
    show = request.GET.get("show") if request.GET.get("show") in SHOWS else "todo"
    rows = [row for row in cover.rows if row.state in SHOWS[show]]
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "elder_mode/packs/pack.html", {"cover": cover, "pack": pack, "page": page, "show": show,
                                                          "shows": SHOWS})


@never_cache
@require_http_methods(["GET", "POST"])
@pack_people_only
def record(request: HttpRequest, code: str, key: str) -> HttpResponse:
    pack = _pack(request, code)
    if key not in GUIDES:
        raise Http404
    error, status = "", 200
    if request.method == "POST":
        upload = request.FILES.get("recording")
        if upload is None:
            error, status = _("还没有录音。请按“开始录音”，读完这一句再按“停止”，然后按“发送”。"), 400
        elif upload.size > max_bytes():
            error, status = _("录音文件太大了，请只录这一句，再发一次。"), 400
        else:
            try:
                actions.record_clip(actor=request.user, pack=pack, guide_key=key, content=upload.read())
            except actions.PackError as exc:
                error, status = exc.message, 400
            else:
                messages.success(request, _("录好了，已经送去审核。另一位志愿者或工作人员听过后就能用了。"))
                return redirect("voice_packs:pack", pack.code)
    return render(request, "elder_mode/packs/record.html", {
        "pack": pack, "key": key, "text": GUIDES[key]["cmn"], "error": error, "max_seconds": int(max_seconds()),
        "clips": selectors.clips_for_sentence(pack, key)}, status=status)


@never_cache
@require_safe
@pack_people_only
def review_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.review_queue(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "elder_mode/packs/review.html", {"page": page})


@never_cache
@require_POST
@pack_people_only
def review(request: HttpRequest, public_id) -> HttpResponse:
    clip = VoiceClip.objects.filter(public_id=public_id).first()
    if clip is None:
        raise Http404
    try:
        if request.POST.get("do") == "approve":
            actions.approve_clip(actor=request.user, clip_id=clip.pk)
            messages.success(request, _("已通过。选了这个方言的人现在会听到这段录音。"))
        else:
            actions.reject_clip(actor=request.user, clip_id=clip.pk, reason=request.POST.get("reason", ""))
            messages.success(request, _("已退回，录音的人会看到原因。"))
    except actions.PackError as exc:
        page = Paginator(selectors.review_queue(request.user), PER_PAGE).get_page(request.GET.get("page"))
        return render(request, "elder_mode/packs/review.html", {"page": page, "error": exc.message,
                                                                "error_clip": clip.public_id}, status=400)
    return redirect("voice_packs:review_queue")


@never_cache
@require_safe
@pack_people_only
def clip_audio(request: HttpRequest, public_id) -> HttpResponse:
    clip = VoiceClip.objects.select_related("pack").filter(public_id=public_id).first()
    if clip is None or not selectors.may_record(request.user, clip.pack) or not clip.audio:
        raise Http404
    try:
        handle = Path(clip.audio.path).open("rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="audio/mpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def _phone_e164(raw: str) -> str | None:
    digits = "".join(ch for ch in raw if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return f"+86{digits}"
    return None


@never_cache
@require_http_methods(["GET", "POST"])
@pack_people_only
def volunteers(request: HttpRequest) -> HttpResponse:
    if not selectors.is_pack_staff(request.user):
        return _refuse(request, _("只有医保局工作人员才能登记录音志愿者。"))
    error, status = "", 200
    packs = list(DialectPack.objects.filter(active=True))
    if request.method == "POST":
        phone = _phone_e164(request.POST.get("phone", ""))
        chosen = [p for p in packs if str(p.pk) in request.POST.getlist("packs")]
        users = get_user_model().objects
        user = users.get_by_phone(phone) if phone and hasattr(users, "get_by_phone") else None
        if phone is None:
            error, status = _("请填写11位手机号。"), 400
        elif user is None:
            error, status = _("这个手机号还没有注册医保通。请志愿者先用这个手机号登录一次。"), 400
        else:
            try:
                actions.register_recorder(actor=request.user, user=user, packs=chosen)
            except actions.PackError as exc:
                error, status = exc.message, 400
            else:
                messages.success(request, _("已登记。") if chosen else _("已停止这位志愿者录音。"))
                return redirect("voice_packs:volunteers")
    recorders = PackRecorder.objects.filter(active=True).select_related("user").prefetch_related("packs")
    page = Paginator(recorders.order_by("-created_at", "-id"), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "elder_mode/packs/volunteers.html", {"packs": packs, "page": page, "error": error},
                  status=status)

