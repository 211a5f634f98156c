"""Proxy grant state changes: ask, consent, invite, refuse, revoke, renew. One transaction and one audit
row each; notices and pushes go out on commit."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import BindingError, OtpError, check_one_time_code, match_person, send_notice, send_one_time_code
from accounts.models import Role, User
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import AuditEvent, Via
from family.models import ALL_SCOPES, MAX_PROXIES, OPEN_STATUSES, ConsentVia, GrantStatus, ProxyGrant
from family.push import push_access_revoked, push_help_asked
from family.wording import proxy_as_she_sees_him, scopes_as_she_reads_them
from insurance.models import InsuredPerson

GRANT_LIFETIME = dt.timedelta(days=365)
CHILD_AGE = 16
# How a helper session may have been consented to for a grant to start in it: her own one-time code, or
# the approval of a family member who already acts for her. Never a helper's word alone ("witnessed").
SESSION_CONSENTS_FOR_GRANTS = ("code", "proxy")


class FamilyError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def consent_purpose(grant: ProxyGrant) -> str:
    return f"c{grant.pk}"


def _clean_scopes(scopes: list[str]) -> list[str]:
    clean = [s for s in ALL_SCOPES if s in set(scopes)]
    if not clean:
        raise FamilyError(_("请至少选一项要帮她做的事。"), field="scopes")
    return clean


def _check_room(principal: InsuredPerson, proxy: User) -> None:
    if proxy.person_id == principal.pk:
        raise FamilyError(_("不能把自己添加为家人。"))
    existing = ProxyGrant.objects.filter(principal=principal, proxy=proxy, status__in=OPEN_STATUSES).first()
    if existing is not None:
        if existing.status == GrantStatus.PENDING:
            raise FamilyError(_("已经申请过了，正在等对方同意。"))
        raise FamilyError(_("你们已经是亲情账户了，不用重复添加。"))
    if ProxyGrant.objects.filter(principal=principal, status__in=OPEN_STATUSES).count() >= MAX_PROXIES:
        raise FamilyError(_("一个人最多可以有5位家人帮办，已经满了。请先解除一位。"))


def _activate(grant: ProxyGrant, scopes: list[str], via: str) -> None:
    now = timezone.now()
    grant.status = GrantStatus.ACTIVE
    grant.scopes = scopes
    grant.consent_via = via
    grant.consented_at = now
    grant.expires_at = now + GRANT_LIFETIME
    grant.save(update_fields=["status", "scopes", "consent_via", "consented_at", "expires_at"])


def _describe(grant: ProxyGrant, scopes: list[str] | None = None) -> str:
    return "、".join(grant.scope_labels(scopes))


def request_grant(
    *, proxy: User, name: str, id_number: str, relationship: str, scopes: list[str], ip: str | None = None,
) -> ProxyGrant:
    """The son asks to help his mother. She consents by code, in her account, or via a helper.
    A child under 16 in the proxy's own household is bound at once."""
    if proxy.person_id is None:
        raise FamilyError(_("请先完成您自己的实名认证，家人才知道是谁在申请。"))
    try:
        # One answer for any mismatch, and limited: he must not be able to learn who is insured.
        principal = match_person(name=name, id_number=id_number, ip=ip)
    except BindingError as exc:
        raise FamilyError(exc.message, field=exc.field) from None
    scopes = _clean_scopes(scopes)
    with transaction.atomic():
        _check_room(principal, proxy)
        household_child = (principal.age < CHILD_AGE and principal.household_id
                           and principal.household_id == proxy.person.household_id)
        try:
            with transaction.atomic():
                grant = ProxyGrant.objects.create(principal=principal, proxy=proxy, relationship=relationship,
                                                  scopes=[], requested_scopes=scopes)
        except IntegrityError:
            raise FamilyError(_("已经申请过了，正在等对方同意。")) from None
        record_event(action=Kind.FAMILY_REQUESTED, via=Via.PROXY, actor=proxy, subject=principal, ip=ip,
                     detail={"grant": str(grant.public_id), "scopes": scopes})
        if household_child:
            _activate(grant, scopes, ConsentVia.HOUSEHOLD)
            record_event(action=Kind.FAMILY_GRANTED, via=Via.PROXY, actor=proxy, subject=principal, ip=ip,
                         detail={"grant": str(grant.public_id), "consent": ConsentVia.HOUSEHOLD})
            return grant
        text = _("【医保通】%(who)s（%(rel)s）申请在医保通帮您：%(what)s。同意的话，把验证码%%(code)s告诉他；"
                 "不同意请不要告诉任何人。也可以登录医保通在“谁在帮我”里同意或拒绝。") % {
            "who": proxy.person.name, "rel": proxy_as_she_sees_him(grant.relationship),
            "what": "、".join(scopes_as_she_reads_them(scopes))}  # to her: 您的, and what he is to her
        # Inside the transaction: if her code cannot be sent (say, one was sent to her a moment ago), the
        # request is not left behind pending with no way to consent; he is told and can try again.
        try:
            send_one_time_code(phone_e164=principal.phone, purpose=consent_purpose(grant), ip=ip, sms_text=text)
        except OtpError as exc:
            raise FamilyError(exc.message) from None
    return grant


def resend_consent_code(grant: ProxyGrant, *, ip: str | None = None) -> None:
    if grant.status != GrantStatus.PENDING:
        raise FamilyError(_("这个申请已经处理过了。"))
    text = _("【医保通】%(who)s申请帮您办理医保。同意的话，把验证码%%(code)s告诉他。") % {"who": grant.proxy.person.name}
    try:
        send_one_time_code(phone_e164=grant.principal.phone, purpose=consent_purpose(grant), ip=ip, sms_text=text,
                           resend_label=_("再发一次"))
    except OtpError as exc:
        raise FamilyError(exc.message) from None


def consent_with_code(grant: ProxyGrant, *, proxy: User, code: str, ip: str | None = None) -> ProxyGrant:
    """The mother read the code from her phone to her son; he types it in."""
    if grant.proxy_id != proxy.pk or grant.status != GrantStatus.PENDING:
        raise FamilyError(_("这个申请已经处理过了。"))
    try:
        check_one_time_code(phone_e164=grant.principal.phone, purpose=consent_purpose(grant), code=code,
                            resend_label=_("再发一次"))
    except OtpError as exc:
        raise FamilyError(exc.message, field="code") from None
    with transaction.atomic():
        grant = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.status != GrantStatus.PENDING:
            raise FamilyError(_("这个申请已经处理过了。"))
        _check_limit_on_activation(grant)
        _activate(grant, grant.requested_scopes, ConsentVia.CODE)
        record_event(action=Kind.FAMILY_GRANTED, via=Via.PROXY, actor=proxy, subject=grant.principal, ip=ip,
                     detail={"grant": str(grant.public_id), "consent": ConsentVia.CODE, "scopes": grant.scopes})
        _tell_principal_added(grant)
    return grant


def _check_limit_on_activation(grant: ProxyGrant) -> None:
    active = ProxyGrant.objects.active().filter(principal=grant.principal).exclude(pk=grant.pk).count()
    if active >= MAX_PROXIES:
        raise FamilyError(_("一个人最多可以有5位家人帮办，已经满了。请先解除一位。"))


def _tell_principal_added(grant: ProxyGrant) -> None:
    send_notice(grant.principal.phone, _("【医保通】%(who)s（%(rel)s）已成为您的亲情账户家人，可以：%(what)s。"
                                         "不认识或不同意，请登录医保通在“谁在帮我”里马上解除，或拨打%(h)s。") % {
        "who": grant.proxy.masked_name, "rel": proxy_as_she_sees_him(grant.relationship),
        "what": "、".join(scopes_as_she_reads_them(grant.scopes)), "h": settings.SITE_HOTLINE})


def answer_request(grant: ProxyGrant, *, principal_user: User, approve: bool, scopes: list[str] | None = None,
                   ip: str | None = None) -> ProxyGrant:
    """The mother answers in her own account; she may agree to fewer things than asked."""
    if principal_user.person_id != grant.principal_id:
        raise FamilyError(_("找不到这个申请。"))
    with transaction.atomic():
        grant = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.status != GrantStatus.PENDING:
            raise FamilyError(_("这个申请已经处理过了。"))
        if not approve:
            grant.status, grant.ended_at = GrantStatus.REFUSED, timezone.now()
            grant.save(update_fields=["status", "ended_at"])
            record_event(action=Kind.FAMILY_REFUSED, actor=principal_user, subject=grant.principal, ip=ip,
                         detail={"grant": str(grant.public_id)})
            return grant
        agreed = [s for s in _clean_scopes(scopes or []) if s in grant.requested_scopes]
        if not agreed:
            raise FamilyError(_("请至少选一项他申请的事。"), field="scopes")
        _check_limit_on_activation(grant)
        _activate(grant, agreed, ConsentVia.ACCOUNT)
        record_event(action=Kind.FAMILY_GRANTED, actor=principal_user, subject=grant.principal, ip=ip,
                     detail={"grant": str(grant.public_id), "consent": ConsentVia.ACCOUNT, "scopes": agreed})
    return grant


def invite_proxy(*, principal_user: User, phone_e164: str, relationship: str, scopes: list[str],
                 ip: str | None = None) -> ProxyGrant:
    """The mother adds her son from her own account, by his phone number: her act is her consent."""
    principal = principal_user.person
    if principal is None:
        raise FamilyError(_("请先完成实名认证。"))
    scopes = _clean_scopes(scopes)
    with transaction.atomic():
        proxy = User.objects.get_by_phone(phone_e164)
        if proxy is None:
            proxy = User.objects.create_user(phone_e164)
        if proxy.role != Role.CITIZEN:
            raise FamilyError(_("这个手机号是工作人员账户，不能添加为家人。"), field="phone")
        _check_room(principal, proxy)
        grant = ProxyGrant.objects.create(principal=principal, proxy=proxy, relationship=relationship,
                                          scopes=[], requested_scopes=scopes, requested_by_principal=True)
        _activate(grant, scopes, ConsentVia.PRINCIPAL_INVITE)
        record_event(action=Kind.FAMILY_GRANTED, actor=principal_user, subject=principal, ip=ip,
                     detail={"grant": str(grant.public_id), "consent": ConsentVia.PRINCIPAL_INVITE, "scopes": scopes})
        send_notice(phone_e164, _("【医保通】%(who)s把您添加为亲情账户家人，您可以帮她：%(what)s。请用本手机号登录医保通。")
                    % {"who": principal.masked_name, "what": _describe(grant)})
    return grant


def revoke_grant(grant: ProxyGrant, *, by: User, ip: str | None = None) -> ProxyGrant:
    """Either side ends it, at once: open pages and sockets of the proxy lose access within a second."""
    if by.pk != grant.proxy_id and by.person_id != grant.principal_id:
        raise FamilyError(_("找不到这个授权。"))
    with transaction.atomic():
        grant = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.status not in OPEN_STATUSES:
            return grant
        grant.status, grant.ended_at = GrantStatus.REVOKED, timezone.now()
        grant.save(update_fields=["status", "ended_at"])
        record_event(action=Kind.FAMILY_REVOKED, via=Via.SELF if by.person_id == grant.principal_id else Via.PROXY,
                     actor=by, subject=grant.principal, ip=ip, detail={"grant": str(grant.public_id)})
        push_access_revoked(grant.proxy_id, grant.principal_id)  # sent on commit
    return grant


# 马上解除 can be undone by her for this long: a tap on the wrong card is not a lost son.
RESTORE_WINDOW = dt.timedelta(minutes=5)


def _revoked_by_her(grant: ProxyGrant) -> bool:
    """Only what she ended herself is hers to bring back: not his own 不再帮她, not a staff review's undo."""
    return AuditEvent.objects.filter(action=Kind.FAMILY_REVOKED, via=Via.SELF, subject_id=grant.principal_id,
                                     detail__grant=str(grant.public_id)).exists()


def may_restore(grant: ProxyGrant, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (grant.status == GrantStatus.REVOKED and grant.ended_at is not None
            and now - grant.ended_at <= RESTORE_WINDOW and _revoked_by_her(grant))


def restorable_grants(person: InsuredPerson) -> list[ProxyGrant]:
    """The grants she ended in the last five minutes and may still bring back, newest first."""
    since = timezone.now() - RESTORE_WINDOW
    recent = ProxyGrant.objects.filter(principal=person, status=GrantStatus.REVOKED, ended_at__gte=since)
    return [g for g in recent.select_related("proxy").order_by("-ended_at") if may_restore(g)]


def restore_grant(grant: ProxyGrant, *, principal_user: User, ip: str | None = None) -> ProxyGrant:
    """She undoes her 马上解除 within five minutes: the grant is as it was (same scopes, same end date). His
    sockets left her watchers when she revoked; they see her again only from here on (a new page or a new
    acting-for choice), never for the minutes in between."""
    if principal_user.person_id != grant.principal_id:
        raise FamilyError(_("找不到这个授权。"))
    with transaction.atomic():
        grant = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.status == GrantStatus.ACTIVE:
            return grant  # a second tap of 撤销 finds it back already
        if not may_restore(grant):
            raise FamilyError(_("已经超过5分钟，不能撤销了。要让他再帮您，请点“让家人帮我”重新添加。"))
        if ProxyGrant.objects.active().filter(principal=grant.principal).count() >= MAX_PROXIES:
            raise FamilyError(_("一个人最多可以有5位家人帮办，已经满了。请先解除一位。"))
        grant.status, grant.ended_at = GrantStatus.ACTIVE, None
        try:
            with transaction.atomic():
                grant.save(update_fields=["status", "ended_at"])
        except IntegrityError:  # he was added again in those minutes: that grant stands
            raise FamilyError(_("你们已经是亲情账户了，不用重复添加。")) from None
        record_event(action=Kind.FAMILY_RESTORED, actor=principal_user, subject=grant.principal, ip=ip,
                     detail={"grant": str(grant.public_id)})
    return grant


def renew_grant(grant: ProxyGrant, *, principal_user: User, ip: str | None = None) -> ProxyGrant:
    if principal_user.person_id != grant.principal_id:
        raise FamilyError(_("找不到这个授权。"))
    with transaction.atomic():
        grant = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.status != GrantStatus.ACTIVE:
            raise FamilyError(_("这个授权已经结束了，请重新添加。"))
        grant.expires_at = timezone.now() + GRANT_LIFETIME
        grant.save(update_fields=["expires_at"])
        record_event(action=Kind.FAMILY_RENEWED, actor=principal_user, subject=grant.principal, ip=ip,
                     detail={"grant": str(grant.public_id)})
    return grant


# Proxy uses she is told about by SMS; every use is remembered (last_used_at).
TOLD_USES = (Kind.CODE_SHOWN, Kind.VOUCHER_ACTIVATED, Kind.VOUCHER_REACTIVATED)


def note_proxy_use(grant_id: int, action: str) -> None:
    """A proxy used a grant: remember when, and tell her (at most one SMS an hour per grant). Registered at
    start-up as the proxy-use hook (core/acting_for.py): the action that recorded the use calls it once that
    commits."""

    with transaction.atomic():
        grant = ProxyGrant.objects.select_related("principal", "proxy").filter(pk=grant_id).first()
        if grant is None:
            return
        ProxyGrant.objects.filter(pk=grant_id).update(last_used_at=timezone.now())
        if action not in TOLD_USES:
            return
        try:
            first_this_hour = cache.add(f"proxy-use-notice:{grant_id}", 1, timeout=3600)
        except Exception:  # the cache (Redis) is away: rather tell her twice than not at all
            first_this_hour = True
        if not first_this_hour:
            return
        what = _("打开了您的医保码") if action == Kind.CODE_SHOWN else _("替您开通了医保码")
        send_notice(grant.principal.phone, _("【医保通】%(who)s刚刚%(what)s。不是您同意的，请在“谁在帮我”里解除。")
                    % {"who": grant.proxy.masked_name, "what": what})


def ask_family_for_help(*, principal_user: User, ip: str | None = None) -> int:
    """请家人帮我: tell everyone who may act for her (push to their open pages, and an SMS). Returns how many."""
    person = principal_user.person
    if person is None:
        return 0
    grants = list(ProxyGrant.objects.active().filter(principal=person).select_related("proxy"))
    with transaction.atomic():
        record_event(action=Kind.FAMILY_HELP_REQUESTED, actor=principal_user, subject=person, ip=ip,
                     detail={"proxies": len(grants)})
        for grant in grants:
            send_notice(grant.proxy.phone, _("【医保通】%(who)s在医保通上点了“请家人帮我”，请给她打个电话。") % {
                "who": person.masked_name})
        push_help_asked([g.proxy_id for g in grants], person.pk)  # sent on commit
    return len(grants)


def grant_in_helper_session(*, principal: InsuredPerson, helper: User, phone_e164: str, relationship: str,
                            scopes: list[str], session_consent: str, ip: str | None = None,
                            detail: dict | None = None) -> ProxyGrant:
    """She approves a family member in a helper session (docs/design.md §7): the grant starts at once, but only when
    the session itself was agreed with her code or by a family member who already acts for her."""
    if session_consent not in SESSION_CONSENTS_FOR_GRANTS:
        raise FamilyError(_("帮办员见证的同意不能用来绑定家人。要办这件事，请重新开始帮办，"
                            "让她用手机收到的验证码同意，或请已经绑定的家人在手机上同意。"))
    scopes = _clean_scopes(scopes)
    with transaction.atomic():
        proxy = User.objects.get_by_phone(phone_e164) or User.objects.create_user(phone_e164)
        if proxy.role != Role.CITIZEN:
            raise FamilyError(_("这个手机号是工作人员账户，不能添加为家人。"), field="phone")
        _check_room(principal, proxy)
        grant = ProxyGrant.objects.create(principal=principal, proxy=proxy, relationship=relationship,
                                          scopes=[], requested_scopes=scopes, requested_by_principal=True)
        _activate(grant, scopes, ConsentVia.HELPER)
        record_event(action=Kind.FAMILY_GRANTED, via=Via.HELPER, actor=helper, subject=principal, ip=ip,
                     detail={"grant": str(grant.public_id), "consent": ConsentVia.HELPER,
                             "session_consent": session_consent, **(detail or {})})
        send_notice(phone_e164, _("【医保通】%(who)s在社区帮办点把您添加为亲情账户家人，您可以帮她：%(what)s。")
                    % {"who": principal.masked_name, "what": _describe(grant)})
        _tell_principal_added(grant)
    return grant


def revoke_after_review(grant: ProxyGrant, *, staff: User, ip: str | None = None,
                        detail: dict | None = None) -> ProxyGrant:
    """Bureau staff undo a grant made in a helper session they reviewed: ended at once, like her own revoke,
    and the proxy is told why."""
    if staff.role != Role.STAFF:
        raise FamilyError(_("只有医保局工作人员可以撤销。"))
    with transaction.atomic():
        grant = ProxyGrant.objects.select_for_update().select_related("principal", "proxy").get(pk=grant.pk)
        if grant.status not in OPEN_STATUSES:
            return grant
        grant.status, grant.ended_at = GrantStatus.REVOKED, timezone.now()
        grant.save(update_fields=["status", "ended_at"])
        record_event(action=Kind.FAMILY_REVOKED, via=Via.STAFF, actor=staff, subject=grant.principal, ip=ip,
                     detail={"grant": str(grant.public_id), "reason": "assist_review", **(detail or {})})
        send_notice(grant.proxy.phone, _("【医保通】医保局工作人员复核后，解除了您和%(name)s的亲情账户。"
                                         "如需再帮她，请由她本人同意后重新添加。有疑问请拨打%(h)s。") % {
            "name": grant.principal.masked_name, "h": settings.SITE_HOTLINE})
        push_access_revoked(grant.proxy_id, grant.principal_id)  # sent on commit
    return grant
