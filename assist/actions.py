"""Assisted-session state changes. Every one: one transaction, an audit row naming the helper."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import OtpError, check_one_time_code, send_notice, send_one_time_code
from accounts.models import Role, User
from assist.models import ALL_TASKS, AssistSession, ConsentVia, EndReason, Kiosk, SessionStatus, Task
from audit.actions import record_event
from audit.models import Via
from family.models import ProxyGrant, Scope
from insurance.models import InsuredPerson
from insurance.selectors import NoMatchingPerson, person_matching


class AssistError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def kiosk_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_kiosk(*, by: User, name: str, location: str) -> tuple[Kiosk, str]:
    if by.role not in (Role.HELPER, Role.STAFF):
        raise AssistError(_("只有帮办员或医保局工作人员可以登记帮办终端。"))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        kiosk = Kiosk.objects.create(name=name.strip()[:60], location=location.strip()[:120],
                                     token_hash=kiosk_token_hash(token), registered_by=by)
        record_event(action="assist.kiosk_registered", via=Via.HELPER, actor=by, detail={"kiosk": str(kiosk.public_id)})
    return kiosk, token


def find_citizen(*, name: str = "", id_number: str = "", code: str = "") -> InsuredPerson:
    """By name + ID number, or by scanning her active code."""
    if code.strip():
        from vouchers.actions import check_code
        from vouchers.codes import CodeTokenError

        try:
            _claims, voucher = check_code(code)
        except CodeTokenError as exc:
            raise AssistError(exc.message, field="code") from None
        return voucher.person
    try:
        return person_matching(name, id_number)
    except NoMatchingPerson as exc:
        raise AssistError(exc.message, field=exc.field) from None


def start_session(*, helper: User, kiosk: Kiosk | None, citizen: InsuredPerson, tasks: list[str],
                  ip: str | None = None) -> AssistSession:
    chosen = [t for t in ALL_TASKS if t in set(tasks)]
    if not chosen:
        raise AssistError(_("请至少选一件要办的事。"), field="tasks")
    with transaction.atomic():
        session = AssistSession.objects.create(kiosk=kiosk, helper=helper, citizen=citizen, tasks=chosen)
        record_event(action="assist.started", via=Via.HELPER, actor=helper, subject=citizen, ip=ip,
                     detail={"assist_session_id": session.pk, "tasks": chosen})
    return session


def _purpose(session: AssistSession) -> str:
    return f"a{session.pk}"


def send_consent_code(session: AssistSession, *, ip: str | None = None) -> None:
    _require(session, SessionStatus.AWAITING_CONSENT)
    text = _("【医保通】社区帮办员%(helper)s正在为您办理：%(tasks)s。同意的话，把验证码%%(code)s告诉帮办员；"
             "不同意就不要说。") % {"helper": session.helper.masked_name, "tasks": "、".join(session.task_labels())}
    try:
        send_one_time_code(phone_e164=session.citizen.phone, purpose=_purpose(session), ip=ip, sms_text=text)
    except OtpError as exc:
        raise AssistError(exc.message) from None


def consent_by_code(session: AssistSession, *, code: str, ip: str | None = None) -> AssistSession:
    _require(session, SessionStatus.AWAITING_CONSENT)
    try:
        check_one_time_code(phone_e164=session.citizen.phone, purpose=_purpose(session), code=code)
    except OtpError as exc:
        raise AssistError(exc.message, field="code") from None
    return _consent(session, ConsentVia.CODE, ip=ip)


def family_who_may_approve(session: AssistSession) -> list[ProxyGrant]:
    return [g for g in ProxyGrant.objects.active().filter(principal=session.citizen).select_related("proxy")
            if Scope.ACT in g.scopes]


def ask_family_to_approve(session: AssistSession, *, grant: ProxyGrant, ip: str | None = None) -> AssistSession:
    """Push the question to the son's phone: 社区帮办员王XX正在为您母亲办理激活，是否同意？"""
    _require(session, SessionStatus.AWAITING_CONSENT)
    if grant.principal_id != session.citizen_id or not grant.allows(Scope.ACT):
        raise AssistError(_("这位家人没有替她办事的授权。"))
    with transaction.atomic():
        session.consent_proxy = grant.proxy
        session.save(update_fields=["consent_proxy"])
        record_event(action="assist.family_asked", via=Via.HELPER, actor=session.helper, subject=session.citizen,
                     ip=ip, detail={"assist_session_id": session.pk})
        send_notice(grant.proxy.phone, _("【医保通】社区帮办员%(helper)s正在为您的家人%(name)s办理：%(tasks)s。请登录医保通，"
                                         "在“亲情账户”里同意或拒绝。") % {
            "helper": session.helper.masked_name, "name": session.citizen.masked_name,
            "tasks": "、".join(session.task_labels())})
        proxy_id = grant.proxy_id
        transaction.on_commit(lambda: _push_question(proxy_id, session.pk))
    return session


def _push_question(proxy_user_id: int, session_id: int) -> None:
    from family.push import push_notice

    session = AssistSession.objects.select_related("helper", "citizen").get(pk=session_id)
    push_notice([proxy_user_id], "assist/_family_question.html", {"session": session})


def answer_as_family(session: AssistSession, *, proxy: User, approve: bool, ip: str | None = None) -> AssistSession:
    if session.consent_proxy_id != proxy.pk:
        raise AssistError(_("找不到这个请求。"))
    _require(session, SessionStatus.AWAITING_CONSENT)
    grant = ProxyGrant.objects.active().filter(principal=session.citizen, proxy=proxy).first()
    if grant is None or not grant.allows(Scope.ACT):
        raise AssistError(_("您已经没有替她办事的授权了。"))
    if not approve:
        return _refuse(session, by=proxy, via=Via.PROXY, ip=ip)
    return _consent(session, ConsentVia.PROXY, ip=ip, by=proxy)


def consent_witnessed(session: AssistSession, *, reason: str, ip: str | None = None) -> AssistSession:
    """Only when neither her phone nor her family can answer. Flagged for staff review."""
    _require(session, SessionStatus.AWAITING_CONSENT)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise AssistError(_("请写清楚为什么不能用她的手机验证码或家人同意（至少4个字）。"), field="reason")
    session.witness_reason = reason[:200]
    session.needs_review = True
    return _consent(session, ConsentVia.WITNESSED, ip=ip)


def _consent(session: AssistSession, via: str, *, ip: str | None, by: User | None = None) -> AssistSession:
    with transaction.atomic():
        locked = AssistSession.objects.select_for_update().get(pk=session.pk)
        if locked.status != SessionStatus.AWAITING_CONSENT:
            raise AssistError(_("这次帮办已经不在等待同意了。"))
        locked.status = SessionStatus.ACTIVE
        locked.consent_via = via
        locked.consented_at = locked.last_activity_at = timezone.now()
        locked.witness_reason, locked.needs_review = session.witness_reason, session.needs_review
        locked.save()
        if via == ConsentVia.CODE:  # her own act: the code came from her phone
            record_event(action="assist.consented", via=Via.SELF, actor_label=session.citizen.masked_name,
                         subject=session.citizen, ip=ip, detail={"assist_session_id": session.pk, "consent": via})
        else:
            record_event(action="assist.consented", via=Via.PROXY if by else Via.HELPER, actor=by or session.helper,
                         subject=session.citizen, ip=ip, detail={"assist_session_id": session.pk, "consent": via})
    return locked


def refuse(session: AssistSession, *, ip: str | None = None) -> AssistSession:
    """The citizen says no at the kiosk."""
    _require(session, SessionStatus.AWAITING_CONSENT)
    return _refuse(session, by=session.helper, via=Via.HELPER, ip=ip)


def _refuse(session: AssistSession, *, by: User, via: str, ip: str | None) -> AssistSession:
    with transaction.atomic():
        locked = AssistSession.objects.select_for_update().get(pk=session.pk)
        locked.status = SessionStatus.REFUSED
        locked.ended_at = timezone.now()
        locked.end_reason = EndReason.REFUSED
        locked.save()
        record_event(action="assist.refused", via=via, actor=by, subject=session.citizen, ip=ip,
                     detail={"assist_session_id": session.pk})
    return locked


def touch(session: AssistSession) -> None:
    AssistSession.objects.filter(pk=session.pk).update(last_activity_at=timezone.now())


def require_task(session: AssistSession, task: str) -> None:
    """Inside the session the helper can do only what was chosen and consented to."""
    if session.status != SessionStatus.ACTIVE or session.is_idle:
        raise AssistError(_("这次帮办已经结束了。"))
    if task not in session.tasks:
        raise AssistError(_("这件事不在她同意办理的范围里。"))


def mark_done(session: AssistSession, task: str) -> None:
    if task not in session.done:
        AssistSession.objects.filter(pk=session.pk).update(done=[*session.done, task], last_activity_at=timezone.now())


def activate_for_citizen(session: AssistSession, *, ip: str | None = None) -> None:
    from vouchers.actions import VoucherError, activate_voucher

    require_task(session, Task.ACTIVATE)
    try:
        activate_voucher(session.citizen, actor=session.helper, via=Via.HELPER, ip=ip,
                         detail={"assist_session_id": session.pk})
    except VoucherError as exc:
        raise AssistError(exc.message) from None
    mark_done(session, Task.ACTIVATE)


def bind_family_for_citizen(session: AssistSession, *, phone_e164: str, relationship: str, scopes: list[str],
                            ip: str | None = None) -> ProxyGrant:
    """Approval in a helper session counts as her consent to add a family member (DESIGN §7)."""
    from family.actions import FamilyError, grant_in_helper_session

    require_task(session, Task.BIND_FAMILY)
    try:
        grant = grant_in_helper_session(principal=session.citizen, helper=session.helper, phone_e164=phone_e164,
                                        relationship=relationship, scopes=scopes, ip=ip,
                                        detail={"assist_session_id": session.pk})
    except FamilyError as exc:
        raise AssistError(exc.message, field=exc.field) from None
    mark_done(session, Task.BIND_FAMILY)
    return grant


def note_task_use(session: AssistSession, task: str, action: str, *, ip: str | None = None) -> None:
    require_task(session, task)
    record_event(action=action, via=Via.HELPER, actor=session.helper, subject=session.citizen, ip=ip,
                 detail={"assist_session_id": session.pk})
    mark_done(session, task)


def end_session(session: AssistSession, *, reason: str, ip: str | None = None) -> AssistSession:
    with transaction.atomic():
        locked = AssistSession.objects.select_for_update().get(pk=session.pk)
        if locked.status in (SessionStatus.ENDED, SessionStatus.REFUSED):
            return locked
        locked.status = SessionStatus.ENDED
        locked.ended_at = timezone.now()
        locked.end_reason = reason
        locked.save()
        record_event(action="assist.ended", via=Via.HELPER, actor=locked.helper, subject=locked.citizen, ip=ip,
                     detail={"assist_session_id": locked.pk, "reason": reason, "done": locked.done})
        helper_id, person_id = locked.helper_id, locked.citizen_id
        transaction.on_commit(lambda: _push_ended(helper_id, person_id))
    return locked


def _push_ended(helper_user_id: int, person_id: int) -> None:
    from family.push import push_access_revoked

    push_access_revoked(helper_user_id, person_id)


def review_witnessed(session: AssistSession, *, staff: User) -> AssistSession:
    if staff.role != Role.STAFF:
        raise AssistError(_("只有医保局工作人员可以复核。"))
    AssistSession.objects.filter(pk=session.pk).update(needs_review=False, reviewed_by=staff,
                                                       reviewed_at=timezone.now())
    record_event(action="assist.reviewed", via=Via.STAFF, actor=staff, subject=session.citizen,
                 detail={"assist_session_id": session.pk})
    session.refresh_from_db()
    return session


def _require(session: AssistSession, status: str) -> None:
    session.refresh_from_db(fields=["status", "last_activity_at"])
    if session.status != status or session.is_idle:
        raise AssistError(_("这次帮办已经结束了，请重新开始。"))
