"""Home-visit (上门服务) state changes. Each: one transaction, one audit row, the live status on commit; the SMS
are written by `notices` from the audit row (assist/visits.py registers the texts)."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from assist import actions
from assist.help_points import nearest_to_district
from assist.models import (
    OPEN_VISIT_STATUSES,
    VISIT_TASKS,
    AssistSession,
    HelperArea,
    HelpPoint,
    HomeVisit,
    Kiosk,
    VisitStatus,
    VisitWindow,
)
from assist.push import push_visit
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import Via
from core.acting_for import proxy_used
from insurance.models import InsuredPerson
from insurance.regions import city

# How far ahead a helper may book a visit.
LONGEST_AHEAD = dt.timedelta(days=60)


class VisitError(Exception):
    def __init__(self, message: str, field: str | None = None, nearest: list[HelpPoint] | None = None) -> None:
        super().__init__(message)
        self.message, self.field, self.nearest = message, field, nearest or []


def reachable_phone(text: str) -> str:
    """A number a helper can call: a mainland mobile or landline (with area code), as E.164."""
    text = (text or "").strip()
    if not text:
        raise VisitError(_("请留一个帮办员能打通的电话，手机或座机都可以。"), field="phone")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise VisitError(_("这个电话号码打不通。请写11位手机号，或带区号的座机号，比如0571-88886666。"), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def helpers_for(district: str) -> list[int]:
    return list(HelperArea.objects.filter(district=district, helper__role=Role.HELPER, helper__is_active=True)
                .values_list("helper_id", flat=True))


def covers(helper: User, district: str) -> bool:
    return HelperArea.objects.filter(helper=helper, district=district).exists()


def _via(grant_id: int | None) -> str:
    return Via.PROXY if grant_id else Via.SELF


def request_visit(*, actor: User, person: InsuredPerson, service: str, address: str, district: str, phone: str,
                  preferred_days: str, preferred_time: str, note: str = "", grant_id: int | None = None,
                  ip: str | None = None) -> HomeVisit:
    """Her, or her son with `act` (`grant_id` names his grant). Refused, with the nearest help points, when
    no helper covers her district."""
    if service not in VISIT_TASKS:
        raise VisitError(_("请选要办的事。"), field="service")
    address = " ".join((address or "").split())
    if len(address) < 5:
        raise VisitError(_("请写清楚上门地址：哪个小区、几栋几单元几号。"), field="address")
    if city(district) is None:
        raise VisitError(_("请选您住在哪个城市。"), field="district")
    phone_e164 = reachable_phone(phone)
    if not helpers_for(district):
        raise VisitError(_("您住的地方暂时没有帮办员能上门。可以到下面这些帮办点去办，或打电话请他们帮忙。"),
                         field="district", nearest=nearest_to_district(district))
    with transaction.atomic():
        visit = HomeVisit.objects.create(
            person=person, requested_by=actor, service=service, address=address[:200], district=district,
            phone=phone_e164, preferred_days=preferred_days, preferred_time=preferred_time, note=(note or "")[:200])
        record_event(action=Kind.VISIT_REQUESTED, via=_via(grant_id), actor=actor, subject=person, ip=ip,
                     detail={"visit": str(visit.public_id), "service": service,
                             **({"grant_id": grant_id} if grant_id else {})})
        if grant_id:
            proxy_used(grant_id, Kind.VISIT_REQUESTED)
        push_visit(visit.pk)
    return visit


def _require_helper(helper: User) -> None:
    if helper.role not in (Role.HELPER, Role.STAFF):
        raise VisitError(_("只有帮办员可以接上门服务。"))


def accept_visit(visit_id: int, *, helper: User, ip: str | None = None) -> HomeVisit:
    """Exactly once: the row is locked (PostgreSQL) and the status checked under the lock, so of two helpers
    pressing at the same moment one wins and the other is told it is taken."""
    _require_helper(helper)
    with transaction.atomic():
        visit = HomeVisit.objects.select_for_update().get(pk=visit_id)
        if not covers(helper, visit.district):
            raise VisitError(_("这个地址不在您的服务范围里。"))
        if visit.status != VisitStatus.REQUESTED:
            if visit.helper_id == helper.pk and visit.status in OPEN_VISIT_STATUSES:
                return visit  # pressed twice: it is already his
            raise VisitError(_("这个上门服务已经有别的帮办员接了，或者已经取消了。请看看别的。"))
        visit.status, visit.helper, visit.accepted_at = VisitStatus.ACCEPTED, helper, timezone.now()
        visit.save(update_fields=["status", "helper", "accepted_at"])
        record_event(action=Kind.VISIT_ACCEPTED, via=Via.HELPER, actor=helper, subject=visit.person, ip=ip,
                     detail={"visit": str(visit.public_id)})
        push_visit(visit.pk)
    return visit


def _own_visit(visit_id: int, helper: User) -> HomeVisit:
    visit = HomeVisit.objects.select_for_update().select_related("person").get(pk=visit_id)
    if visit.helper_id != helper.pk:
        raise VisitError(_("这个上门服务不是您接的。"))
    return visit


def schedule_visit(visit_id: int, *, helper: User, day: dt.date, window: str, ip: str | None = None) -> HomeVisit:
    today = timezone.localdate()
    if day < today:
        raise VisitError(_("上门的日子不能早于今天。"), field="day")
    if day > today + LONGEST_AHEAD:
        raise VisitError(_("最多只能约60天以内的日子。"), field="day")
    if window not in (VisitWindow.MORNING, VisitWindow.AFTERNOON):
        raise VisitError(_("请选上午还是下午。"), field="window")
    with transaction.atomic():
        visit = _own_visit(visit_id, helper)
        if visit.status not in (VisitStatus.ACCEPTED, VisitStatus.SCHEDULED):
            raise VisitError(_("这个上门服务现在不能约时间了。"))
        visit.status, visit.scheduled_on, visit.scheduled_window = VisitStatus.SCHEDULED, day, window
        visit.save(update_fields=["status", "scheduled_on", "scheduled_window"])
        record_event(action=Kind.VISIT_SCHEDULED, via=Via.HELPER, actor=helper, subject=visit.person, ip=ip,
                     detail={"visit": str(visit.public_id), "day": day.isoformat(), "window": window})
        push_visit(visit.pk)
    return visit


def cancel_visit(visit_id: int, *, actor: User, reason: str, grant_id: int | None = None,
                 ip: str | None = None) -> HomeVisit:
    """By her or her son (with `act`), before the helper has started: with a reason the helper reads."""
    reason = " ".join((reason or "").split())
    if len(reason) < 2:
        raise VisitError(_("请写一下为什么取消，帮办员会看到。"), field="reason")
    with transaction.atomic():
        visit = HomeVisit.objects.select_for_update().select_related("person").get(pk=visit_id)
        if visit.status not in OPEN_VISIT_STATUSES:
            raise VisitError(_("帮办员已经开始办理或已经办完了，不能取消了。"))
        visit.status, visit.cancel_reason, visit.finished_at = VisitStatus.CANCELLED, reason[:200], timezone.now()
        visit.save(update_fields=["status", "cancel_reason", "finished_at"])
        record_event(action=Kind.VISIT_CANCELLED, via=_via(grant_id), actor=actor, subject=visit.person, ip=ip,
                     detail={"visit": str(visit.public_id), **({"grant_id": grant_id} if grant_id else {})})
        if grant_id:
            proxy_used(grant_id, Kind.VISIT_CANCELLED)
        push_visit(visit.pk)
    return visit


def start_visit(visit_id: int, *, helper: User, kiosk: Kiosk | None, ip: str | None = None) -> AssistSession:
    """At her door, on the helper's registered tablet: the visit opens an ordinary helper session for the task
    she asked for, which waits for her consent like any other (assist.actions)."""
    with transaction.atomic():
        visit = _own_visit(visit_id, helper)
        if visit.status == VisitStatus.IN_PROGRESS and visit.session is not None and visit.session.is_open:
            return visit.session  # the tablet reloaded: the same session
        if visit.status not in (VisitStatus.ACCEPTED, VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS):
            raise VisitError(_("这个上门服务已经办完或取消了。"))
        try:
            session = actions.start_session(helper=helper, kiosk=kiosk, citizen=visit.person, tasks=[visit.service],
                                            ip=ip)
        except actions.AssistError as exc:
            raise VisitError(exc.message) from None
        visit.status, visit.session = VisitStatus.IN_PROGRESS, session
        visit.save(update_fields=["status", "session"])
        record_event(action=Kind.VISIT_STARTED, via=Via.HELPER, actor=helper, subject=visit.person, ip=ip,
                     detail={"visit": str(visit.public_id), "assist_session_id": session.pk})
        push_visit(visit.pk)
    return session


def mark_visit_done(visit_id: int, *, helper: User, ip: str | None = None) -> HomeVisit:
    """Done without (or after) a session: advice given at the door, a session that timed out after the work."""
    with transaction.atomic():
        visit = _own_visit(visit_id, helper)
        if visit.status not in (VisitStatus.ACCEPTED, VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS):
            raise VisitError(_("这个上门服务已经办完或取消了。"))
        if visit.session is not None and visit.session.is_open:
            raise VisitError(_("帮办还没结束。请先点“结束帮办”，她的信息会从平板上清除。"))
        visit.status, visit.finished_at = VisitStatus.DONE, timezone.now()
        visit.save(update_fields=["status", "finished_at"])
        record_event(action=Kind.VISIT_DONE, via=Via.HELPER, actor=helper, subject=visit.person, ip=ip,
                     detail={"visit": str(visit.public_id)})
        push_visit(visit.pk)
    return visit
