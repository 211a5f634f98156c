"""Practice mode's pages (练习). Nobody needs to be signed in: an elder practises before she has activated
anything. Her practice pages open only in the browser session that started (or joined) the practice; the practice
counter opens only with its secret link. Every page says "练习，不会扣钱"."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.practice import PRACTICE_PREFIX
from core.qr import qr_png_data_uri
from learn.actions import (
    PRETEND_FUND_SHARE,
    PracticeError,
    join_class,
    settle_pretend_bill,
    start_class,
    start_practice,
)
from learn.models import PRACTICE_HOURS, PracticeKind, PracticeSession
from learn.practice_forms import JoinClassForm, PracticeBillForm
from learn.practice_push import result_context, seats_context
from learn.selectors import (
    COUNTERS_KEY,
    MAX_REMEMBERED,
    SEATS_KEY,
    latest_bill,
    owned_practice,
    practice_for_counter,
    seats_of,
)


def _remember(request: HttpRequest, key: str, practice: PracticeSession) -> None:
    """This browser session may open this practice (her pages) or listen to this counter from now on."""
    known = [value for value in request.session.get(key, []) if value != str(practice.public_id)]
    request.session[key] = [*known, str(practice.public_id)][-MAX_REMEMBERED:]


def _common(**extra: Any) -> dict[str, Any]:
    return {"practice_hours": PRACTICE_HOURS, "fund_percent": int(PRETEND_FUND_SHARE * 100), **extra}


def _expired(request: HttpRequest) -> HttpResponse:
    return render(request, "learn/practice_expired.html", _common(), status=410)


def _hers(request: HttpRequest, public_id) -> PracticeSession:
    practice = owned_practice(request.session, public_id)
    if practice is None:  # a stranger's link, or another phone: as if there were nothing here
        raise Http404
    return practice


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        practice = start_practice()
        _remember(request, SEATS_KEY, practice)
        return redirect("learn:practice_home", public_id=practice.public_id)
    return render(request, "learn/practice_start.html", _common(join_form=JoinClassForm()))


@require_POST
def join(request: HttpRequest) -> HttpResponse:
    form = JoinClassForm(request.POST)
    if form.is_valid():
        try:
            seat = join_class(form.cleaned_data["class_code"])
        except PracticeError as exc:
            form.add_error("class_code", exc.message)
        else:
            _remember(request, SEATS_KEY, seat)
            return redirect("learn:practice_home", public_id=seat.public_id)
    return render(request, "learn/practice_start.html", _common(join_form=form), status=422)


@never_cache  # hers (or a counter's) alone: no shared cache may keep it
def home(request: HttpRequest, public_id) -> HttpResponse:
    practice = _hers(request, public_id)
    if practice.is_expired:
        return _expired(request)
    counter_url = ""
    if practice.kind == PracticeKind.SOLO:
        counter_url = request.build_absolute_uri(reverse("learn:practice_counter", args=[practice.counter_secret]))
    return render(request, "learn/practice_home.html", _common(
        practice=practice, counter_url=counter_url, counter_qr=qr_png_data_uri(counter_url)
        if counter_url else ""))


@never_cache  # hers (or a counter's) alone: no shared cache may keep it
def code(request: HttpRequest, public_id) -> HttpResponse:
    practice = _hers(request, public_id)
    if practice.is_expired:
        return _expired(request)
    last = latest_bill(practice)
    return render(request, "learn/practice_code.html", _common(
        practice=practice, qr=qr_png_data_uri(PRACTICE_PREFIX + practice.code_token),
        seen=last.pk if last else 0))


@never_cache  # hers (or a counter's) alone: no shared cache may keep it
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest, secret: str) -> HttpResponse:
    practice = practice_for_counter(secret)
    if practice is None:
        raise Http404
    if practice.is_expired:
        return _expired(request)
    _remember(request, COUNTERS_KEY, practice)
    room = practice.kind == PracticeKind.CLASS
    seats = seats_of(practice)
    done = None
    status = 200
    form = PracticeBillForm(request.POST if request.method == "POST" else None, seats=seats, room=room)
    if request.method == "POST":
        if form.is_valid():
            try:
                bill = settle_pretend_bill(counter=practice, seat=form.cleaned_data["target"],
                                           quantities=form.quantities())
            except PracticeError as exc:
                if exc.expired:
                    return _expired(request)
                form.add_error(None, exc.message)
                status = 422
            else:
                done = result_context(bill)
                seats = seats_of(practice)
                form = PracticeBillForm(seats=seats, room=room)
        else:
            status = 422
    context = _common(practice=practice, form=form, done=done, room=room, counter_page=True)
    if room:
        context.update(seats_context(practice))
    return render(request, "learn/practice_counter.html", context, status=status)


@require_http_methods(["GET", "POST"])
def class_start(request: HttpRequest) -> HttpResponse:
    """A helper or teacher opens a practice counter for a room. No sign-in needed (a village class may have no
    worker account): a class touches nothing real, and its counter is reached only by its secret link."""
    if request.method == "POST":
        try:
            room = start_class()
        except PracticeError as exc:
            return render(request, "learn/practice_class.html", _common(error=exc.message), status=503)
        return redirect("learn:practice_counter", secret=room.counter_secret)
    return render(request, "learn/practice_class.html", _common(error=""))
