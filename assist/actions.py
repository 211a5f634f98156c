"""Assisted-session state changes. Every one: one transaction, an audit row naming the helper."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import BindingError, OtpError, check_one_time_code, match_person, send_notice, send_one_time_code
from accounts.models import Role, User
from assist.models import (
    ALL_TASKS,
    NOT_ON_WITNESS,
    AssistSession,
    ConsentVia,
    EndReason,
    Kiosk,
    SessionStatus,
    Task,
)
from assist.push import push_family_question, push_session_ended
from assist.visits import visit_session_ended
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import AuditEvent, Via
from family.actions import FamilyError, grant_in_helper_session, revoke_after_review
from family.models import OPEN_STATUSES, ProxyGrant, Scope
from family.selectors import proxies_of
from insurance.models import InsuredPerson
from services.actions import (
    ServiceError,
    apply_entitlement,
    check_filing,
    files_kept_only_on_commit,
    submit_claim,
    submit_filing,
)
from vouchers.actions import VoucherError, activate_voucher, check_code, suspend_voucher
from vouchers.codes import CodeTokenError
from vouchers.models import VoucherStatus
from vouchers.selectors import voucher_status_of


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
        record_event(action=Kind.KIOSK_REGISTERED, via=Via.HELPER, actor=by, detail={"kiosk": str(kiosk.public_id)})
    return kiosk, token


def find_citizen(*, name: str = "", id_number: str = "", code: str = "", ip: str | None = None,
                 kiosk: Kiosk | None = None) -> InsuredPerson:
    """By name + ID number (one answer for any mismatch, limited per address and per ID number), or by
    scanning her active code."""
    if code.strip():

        try:
            _claims, voucher = check_code(code)
        except CodeTokenError as exc:
            raise AssistError(exc.message, field="code") from None
        return voucher.person
    try:
        return match_person(name=name, id_number=id_number, ip=ip, kiosk_id=kiosk.pk if kiosk else None)
    except BindingError as exc:
        raise AssistError(exc.message, field=exc.field) from None


def require_kiosk(kiosk: Kiosk | None) -> Kiosk:
    """Assisted sessions happen at a registered kiosk, where the citizen is in front of the helper."""
    if kiosk is None or not kiosk.is_active:
        raise AssistError(_("这台机器还没有登记为帮办终端，不能开始帮办。请先登记这台机器，或到已登记的帮办终端上办理。"))
    return kiosk


def start_session(*, helper: User, kiosk: Kiosk | None, citizen: InsuredPerson, tasks: list[str],
                  ip: str | None = None) -> AssistSession:
    kiosk = require_kiosk(kiosk)
    chosen = [t for t in ALL_TASKS if t in set(tasks)]
    if not chosen:
        raise AssistError(_("请至少选一件要办的事。"), field="tasks")
    with transaction.atomic():
        session = AssistSession.objects.create(kiosk=kiosk, helper=helper, citizen=citizen, tasks=chosen)
        record_event(action=Kind.ASSIST_STARTED, via=Via.HELPER, actor=helper, subject=citizen, ip=ip,
                     detail={"assist_session_id": session.pk, "tasks": chosen})
    return session


def _purpose(session: AssistSession) -> str:
    return f"a{session.pk}"


def send_consent_code(session: AssistSession, *, ip: str | None = None) -> None:
    _require(session, SessionStatus.AWAITING_CONSENT)
    text = _("【医保通】社区帮办员%(helper)s正在为您办理：%(tasks)s。同意的话，把验证码%%(code)s告诉帮办员；"
             "不同意就不要说。") % {"helper": session.helper.masked_name, "tasks": "、".join(session.task_labels())}
    try:
        send_one_time_code(phone_e164=session.citizen.phone, purpose=_purpose(session), ip=ip, sms_text=text,
                           kiosk_id=session.kiosk_id, resend_label=_("发验证码到她的手机"))
    except OtpError as exc:
        raise AssistError(exc.message) from None


def consent_by_code(session: AssistSession, *, code: str, ip: str | None = None) -> AssistSession:
    _require(session, SessionStatus.AWAITING_CONSENT)
    with transaction.atomic():  # her code is used up only together with the consent it gives
        try:
            check_one_time_code(phone_e164=session.citizen.phone, purpose=_purpose(session), code=code,
                                resend_label=_("发验证码到她的手机"))
        except OtpError as exc:
            refused = exc  # caught inside, so the wrong try she made is still counted when this commits
        else:
            return _consent(session, ConsentVia.CODE, ip=ip)
    raise AssistError(refused.message, field="code")


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
        record_event(action=Kind.ASSIST_FAMILY_ASKED, via=Via.HELPER, actor=session.helper, subject=session.citizen,
                     ip=ip, detail={"assist_session_id": session.pk})
        send_notice(grant.proxy.phone, _("【医保通】社区帮办员%(helper)s正在为您的家人%(name)s办理：%(tasks)s。请登录医保通，"
                                         "在“亲情账户”里同意或拒绝。") % {
            "helper": session.helper.masked_name, "name": session.citizen.masked_name,
            "tasks": "、".join(session.task_labels())})
        push_family_question(grant.proxy_id, session.pk)  # sent on commit
    return session


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
    if not session.witness_can_do:  # said on the consent page, where 办法一 and 办法二 are
        raise AssistError(_("帮办员见证的同意不能用来绑定家人。请用办法一（她手机上的验证码）或"
                            "办法二（请已经绑定的家人在手机上同意）。"))
    session.witness_reason = reason[:200]
    session.needs_review = True
    return _consent(session, ConsentVia.WITNESSED, ip=ip)


def not_on_witness_message() -> str:
    """Said inside a witnessed session refused something, with what to do instead."""
    return _("帮办员见证的同意不能用来绑定家人。要办这件事，请重新开始帮办，"
             "让她用手机收到的验证码同意，或请已经绑定的家人在手机上同意。")


def _witnessed_phrase(task: str) -> str:
    return {Task.ACTIVATE: _("开通了医保码"), Task.SHOW_CODE: _("打开了医保码"),
            Task.CHECK_RECORDS: _("查看了参保和消费记录"), Task.BIND_FAMILY: _("绑定了家人"),
            Task.CHRONIC: _("申请了门诊慢特病"), Task.FILE_CROSS_REGION: _("办了异地就医备案"),
            Task.CLAIM: _("申请了手工报销"), Task.COMPLAINT: _("提交了投诉或举报")}[task]


def _tell_her_and_family(session: AssistSession, what: str) -> None:
    """A witnessed session rests on the helper's word alone, so each thing done in it is told at once (SMS,
    sent on commit) to her registered phone and to everyone who acts for her: a stranger's visit in her name
    cannot go unnoticed, and staff review can undo it (docs/decisions.md)."""

    citizen = session.citizen
    values = {"helper": session.helper.masked_name, "what": what, "name": citizen.masked_name,
              "place": session.kiosk.location if session.kiosk_id else _("社区帮办点"), "h": settings.SITE_HOTLINE}
    send_notice(citizen.phone, _("【医保通】社区帮办员%(helper)s在%(place)s，没有用您手机上的验证码，为您%(what)s。"
                                 "如果不是您本人在场办理，请马上拨打%(h)s。") % values)
    for proxy in proxies_of(citizen):
        if proxy.phone != citizen.phone:
            send_notice(proxy.phone, _("【医保通】社区帮办员%(helper)s在%(place)s，没有用您的家人%(name)s手机上的验证码，"
                                       "为她%(what)s。如果您觉得不对，请马上拨打%(h)s。") % values)


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
        if via == ConsentVia.WITNESSED:  # only what witnessed consent may do: the rest will not be done
            _tell_her_and_family(locked, _("开始办理：%(tasks)s") % {"tasks": "、".join(locked.witnessable_labels())})
        if via == ConsentVia.CODE:  # her own act: the code came from her phone
            record_event(action=Kind.ASSIST_CONSENTED, via=Via.SELF, actor_label=session.citizen.masked_name,
                         subject=session.citizen, ip=ip, detail={"assist_session_id": session.pk, "consent": via})
        else:
            record_event(action=Kind.ASSIST_CONSENTED, via=Via.PROXY if by else Via.HELPER, actor=by or session.helper,
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
        record_event(action=Kind.ASSIST_REFUSED, via=via, actor=by, subject=session.citizen, ip=ip,
                     detail={"assist_session_id": session.pk})
        visit_session_ended(locked, ip=ip)  # a home visit she said no to waits for another try
    return locked


def touch(session: AssistSession) -> None:
    AssistSession.objects.filter(pk=session.pk).update(last_activity_at=timezone.now())


def require_task(session: AssistSession, task: str) -> None:
    """Inside the session the helper can do only what was chosen and consented to."""
    if session.status != SessionStatus.ACTIVE or session.is_idle:
        raise AssistError(_("这次帮办已经结束了。"))
    if task not in session.tasks:
        raise AssistError(_("这件事不在她同意办理的范围里。"))
    if session.is_witnessed and task in NOT_ON_WITNESS:
        raise AssistError(not_on_witness_message())


def mark_done(session: AssistSession, task: str) -> None:
    if task not in session.done:
        AssistSession.objects.filter(pk=session.pk).update(done=[*session.done, task], last_activity_at=timezone.now())


def activate_for_citizen(session: AssistSession, *, ip: str | None = None) -> None:

    require_task(session, Task.ACTIVATE)
    before = voucher_status_of(session.citizen)
    if session.is_witnessed and before == VoucherStatus.SUSPENDED:
        # Suspended after "我的手机丢了" (or by staff): only her own identity step brings it back.
        raise AssistError(_("她的医保码已经暂停使用了。重新开通要用她手机收到的验证码，或请已经绑定的家人在手机上同意；"
                            "也可以请她带身份证到医保窗口办理。"))
    try:
        with transaction.atomic():
            activate_voucher(session.citizen, actor=session.helper, via=Via.HELPER, ip=ip,
                             detail={"assist_session_id": session.pk})
            if session.is_witnessed and before != VoucherStatus.ACTIVE:
                _tell_her_and_family(session, _witnessed_phrase(Task.ACTIVATE))
            mark_done(session, Task.ACTIVATE)
    except VoucherError as exc:
        raise AssistError(exc.message) from None


def bind_family_for_citizen(session: AssistSession, *, phone_e164: str, relationship: str, scopes: list[str],
                            ip: str | None = None) -> ProxyGrant:
    """Approval in a helper session counts as her consent to add a family member (docs/design.md §7)."""

    require_task(session, Task.BIND_FAMILY)
    try:
        with transaction.atomic():  # the grant and "done" in the session together, or neither
            grant = grant_in_helper_session(principal=session.citizen, helper=session.helper,
                                            phone_e164=phone_e164, relationship=relationship, scopes=scopes,
                                            session_consent=session.consent_via, ip=ip,
                                            detail={"assist_session_id": session.pk})
            mark_done(session, Task.BIND_FAMILY)
    except FamilyError as exc:
        raise AssistError(exc.message, field=exc.field) from None
    return grant


def apply_chronic_for_citizen(session: AssistSession, *, condition, hospital: str, photo, ip: str | None = None):
    """门诊慢特病 at the kiosk: the same application as on her phone (services.actions.apply_entitlement),
    with the session named in the audit row and "done" in the session, together or neither."""
    require_task(session, Task.CHRONIC)
    try:
        with files_kept_only_on_commit(), transaction.atomic():
            entitlement = apply_entitlement(actor=session.helper, person=session.citizen, via=Via.HELPER,
                                            condition=condition, hospital=hospital, photo=photo,
                                            assist_session_id=session.pk, ip=ip)
            if session.is_witnessed and Task.CHRONIC not in session.done:
                _tell_her_and_family(session, _witnessed_phrase(Task.CHRONIC))
            mark_done(session, Task.CHRONIC)
    except ServiceError as exc:
        raise AssistError(exc.message, exc.field) from None
    return entitlement


def check_filing_for_citizen(session: AssistSession, values: dict) -> None:
    """The first screen's checks (dates, destination, overlap) before anyone takes photos."""
    require_task(session, Task.FILE_CROSS_REGION)
    try:
        check_filing(person=session.citizen, **values)
    except ServiceError as exc:
        raise AssistError(exc.message, exc.field) from None


def file_filing_for_citizen(session: AssistSession, *, values: dict, photos: list, promised: bool,
                            ip: str | None = None):
    """异地就医备案 at the kiosk: the same filing as on her phone (services.actions.submit_filing), with the
    session named in the audit row and "done" in the session, together or neither. A witnessed consent may
    do it: it changes nothing about where her messages go."""
    require_task(session, Task.FILE_CROSS_REGION)
    try:
        with files_kept_only_on_commit(), transaction.atomic():
            filing = submit_filing(actor=session.helper, person=session.citizen, via=Via.HELPER, photos=photos,
                                   promised=promised, assist_session_id=session.pk, ip=ip, **values)
            if session.is_witnessed and Task.FILE_CROSS_REGION not in session.done:
                _tell_her_and_family(session, _witnessed_phrase(Task.FILE_CROSS_REGION))
            mark_done(session, Task.FILE_CROSS_REGION)
    except ServiceError as exc:
        raise AssistError(exc.message, exc.field) from None
    return filing


def claim_for_citizen(session: AssistSession, *, ip: str | None = None, **values):
    """手工报销 at the kiosk: the same claim as on her phone (services.actions.submit_claim), with the session
    named in the audit row and "done" in the session, together or neither. A witnessed consent may do it: the
    money goes only to her own bank card or account on file."""
    require_task(session, Task.CLAIM)
    try:
        with files_kept_only_on_commit(), transaction.atomic():
            claim = submit_claim(actor=session.helper, person=session.citizen, via=Via.HELPER,
                                 assist_session_id=session.pk, ip=ip, **values)
            if session.is_witnessed and Task.CLAIM not in session.done:
                _tell_her_and_family(session, _witnessed_phrase(Task.CLAIM))
            mark_done(session, Task.CLAIM)
    except ServiceError as exc:
        raise AssistError(exc.message, exc.field) from None
    return claim


def note_task_use(session: AssistSession, task: str, action: Kind, *, ip: str | None = None) -> None:
    require_task(session, task)
    with transaction.atomic():
        record_event(action=action, via=Via.HELPER, actor=session.helper, subject=session.citizen, ip=ip,
                     detail={"assist_session_id": session.pk})
        if session.is_witnessed and task not in session.done:  # once per session, not on every refresh
            _tell_her_and_family(session, _witnessed_phrase(task))
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
        record_event(action=Kind.ASSIST_ENDED, via=Via.HELPER, actor=locked.helper, subject=locked.citizen, ip=ip,
                     detail={"assist_session_id": locked.pk, "reason": reason, "done": locked.done})
        push_session_ended(locked.helper_id, locked.citizen_id)  # sent on commit
        visit_session_ended(locked, ip=ip)  # the home visit it served is done (assist/visits.py)
    return locked


def review_witnessed(session: AssistSession, *, staff: User) -> AssistSession:
    if staff.role != Role.STAFF:
        raise AssistError(_("只有医保局工作人员可以复核。"))
    with transaction.atomic():  # the review and its audit row together
        AssistSession.objects.filter(pk=session.pk).update(needs_review=False, reviewed_by=staff,
                                                           reviewed_at=timezone.now())
        record_event(action=Kind.ASSIST_REVIEWED, via=Via.STAFF, actor=staff, subject=session.citizen,
                     detail={"assist_session_id": session.pk})
    session.refresh_from_db()
    return session


@dataclass(frozen=True)
class Undone:
    """What `undo_witnessed` took back, for the page to say so."""

    session: AssistSession
    grants_revoked: int = 0
    voucher_suspended: bool = False
    already: bool = False  # undone before: nothing changed this time


def undo_witnessed(session: AssistSession, *, staff: User, ip: str | None = None) -> Undone:
    """撤销此次办理: staff reviewing a witnessed session take back what it made (docs/decisions.md): the family
    grants it created are revoked at once, and a voucher it activated is suspended (she brings it back herself
    with her own phone's code). What it made is read from the audit record, so sessions from before this
    rule are covered too. The session ends if still open; she is told by SMS. Safe to run twice."""

    if staff.role != Role.STAFF:
        raise AssistError(_("只有医保局工作人员可以复核。"))
    if not session.is_witnessed:
        raise AssistError(_("只有帮办员见证同意的帮办才能这样撤销。"))
    with transaction.atomic():
        locked = (AssistSession.objects.select_for_update().select_related("citizen", "helper")
                  .get(pk=session.pk))
        if locked.undone_at is not None:
            return Undone(locked, already=True)
        now, citizen = timezone.now(), locked.citizen
        made = AuditEvent.objects.filter(subject=citizen, detail__assist_session_id=locked.pk)
        grant_ids = [e.detail.get("grant") for e in made.filter(action=Kind.FAMILY_GRANTED)]
        revoked = []
        for grant in ProxyGrant.objects.filter(principal=citizen, public_id__in=[g for g in grant_ids if g],
                                               status__in=OPEN_STATUSES):
            revoke_after_review(grant, staff=staff, ip=ip, detail={"assist_session_id": locked.pk})
            revoked.append(str(grant.public_id))
        suspended = False
        if (made.filter(action__in=(Kind.VOUCHER_ACTIVATED, Kind.VOUCHER_REACTIVATED)).exists()
                and voucher_status_of(citizen) == VoucherStatus.ACTIVE):
            suspend_voucher(citizen, actor=staff, via=Via.STAFF, ip=ip, reason="assist_undone")
            suspended = True
        was_open = locked.status in (SessionStatus.AWAITING_CONSENT, SessionStatus.ACTIVE)
        if was_open:
            locked.status, locked.ended_at, locked.end_reason = SessionStatus.ENDED, now, EndReason.UNDONE
        locked.needs_review, locked.reviewed_by, locked.reviewed_at = False, staff, now
        locked.undone_by, locked.undone_at = staff, now
        locked.save()
        record_event(action=Kind.ASSIST_UNDONE, via=Via.STAFF, actor=staff, subject=citizen, ip=ip,
                     detail={"assist_session_id": locked.pk, "grants_revoked": revoked,
                             "voucher_suspended": suspended})
        undone = []
        if revoked:
            undone.append(_("解除了这次绑定的家人"))
        if suspended:
            undone.append(_("暂停了这次开通的医保码（要用时，请用您登记的手机号重新开通）"))
        if undone:
            send_notice(citizen.phone, _("【医保通】医保局工作人员复核了社区帮办员%(helper)s为您办的事，已经撤销：%(what)s。"
                                         "有疑问请拨打%(h)s。") % {
                "helper": locked.helper.masked_name, "what": "；".join(undone), "h": settings.SITE_HOTLINE})
        if was_open:
            push_session_ended(locked.helper_id, locked.citizen_id)  # sent on commit
    return Undone(locked, grants_revoked=len(revoked), voucher_suspended=suspended)


def _require(session: AssistSession, status: str) -> None:
    session.refresh_from_db(fields=["status", "last_activity_at"])
    if session.status != status or session.is_idle:
        raise AssistError(_("这次帮办已经结束了，请重新开始。"))
