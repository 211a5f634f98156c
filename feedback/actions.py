"""Her voice, as state changes: answering the survey, filing a complaint or report, the bureau's reply and close,
her rating of the answer, and the clock's escalation and breach (docs/design.md §2). Each one: one transaction,
one audit row naming who did it (herself, a family proxy with `act`, a helper in a consented session, staff, or
the system's clock), its live push and SMS on commit.

A recording is written inside the transaction that saves its row; if the transaction fails, the file is deleted
again, so nothing is left half-saved.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from audit.actions import record_event, record_proxy_use
from audit.kinds import Kind
from audit.models import Via
from core import rate_limit
from core.feedback_events import event_owner
from feedback.audio import Recording
from feedback.models import (
    Complaint,
    ComplaintKind,
    ComplaintReply,
    ComplaintStatus,
    Rating,
    SurveyResponse,
)
from feedback.push import push_complaint, tell_her_and_family
from insurance.models import InsuredPerson

ANSWER_WITHIN = dt.timedelta(hours=24)
ESCALATE_AFTER = dt.timedelta(hours=20)
DIMENSIONS = ("convenience", "negative", "service", "publicity", "standard", "recommend")
MAX_TEXT = 2000
COMPLAINTS_PER_DAY = 10  # per person: room for a bad day, not for flooding the inbox in her name


class FeedbackError(Exception):
    """Something we cannot take: `message` in plain Chinese, `field` the form field it belongs under."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


class AlreadyAnswered(FeedbackError):
    pass


def _record(kind: Kind, *, actor: User, person: InsuredPerson, via: str, grant_id: int | None,
            assist_session_id: int | None, ip: str | None, detail: dict) -> None:
    """The audit row of something done on her side, by whoever did it (as services/actions.py `record`)."""
    if via == Via.PROXY:
        if grant_id is None:
            raise ValueError("a proxy's action needs the grant it used")
        record_proxy_use(kind, actor=actor, subject=person, grant_id=grant_id, ip=ip, detail=detail)
    elif via == Via.HELPER:
        if assist_session_id is None:
            raise ValueError("a helper's action needs the assist session")
        record_event(action=kind, via=Via.HELPER, actor=actor, subject=person, ip=ip,
                     detail={**detail, "assist_session_id": assist_session_id})
    else:
        record_event(action=kind, via=Via.SELF, actor=actor, subject=person, ip=ip, detail=detail)


# --- the three-button survey ------------------------------------------------------------------------------


def answer_survey(*, actor: User, person: InsuredPerson, event_key: str, rating: str, via: str = Via.SELF,
                  ip: str | None = None) -> SurveyResponse:
    """Her one tap: 满意 / 一般 / 不满意 for one of her settlements or finished services, once. Only she may
    answer (her son's opinion is not hers); a second answer raises AlreadyAnswered and changes nothing."""
    if via != Via.SELF:
        raise FeedbackError(_("评价要由本人来做，家人不能代替她评价。"))
    if rating not in Rating.values:
        raise FeedbackError(_("请点“满意”“一般”或“不满意”中的一个。"), "rating")
    if event_owner(event_key) != person.pk:
        raise FeedbackError(_("没有找到这次办理。"))
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(person=person, event_key=event_key, rating=rating,
                                                     region_code=person.region_code)
            record_event(action=Kind.SURVEY_ANSWERED, via=Via.SELF, actor=actor, subject=person, ip=ip,
                         detail={"event": event_key, "rating": rating})
    except IntegrityError:
        raise AlreadyAnswered(_("这次您已经评价过了，谢谢您。")) from None
    return response


def add_survey_details(response: SurveyResponse, *, actor: User, values: dict[str, int | None],
                       ip: str | None = None) -> SurveyResponse:
    """The optional short form: the five dimensions and willingness to recommend, 1-5 each (blank allowed)."""
    if actor.person_id != response.person_id:
        raise FeedbackError(_("评价要由本人来做，家人不能代替她评价。"))
    clean: dict[str, int | None] = {}
    for name in DIMENSIONS:
        value = values.get(name)
        if value is not None and not 1 <= value <= 5:
            raise FeedbackError(_("请在1到5分之间选。"), name)
        clean[name] = value
    with transaction.atomic():
        response = SurveyResponse.objects.select_for_update().get(pk=response.pk)
        for name, value in clean.items():
            setattr(response, name, value)
        response.save(update_fields=[*DIMENSIONS, "updated_at"])
        record_event(action=Kind.SURVEY_ANSWERED, via=Via.SELF, actor=actor, subject=response.person, ip=ip,
                     detail={"event": response.event_key, "details": {k: v for k, v in clean.items() if v}})
    return response


# --- complaints and reports -------------------------------------------------------------------------------


def file_complaint(*, actor: User, person: InsuredPerson, via: str, kind: str = ComplaintKind.COMPLAINT,
                   text: str = "", recording: Recording | None = None, settlement=None,
                   grant_id: int | None = None, assist_session_id: int | None = None,
                   ip: str | None = None) -> Complaint:
    """A complaint or report in her words or her voice; the 24-hour clock starts now. `settlement`, if given,
    must be one of hers (the view looked it up by public id and owner)."""
    text = (text or "").strip()
    if not text and recording is None:
        raise FeedbackError(_("请说一说或者写一写发生了什么：可以按“开始录音”直接说，也可以打字。"), "text")
    if len(text) > MAX_TEXT:
        raise FeedbackError(_("最多写%(n)d个字，请简短一些。") % {"n": MAX_TEXT}, "text")
    if kind not in ComplaintKind.values:
        raise FeedbackError(_("请选“投诉”还是“举报”。"), "kind")
    if settlement is not None and settlement.person_id != person.pk:
        raise FeedbackError(_("没有找到这笔结算。"), "settlement")
    try:
        rate_limit.take(rate_limit.Bucket(f"feedback:complaint:{person.pk}", COMPLAINTS_PER_DAY, 24 * 3600))
    except rate_limit.Limited:
        raise FeedbackError(_("今天已经提交了%(n)d件，请明天再提交；着急的话请拨打医保热线%(h)s。")
                            % {"n": COMPLAINTS_PER_DAY, "h": settings.SITE_HOTLINE}) from None
    except rate_limit.LimiterUnavailable:
        pass  # her complaint matters more than the count: take it
    now = timezone.now()
    complaint = Complaint(person=person, kind=kind, text=text, settlement=settlement, via=via, made_by=actor,
                          due_by=now + ANSWER_WITHIN, region_code=person.region_code)
    written = ""
    try:
        with transaction.atomic():
            if recording is not None:
                complaint.recording.save(f"{uuid.uuid4().hex}.{recording.extension}",
                                         ContentFile(recording.content), save=False)
                written = complaint.recording.name
                complaint.recording_seconds = recording.seconds
            complaint.save()
            _record(Kind.COMPLAINT_FILED, actor=actor, person=person, via=via, grant_id=grant_id,
                    assist_session_id=assist_session_id, ip=ip,
                    detail={"complaint": str(complaint.public_id), "kind": kind,
                            "recording": bool(recording), "settlement": str(settlement.public_id) if settlement else ""})
            if via == Via.PROXY:  # a proxy acted in her name: she is told at once (docs/design.md §7)
                tell_her_and_family(person, _("【医保通】%(who)s刚刚替您提交了一件%(kind)s，医保局会在24小时内答复。")
                                    % {"who": actor.masked_name, "kind": complaint.get_kind_display()})
            transaction.on_commit(lambda: push_complaint(complaint.pk))
    except BaseException:
        if written:
            complaint.recording.storage.delete(written)
        raise
    return complaint


def _locked(complaint_id: int) -> Complaint:
    complaint = Complaint.objects.select_for_update().select_related("person").filter(pk=complaint_id).first()
    if complaint is None:
        raise FeedbackError(_("没有找到这件投诉。"))
    return complaint


def _staff_only(staff: User) -> None:
    if getattr(staff, "role", None) != Role.STAFF:
        raise FeedbackError(_("只有医保局工作人员可以答复。"))


def answer_complaint(complaint_id: int, *, staff: User, text: str, ip: str | None = None) -> Complaint:
    """The bureau's answer: kept, pushed live to her page (and her son's), and sent to her by SMS."""
    _staff_only(staff)
    text = (text or "").strip()
    if not text:
        raise FeedbackError(_("请写答复内容。"), "text")
    if len(text) > MAX_TEXT:
        raise FeedbackError(_("最多写%(n)d个字，请简短一些。") % {"n": MAX_TEXT}, "text")
    with transaction.atomic():
        complaint = _locked(complaint_id)
        if complaint.status == ComplaintStatus.CLOSED:
            raise FeedbackError(_("这件已经办结，不能再答复。"))
        now = timezone.now()
        ComplaintReply.objects.create(complaint=complaint, staff=staff, text=text)
        first = complaint.answered_at is None
        if first:
            complaint.answered_at = now
            complaint.breached = complaint.breached or now > complaint.due_by
        complaint.status = ComplaintStatus.ANSWERED
        complaint.save(update_fields=["status", "answered_at", "breached"])
        record_event(action=Kind.COMPLAINT_ANSWERED, via=Via.STAFF, actor=staff, subject=complaint.person, ip=ip,
                     detail={"complaint": str(complaint.public_id), "first": first, "late": complaint.breached})
        tell_her_and_family(
            complaint.person,
            _("【医保通】医保局已答复您的%(kind)s，请打开医保通“我的投诉”查看，看完请点一下满不满意。")
            % {"kind": complaint.get_kind_display()},
            _("【医保通】医保局已答复您的家人%%(name)s的%(kind)s，可以在医保通里替她查看。")
            % {"kind": complaint.get_kind_display()})
        transaction.on_commit(lambda: push_complaint(complaint.pk))
    return complaint


def close_complaint(complaint_id: int, *, staff: User, ip: str | None = None) -> Complaint:
    """办结: only once it has been answered, so nothing is closed without a word to her."""
    _staff_only(staff)
    with transaction.atomic():
        complaint = _locked(complaint_id)
        if complaint.status == ComplaintStatus.CLOSED:
            raise FeedbackError(_("这件已经办结了。"))
        if complaint.status != ComplaintStatus.ANSWERED:
            raise FeedbackError(_("请先答复她，再办结。"))
        complaint.status, complaint.closed_at = ComplaintStatus.CLOSED, timezone.now()
        complaint.save(update_fields=["status", "closed_at"])
        record_event(action=Kind.COMPLAINT_CLOSED, via=Via.STAFF, actor=staff, subject=complaint.person, ip=ip,
                     detail={"complaint": str(complaint.public_id)})
        transaction.on_commit(lambda: push_complaint(complaint.pk))
    return complaint


def rate_answer(complaint: Complaint, *, actor: User, rating: str, via: str, grant_id: int | None = None,
                ip: str | None = None) -> Complaint:
    """She says whether the answer helped (满意 / 一般 / 不满意), once, after it came."""
    if rating not in Rating.values:
        raise FeedbackError(_("请点“满意”“一般”或“不满意”中的一个。"), "rating")
    with transaction.atomic():
        complaint = _locked(complaint.pk)
        if complaint.answered_at is None:
            raise FeedbackError(_("医保局还没有答复，答复后再评价。"))
        if complaint.rating:
            raise AlreadyAnswered(_("这次您已经评价过了，谢谢您。"))
        complaint.rating = rating
        complaint.save(update_fields=["rating"])
        _record(Kind.COMPLAINT_RATED, actor=actor, person=complaint.person, via=via, grant_id=grant_id,
                assist_session_id=None, ip=ip, detail={"complaint": str(complaint.public_id), "rating": rating})
        transaction.on_commit(lambda: push_complaint(complaint.pk))
    return complaint


def watch_the_clock(now: dt.datetime | None = None) -> tuple[int, int]:
    """The periodic job: unanswered complaints 20 hours old are escalated (staff see them first, marked); those
    past 24 hours are marked breached. Each change once, with its audit row; safe to run twice."""
    now = now or timezone.now()
    escalated = breached = 0
    due_soon = Complaint.objects.filter(answered_at__isnull=True, escalated_at__isnull=True,
                                        due_by__lte=now + (ANSWER_WITHIN - ESCALATE_AFTER)).exclude(
        status=ComplaintStatus.CLOSED).values_list("pk", flat=True)
    for pk in list(due_soon):
        with transaction.atomic():
            complaint = _locked(pk)
            if complaint.escalated_at is not None or complaint.answered_at is not None:
                continue
            complaint.escalated_at = now
            complaint.save(update_fields=["escalated_at"])
            record_event(action=Kind.COMPLAINT_ESCALATED, via=Via.SYSTEM, subject=complaint.person,
                         actor_label=str(_("系统")), detail={"complaint": str(complaint.public_id)})
            escalated += 1
    late = Complaint.objects.filter(answered_at__isnull=True, breached=False, due_by__lt=now).exclude(
        status=ComplaintStatus.CLOSED).values_list("pk", flat=True)
    for pk in list(late):
        with transaction.atomic():
            complaint = _locked(pk)
            if complaint.breached or complaint.answered_at is not None:
                continue
            complaint.breached = True
            complaint.save(update_fields=["breached"])
            record_event(action=Kind.COMPLAINT_BREACHED, via=Via.SYSTEM, subject=complaint.person,
                         actor_label=str(_("系统")), detail={"complaint": str(complaint.public_id)})
            transaction.on_commit(lambda pk=pk: push_complaint(pk))
            breached += 1
    return escalated, breached

