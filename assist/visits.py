"""Home visits (上门服务) as seen from the rest of assist: what each step says by SMS (core/notice_texts.py,
registered at start-up), and the visit's end when its helper session ends (called by assist.actions, so the
session flow needs no knowledge of visits beyond this one call)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from assist.models import AssistSession, HomeVisit, SessionStatus, Task, VisitStatus, VisitWindow
from assist.push import push_visit
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import Via
from core.notice_texts import SERVICES, NoticeText, register_notice_text


def visit_of_event(event) -> HomeVisit | None:
    public_id = (event.detail or {}).get("visit")
    if not public_id:
        return None
    return HomeVisit.objects.select_related("helper").filter(public_id=public_id).first()


def when_text(visit: HomeVisit) -> str:
    """"12月3日上午（9点到12点）": the day and window a helper chose."""
    if visit.scheduled_on is None:
        return ""
    day = _("%(m)d月%(d)d日") % {"m": visit.scheduled_on.month, "d": visit.scheduled_on.day}
    window = str(VisitWindow(visit.scheduled_window).label) if visit.scheduled_window else ""
    return f"{day}{window}"


def _values(visit: HomeVisit) -> dict:
    return {"service": str(Task(visit.service).label), "helper": visit.helper.masked_name if visit.helper_id else "",
            "when": when_text(visit), "reason": visit.cancel_reason.replace("%", "%%"), "h": settings.SITE_HOTLINE,
            "name": "%(name)s"}


def _path(visit: HomeVisit) -> str:
    return reverse("assist:visit", kwargs={"visit_id": visit.public_id})


def _writer(for_her: str, for_family: str):
    def write(event) -> NoticeText | None:
        visit = visit_of_event(event)
        if visit is None:
            return None
        values = _values(visit)  # the family text is formatted once more with her name: its % doubled
        return NoticeText(for_her=_(for_her) % {**values, "reason": visit.cancel_reason},
                          for_family=_(for_family) % values, path=_path(visit))

    return write


# The texts are msgids: gettext'd when written (in the portal's language, notices/actions.py).
NOTICE_TEXTS = {
    Kind.VISIT_REQUESTED: (
        N_("【医保通】您的上门服务（%(service)s）已经申请好了。帮办员接单后会打电话和您约时间。"),
        N_("【医保通】您的家人%(name)s的上门服务（%(service)s）已经申请好了。帮办员接单后会打电话约时间。")),
    Kind.VISIT_ACCEPTED: (
        N_("【医保通】帮办员%(helper)s接了您的上门服务（%(service)s），会打电话和您约时间。"),
        N_("【医保通】帮办员%(helper)s接了您的家人%(name)s的上门服务（%(service)s），会打电话约时间。")),
    Kind.VISIT_SCHEDULED: (
        N_("【医保通】帮办员%(helper)s会在%(when)s上门，为您办理%(service)s。请带好身份证和手机。"),
        N_("【医保通】帮办员%(helper)s会在%(when)s上门，为您的家人%(name)s办理%(service)s。")),
    Kind.VISIT_DONE: (
        N_("【医保通】上门服务（%(service)s）已经办完。有疑问请打%(h)s。"),
        N_("【医保通】您的家人%(name)s的上门服务（%(service)s）已经办完。")),
    Kind.VISIT_CANCELLED: (
        N_("【医保通】您的上门服务（%(service)s）已经取消：%(reason)s。"),
        N_("【医保通】您的家人%(name)s的上门服务（%(service)s）已经取消：%(reason)s。")),
}


def register_visit_notices() -> None:
    for kind, (for_her, for_family) in NOTICE_TEXTS.items():
        register_notice_text(kind, SERVICES, _writer(for_her, for_family))


def visit_session_ended(session: AssistSession, *, ip: str | None = None) -> None:
    """Inside the transaction that ended `session`: the visit it served is done if she consented to it; if
    she never did (she said no, or nobody answered), the visit goes back to "scheduled" for another try."""
    visit = HomeVisit.objects.select_for_update().filter(session=session, status=VisitStatus.IN_PROGRESS).first()
    if visit is None:
        return
    if session.consented_at is None or session.status == SessionStatus.REFUSED:
        visit.status, visit.session = VisitStatus.SCHEDULED, None
        visit.save(update_fields=["status", "session"])
    else:
        visit.status, visit.finished_at = VisitStatus.DONE, timezone.now()
        visit.save(update_fields=["status", "finished_at"])
        record_event(action=Kind.VISIT_DONE, via=Via.HELPER, actor=visit.helper, subject=visit.person, ip=ip,
                     detail={"visit": str(visit.public_id), "assist_session_id": session.pk})
    push_visit(visit.pk)
