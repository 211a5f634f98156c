"""Her side of feedback: the survey's one tap (and its optional short form), her complaints and reports with
their clock, the recording played back, her rating of the answer. Herself, or a proxy: he may file and rate
with `act`, read with `act` or `view_records`, and never answer the survey for her (docs/design.md §7)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from audit.actions import record_proxy_use
from audit.kinds import Kind
from audit.models import Via
from core.acting_for import not_allowed, requires_scope
from core.client_address import client_ip
from core.feedback_events import event_owner
from core.safe_next import safe_next
from feedback import actions
from feedback.audio import MAX_BYTES, NotAudio, check_recording
from feedback.forms import ComplaintForm, RatingForm, SurveyDetailsForm
from feedback.models import Complaint, SurveyResponse
from feedback.push import status_context
from feedback.templatetags.feedback_survey import block_id, survey_context

AUDIO_TYPES = {"webm": "audio/webm", "ogg": "audio/ogg", "wav": "audio/wav", "m4a": "audio/mp4"}


def _acting(request: HttpRequest) -> dict:
    grant = getattr(request, "acting_grant", None)
    if grant is not None:
        return {"actor": request.user, "via": Via.PROXY, "grant_id": grant.pk, "ip": client_ip(request)}
    return {"actor": request.user, "via": Via.SELF, "ip": client_ip(request)}


def _may_see(request: HttpRequest) -> bool:
    may = getattr(request, "may", None)
    return bool(may is not None and (may("view_records") or may("act")))


def _may_act(request: HttpRequest) -> bool:
    may = getattr(request, "may", None)
    return bool(may is not None and may("act"))


def _note_proxy_view(request: HttpRequest, person, **detail) -> None:
    grant = getattr(request, "acting_grant", None)
    if grant is not None:
        record_proxy_use(Kind.RECORDS_VIEWED, actor=request.user, subject=person, grant_id=grant.pk,
                         ip=client_ip(request), detail=detail or None)


# --- the survey --------------------------------------------------------------------------------------------


def _survey_reply(request: HttpRequest, event_key: str, message: str, status: int = 200) -> HttpResponse:
    """htmx: the block in place of the three buttons; without JS: back to the page she was on, with a message."""
    if request.htmx:
        html = render_to_string("feedback/_survey_done.html", {
            "event_key": event_key, "message": message, "next": safe_next(request, default=""),
            "block_id": block_id(event_key, live=request.POST.get("in") == "live"),
            "response": SurveyResponse.objects.filter(person=request.subject_person, event_key=event_key).first()},
            request=request)
        return HttpResponse(html, status=status)
    messages.info(request, message)
    return redirect(safe_next(request, default="/"))


@never_cache
@login_required
@require_POST
def survey_answer(request: HttpRequest) -> HttpResponse:
    """One tap. Someone else's event (or none) is not found; her son acting for her is told only she may."""
    person = getattr(request, "subject_person", None)
    event_key = request.POST.get("event", "")[:80]
    if person is None or event_owner(event_key) != person.pk:
        raise Http404
    try:
        actions.answer_survey(person=person, event_key=event_key, rating=request.POST.get("rating", ""),
                              **{k: v for k, v in _acting(request).items() if k != "grant_id"})
    except actions.AlreadyAnswered as exc:
        return _survey_reply(request, event_key, exc.message)
    except actions.FeedbackError as exc:
        return _survey_reply(request, event_key, exc.message, status=403 if getattr(request, "acting_grant", None) else 400)
    return _survey_reply(request, event_key, _thanks())


def _thanks() -> str:
    return _("谢谢您的评价！")


@never_cache
@login_required
def survey_block(request: HttpRequest) -> HttpResponse:
    """The three buttons for one event, for pages pushed live (they are drawn without her request)."""
    context = survey_context({"request": request}, request.GET.get("event", "")[:80], live=request.GET.get("in") == "live")
    if not context:
        return HttpResponse("")
    return render(request, "feedback/_survey_block.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def survey_details(request: HttpRequest, public_id) -> HttpResponse:
    """The optional short form after her one tap: her own answer only."""
    if getattr(request, "acting_grant", None) is not None:
        return not_allowed(request)
    response = SurveyResponse.objects.filter(public_id=public_id, person=request.subject_person).first()
    if response is None:
        raise Http404
    if request.method == "GET":
        form = SurveyDetailsForm(initial={name: getattr(response, name) for name in actions.DIMENSIONS})
        return render(request, "feedback/survey_details.html",
                      {"form": form, "response": response, "next": safe_next(request, default="")})
    form = SurveyDetailsForm(request.POST)
    if form.is_valid():
        try:
            actions.add_survey_details(response, actor=request.user, values=form.cleaned_data, ip=client_ip(request))
        except actions.FeedbackError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _thanks())
            return redirect(safe_next(request, default="/"))
    return render(request, "feedback/survey_details.html",
                  {"form": form, "response": response, "next": safe_next(request, default="")}, status=400)


# --- complaints and reports ----------------------------------------------------------------------------------


def _her_settlements(person):
    settlement_model = Complaint._meta.get_field("settlement").related_model  # settlement's model, not its module
    return list(settlement_model.objects.filter(person=person).select_related("institution")
                .order_by("-created_at")[:10])


@never_cache
@login_required
def complaints(request: HttpRequest) -> HttpResponse:
    if not _may_see(request):
        return not_allowed(request)
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    _note_proxy_view(request, person, what="complaints")
    page = Paginator(Complaint.objects.filter(person=person).order_by("-created_at", "-id"), 10).get_page(
        request.GET.get("page"))
    rows = [status_context(c) for c in page.object_list]
    return render(request, "feedback/complaint_list.html", {"rows": rows, "page": page, "may_act": _may_act(request)})


@never_cache
@login_required
@requires_scope("act")
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    """In her words or her voice (static/js/recorder.js puts the recording in the file field), optionally about
    one of her settlements."""
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    return complaint_flow(request, person, acting=_acting(request),
                          done=lambda complaint: redirect("feedback:complaint", complaint.public_id))


def complaint_flow(request: HttpRequest, person, *, acting: dict, done: Callable[[Complaint], HttpResponse],
                   context: dict | None = None) -> HttpResponse:
    """The complaint form for `person`, by whoever `acting` names (herself, a proxy, or a helper in a session:
    assist's kiosk view calls this with `via` "helper" and the session's id); `done` answers once it is filed."""
    settlements = _her_settlements(person)
    context = {"helper_session": None, **(context or {})}
    if request.method == "GET":
        form = ComplaintForm(settlements=settlements, initial={"settlement": request.GET.get("settlement", "")})
        return render(request, "feedback/complaint_new.html", {**context, "form": form})
    form = ComplaintForm(request.POST, request.FILES, settlements=settlements)
    if form.is_valid():
        data = form.cleaned_data
        recording = None
        if data["recording"]:
            try:
                recording = check_recording(data["recording"].read(MAX_BYTES + 1))
            except NotAudio as exc:
                form.add_error("recording", exc.message)
        settlement = next((s for s in settlements if str(s.public_id) == data["settlement"]), None)
        if not form.errors:
            try:
                complaint = actions.file_complaint(person=person, kind=data["kind"], text=data["text"],
                                                   recording=recording, settlement=settlement, **acting)
            except actions.FeedbackError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return done(complaint)
    return render(request, "feedback/complaint_new.html", {**context, "form": form}, status=400)


def _her_complaint(request: HttpRequest, public_id) -> Complaint:
    complaint = Complaint.objects.select_related("person").filter(
        public_id=public_id, person=getattr(request, "subject_person", None)).first()
    if complaint is None:  # someone else's looks exactly like a missing one
        raise Http404
    return complaint


@never_cache
@login_required
def complaint(request: HttpRequest, public_id) -> HttpResponse:
    if not _may_see(request):
        return not_allowed(request)
    found = _her_complaint(request, public_id)
    _note_proxy_view(request, found.person, complaint=str(found.public_id))
    return render(request, "feedback/complaint_detail.html", {**status_context(found), "may_act": _may_act(request)})


@never_cache
@login_required
def complaint_recording(request: HttpRequest, public_id) -> HttpResponse:
    if not _may_see(request):
        return not_allowed(request)
    found = _her_complaint(request, public_id)
    if not found.recording:
        raise Http404
    return recording_response(found)


def recording_response(found: Complaint) -> FileResponse:
    extension = found.recording.name.rsplit(".", 1)[-1]
    response = FileResponse(found.recording.open("rb"), content_type=AUDIO_TYPES.get(extension, "application/octet-stream"))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
@requires_scope("act")
@require_POST
def complaint_rate(request: HttpRequest, public_id) -> HttpResponse:
    found = _her_complaint(request, public_id)
    form = RatingForm(request.POST)
    acting = _acting(request)
    acting.pop("actor")
    if not form.is_valid():
        message = form.errors["rating"][0]
    else:
        try:
            found = actions.rate_answer(found, actor=request.user, rating=form.cleaned_data["rating"], **acting)
            message = _thanks()
        except actions.FeedbackError as exc:
            message = exc.message
    if request.htmx:
        return render(request, "feedback/_complaint_status.html", {**status_context(found), "message": message})
    messages.info(request, message)
    return redirect("feedback:complaint", found.public_id)
