"""The staff inbox for complaints and reports: ordered by the clock (unanswered first, the one due soonest at
the top, escalated ones marked), each with what she said, her recording, the replies, and reply / close through
the actions. Staff only, password + TOTP (accounts.staff.staff_required)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import BooleanField, Case, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.staff import staff_required
from core.client_address import client_ip
from feedback import actions
from feedback.forms import ReplyForm
from feedback.models import Complaint, ComplaintStatus
from feedback.push import clock_text
from feedback.views import recording_response


@never_cache
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    show_closed = request.GET.get("show") == "closed"
    found = Complaint.objects.select_related("person")
    found = found.filter(status=ComplaintStatus.CLOSED) if show_closed else found.exclude(status=ComplaintStatus.CLOSED)
    found = found.annotate(waiting=Case(When(answered_at__isnull=True, then=Value(True)), default=Value(False),
                                        output_field=BooleanField())).order_by("-waiting", "due_by", "id")[:200]
    rows = [{"c": c, "clock": clock_text(c)} for c in found]
    return render(request, "feedback/staff_inbox.html", {"rows": rows, "show_closed": show_closed})


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def complaint(request: HttpRequest, public_id) -> HttpResponse:
    found = Complaint.objects.select_related("person", "settlement").filter(public_id=public_id).first()
    if found is None:
        raise Http404
    form, error, status = ReplyForm(), "", 200
    if request.method == "POST" and request.POST.get("do") == "close":
        try:
            actions.close_complaint(found.pk, staff=request.user, ip=client_ip(request))
        except actions.FeedbackError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, _("已办结。"))
            return redirect("feedback_staff:inbox")
    elif request.method == "POST":
        form, status = ReplyForm(request.POST), 400
        if form.is_valid():
            try:
                actions.answer_complaint(found.pk, staff=request.user, text=form.cleaned_data["text"],
                                         ip=client_ip(request))
            except actions.FeedbackError as exc:
                form.add_error("text" if exc.field == "text" else None, exc.message)
            else:
                messages.success(request, _("答复已发出，她和家人会收到短信。"))
                return redirect("feedback_staff:complaint", found.public_id)
    return render(request, "feedback/staff_complaint.html", {
        "c": found, "clock": clock_text(found), "replies": list(found.replies.select_related("staff")), "form": form,
        "error": error},
        status=status)


@never_cache
@staff_required
def recording(request: HttpRequest, public_id) -> HttpResponse:
    found = Complaint.objects.filter(public_id=public_id).first()
    if found is None or not found.recording:
        raise Http404
    return recording_response(found)
