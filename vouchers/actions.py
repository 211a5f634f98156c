"""E-voucher state changes: activate, suspend, use a code. One transaction, one audit row each."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import revoke_all_trusted_phones
from accounts.models import User
from audit.actions import record_event, record_proxy_use
from audit.kinds import Kind
from audit.models import Via
from core.acting_for import proxy_used
from elder_mode.actions import set_elder_mode
from insurance.models import EnrollmentStatus, InsuredPerson
from vouchers.codes import CodeClaims, CodeTokenError, verify_code_token
from vouchers.models import UsedCodeToken, Voucher, VoucherStatus


class VoucherError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def activate_voucher(
    person: InsuredPerson, *, actor=None, via: str = Via.SELF, ip: str | None = None, detail: dict | None = None,
    grant_id: int | None = None,
) -> Voucher:
    """`grant_id`: a proxy activates it for her with this grant (recorded in the audit row, and the use is
    noted and told to her once it commits)."""
    if grant_id is not None:
        detail = {**(detail or {}), "grant_id": grant_id}
    if person.status != EnrollmentStatus.ENROLLED:
        raise VoucherError(_("您的参保状态是“%(s)s”，暂时不能开通医保码。请拨打12393。")
                           % {"s": person.get_status_display()})
    with transaction.atomic():
        voucher, _created = Voucher.objects.select_for_update().get_or_create(person=person)
        if voucher.status == VoucherStatus.ACTIVE:
            return voucher
        action = Kind.VOUCHER_REACTIVATED if voucher.status == VoucherStatus.SUSPENDED else Kind.VOUCHER_ACTIVATED
        voucher.status = VoucherStatus.ACTIVE
        voucher.activated_at = timezone.now()
        voucher.suspended_at = None
        voucher.save(update_fields=["status", "activated_at", "suspended_at"])
        record_event(action=action, via=via, actor=actor, subject=person, ip=ip, detail=detail)
        if grant_id is not None and via == Via.PROXY:
            proxy_used(grant_id, action)
    return voucher


def finish_activation(person: InsuredPerson, *, user, elder_mode: bool, ip: str | None = None) -> Voucher:
    """The wizard's last step: her code opens and her display choice is kept on her account, together."""
    with transaction.atomic():
        voucher = activate_voucher(person, actor=user, ip=ip)
        set_elder_mode(user, elder_mode)
    return voucher


def suspend_voucher(
    person: InsuredPerson, *, actor=None, via: str = Via.SELF, ip: str | None = None, reason: str = "lost_phone"
) -> Voucher:
    with transaction.atomic():
        voucher = Voucher.objects.select_for_update().get(person=person)
        if reason == "lost_phone":
            # 我的手机丢了: no phone of hers stays trusted, even when the code was already paused.
            owner = User.objects.filter(person=person).first()
            if owner is not None:
                revoke_all_trusted_phones(owner, by=actor if isinstance(actor, User) else None, ip=ip)
        if voucher.status != VoucherStatus.ACTIVE:
            return voucher
        voucher.status = VoucherStatus.SUSPENDED
        voucher.suspended_at = timezone.now()
        voucher.save(update_fields=["status", "suspended_at"])
        record_event(action=Kind.VOUCHER_SUSPENDED, via=via, actor=actor, subject=person, ip=ip,
                     detail={"reason": reason})
    return voucher


def check_code(token: str, *, now: int | None = None, check_used: bool = True) -> tuple[CodeClaims, Voucher]:
    """Everything a counter needs to trust a code: signature, age, voucher active, not yet used (unless the
    caller is about to use it, where the unique insert decides)."""
    claims = verify_code_token(token, now=now)
    voucher = Voucher.objects.select_related("person").filter(public_id=claims.voucher_public_id).first()
    if voucher is None:
        raise CodeTokenError("code_unknown", _("找不到这个医保码对应的凭证，请让对方刷新医保码。"))
    if voucher.status == VoucherStatus.SUSPENDED:
        raise CodeTokenError("voucher_suspended", _("这个医保码已暂停使用（本人挂失）。请本人带身份证到人工窗口办理。"))
    if voucher.status != VoucherStatus.ACTIVE:
        raise CodeTokenError("voucher_inactive", _("这个医保码还没有开通。"))
    if check_used and UsedCodeToken.objects.filter(nonce=claims.nonce).exists():
        raise CodeTokenError("code_used", _("这个医保码已经用过一次了，请让对方刷新后再扫。"))
    return claims, voucher


def consume_code(token: str, *, institution=None, now: int | None = None) -> tuple[CodeClaims, Voucher]:
    """Use a code for one settlement. A second use of the same code fails, even at the same instant: the
    unique nonce decides. Inside a caller's transaction no savepoint is made (two round trips fewer on every
    settlement): a second use fails the caller's whole transaction, which then rolls back."""
    claims, voucher = check_code(token, now=now, check_used=False)
    try:
        with transaction.atomic(savepoint=False):
            UsedCodeToken.objects.create(
                nonce=claims.nonce,
                voucher=voucher,
                issued_at=dt.datetime.fromtimestamp(claims.issued_at, tz=dt.UTC),
            )
            record_event(
                action=Kind.CODE_USED,
                via=Via.INSTITUTION,
                actor_label=getattr(institution, "name", ""),
                subject=voucher.person,
            )
    except IntegrityError:
        raise CodeTokenError("code_used", _("这个医保码已经用过一次了，请让对方刷新后再扫。")) from None
    return claims, voucher


def note_code_shown(person: InsuredPerson, *, actor, grant_id: int | None = None, ip: str | None = None) -> None:
    """Her code page was opened: by herself, or by a proxy with grant `grant_id` (then she is told)."""
    if grant_id is None:
        # One INSERT, atomic by itself: no BEGIN/COMMIT round trips on the portal's busiest page.
        record_event(action=Kind.CODE_SHOWN, actor=actor, subject=person, ip=ip)
    else:
        record_proxy_use(Kind.CODE_SHOWN, actor=actor, subject=person, grant_id=grant_id, ip=ip)


def verify_code_for(token: str, *, institution, ip: str | None = None) -> tuple[CodeClaims, Voucher]:
    """A counter checks a scanned code (without using it): the row in her account record says who did."""
    claims, voucher = check_code(token)
    with transaction.atomic():
        record_event(action=Kind.CODE_VERIFIED, via=Via.INSTITUTION, actor_label=institution.name,
                     subject=voucher.person, ip=ip)
    return claims, voucher
