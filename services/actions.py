"""办事 state changes. Every one: one transaction, one audit row naming who did it (herself, a family proxy with
`act`, a helper in a consented session, or staff), and its push and SMS on commit (docs/design.md §2, §7).

Document photos arrive already cleaned (services/uploads.py) and are written inside the same transaction as
the rows that name them; a file written by a transaction that then rolls back is deleted again
(`files_kept_only_on_commit`), so a failure leaves neither a row without its file nor a file without its row.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from audit.actions import record_event, record_proxy_use
from audit.kinds import Kind
from audit.models import Via as AuditVia
from insurance.actions import book_claim_split
from insurance.engine import NoPolicy
from insurance.filings import (
    HOLDING_STATUSES,
    OPEN_STATUSES,
    ChronicCondition,
    Entitlement,
    Filing,
    FilingRule,
    ReviewStatus,
    Via,
)
from insurance.models import InstitutionLevel, InsuredPerson
from insurance.policy import VisitType
from insurance.regions import city, region_name
from insurance.workdays import add_working_days
from payments import payouts
from payments.models import PayoutDestination
from services.chronic import grant_ends_on, ran_out, valid_until_sentence
from services.claims import (
    CLAIMABLE_STATUSES,
    INVOICE_LABEL,
    SLIP_LABEL,
    ClaimBill,
    bill_items,
    live_claim_of,
    may_use_account,
    stand_in_institution,
)
from services.models import Attachment, Claim, ClaimStatus
from services.push import filing_decision_texts, push_claim, push_entitlement, push_filing, tell_her_and_family
from services.selectors import accepts_promise, requirements_for
from services.storage import private_storage
from services.tax import Statement, TaxYear, new_statement
from services.uploads import CleanPhoto
from settlement.models import Status as SettlementStatus


class ServiceError(Exception):
    """A request we cannot take: `message` in plain Chinese, `field` the form field it belongs under."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


MAX_PHOTOS = 6
MIN_REASON = 4

# --- shared helpers ------------------------------------------------------------------------------------

_written: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("services_written_files", default=None)


@contextmanager
def files_kept_only_on_commit() -> Iterator[None]:
    """Around a transaction that may write attachments: if it fails, the files it wrote are deleted. An action
    called inside a caller's own transaction (assist's) leaves the cleanup to the caller's, outermost one."""
    if _written.get() is not None:
        yield
        return
    token = _written.set([])
    try:
        yield
    except BaseException:
        storage = private_storage()
        for name in _written.get() or []:
            storage.delete(name)
        raise
    finally:
        _written.reset(token)


def save_attachment(*, person: InsuredPerson, label: str, photo: CleanPhoto, uploaded_by: User | None,
                    filing: Filing | None = None, entitlement: Any = None, claim: Claim | None = None) -> Attachment:
    """One cleaned photo, file and row; call inside `files_kept_only_on_commit` and a transaction."""
    attachment = Attachment(person=person, filing=filing, entitlement=entitlement, claim=claim, label=label[:60],
                            width=photo.width, height=photo.height, size=photo.size, sha256=photo.sha256,
                            uploaded_by=uploaded_by)
    attachment.image.save("photo.jpg", ContentFile(photo.content), save=False)
    written = _written.get()
    if written is not None:
        written.append(attachment.image.name)
    attachment.save()
    return attachment


def record(kind: Kind, *, actor: User, person: InsuredPerson, via: str, grant_id: int | None = None,
           assist_session_id: int | None = None, ip: str | None = None, detail: dict | None = None) -> None:
    """The audit row of a citizen-side service action, by whoever did it: a proxy's use is told to her by
    family's hook (core/acting_for.py); a helper's names the session (as assist/actions.py does)."""
    detail = dict(detail or {})
    if via == Via.PROXY:
        if grant_id is None:
            raise ValueError("a proxy's action needs the grant it used")
        record_proxy_use(kind, actor=actor, subject=person, grant_id=grant_id, ip=ip, detail=detail)
    elif via == Via.HELPER:
        if assist_session_id is None:
            raise ValueError("a helper's action needs the assist session")
        record_event(action=kind, via=AuditVia.HELPER, actor=actor, subject=person, ip=ip,
                     detail={**detail, "assist_session_id": assist_session_id})
    else:
        record_event(action=kind, via=AuditVia.SELF, actor=actor, subject=person, ip=ip, detail=detail)


def _tell_her_who(person: InsuredPerson, actor: User, via: str, what: str) -> None:
    """A proxy acted in her name: she is told who, at once (docs/design.md §7)."""
    if via == Via.PROXY:
        send_her = _("【医保通】%(who)s刚刚替您%(what)s。不是您同意的，请在“谁在帮我”里解除，或拨打%(h)s。")
        tell_her_and_family(person, send_her % {"who": actor.masked_name, "what": what, "h": settings.SITE_HOTLINE})


# --- 异地就医备案 -----------------------------------------------------------------------------------------


def check_filing(*, person: InsuredPerson, filing_type: str, region_code: str, valid_from: dt.date | None,
                 valid_until: dt.date | None, hospital: str = "", exclude: Filing | None = None) -> FilingRule:
    """Everything about a filing but its materials, in the order she fills the page; raises ServiceError.
    Used by the first screen (so she hears of a wrong date before taking photos) and by the actions."""
    rule = FilingRule.objects.filter(filing_type=filing_type).first()
    if rule is None:
        raise ServiceError(_("请选一种备案类型。"), "filing_type")
    home = region_name(person.region_code)
    hotline = settings.SITE_HOTLINE
    destination = city(region_code or "")
    if destination is None:
        raise ServiceError(_("请从列表里选要去的城市。列表里没有的地方，请拨打%(h)s问%(home)s医保局怎么办。")
                           % {"h": hotline, "home": home}, "region_code")
    if not destination.connected:
        raise ServiceError(_("%(city)s的医院还没有开通异地就医直接结算，这里不能备案。在那里看病要先自己付钱，"
                             "回来后带发票到%(home)s医保窗口报销；不清楚的请拨打%(h)s。")
                           % {"city": destination.name, "home": home, "h": hotline}, "region_code")
    if region_code == person.region_code:
        raise ServiceError(_("%(city)s就是您参保的地方，在这里看病直接用医保码，不用备案。")
                           % {"city": destination.name}, "region_code")
    if valid_from is None:
        raise ServiceError(_("请填开始日期。"), "valid_from")
    if valid_from < timezone.localdate():
        raise ServiceError(_("开始日期不能早于今天。已经在外地看过病的，请带发票到%(home)s医保窗口报销。")
                           % {"home": home}, "valid_from")
    if valid_until is None and (rule.needs_end_date or rule.max_days):
        raise ServiceError(_("这一类备案要填结束日期。"), "valid_until")
    if valid_until is not None and valid_until < valid_from:
        raise ServiceError(_("结束日期不能早于开始日期。"), "valid_until")
    if valid_until is not None and rule.max_days and (valid_until - valid_from).days + 1 > rule.max_days:
        raise ServiceError(_("这一类备案最长%(n)d天，请把结束日期往前改。到期后还要在外地看病，可以再办一次。")
                           % {"n": rule.max_days}, "valid_until")
    if filing_type == "referral" and not hospital.strip():
        raise ServiceError(_("转诊要写去哪家医院，照转诊单上写的填。"), "hospital")
    clash = (Filing.objects.filter(person=person, region_code=region_code).holding()
             .overlapping(valid_from, valid_until))
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    found = clash.first()
    if found is not None:
        raise ServiceError(_("这段时间您已经有一份去%(city)s的备案（%(status)s），不用再办。要改日期，请打开“我的备案”，"
                             "点那一份的“修改”。") % {"city": destination.name, "status": found.get_status_display()},
                           "valid_from")
    return rule


def _check_materials(*, filing_type: str, region_code: str, photos: list[tuple[str, CleanPhoto]], promised: bool,
                     on_file: set[str] = frozenset()) -> None:
    if len(photos) > MAX_PHOTOS:
        raise ServiceError(_("最多传%(n)d张照片，请只拍要求的材料。") % {"n": MAX_PHOTOS})
    have = {label for label, _photo in photos} | set(on_file)
    for requirement in requirements_for(filing_type, region_code):
        if not requirement.required or requirement.name in have:
            continue
        if accepts_promise(requirement):
            if promised:
                continue
            raise ServiceError(_("请勾选“我承诺”，或者拍一张“%(name)s”的照片。") % {"name": requirement.name}, "promised")
        raise ServiceError(_("还缺“%(name)s”的照片。%(how)s") % {"name": requirement.name, "how": requirement.help_text},
                           f"photo_{requirement.pk}")


def _apply_rule(filing: Filing, rule: FilingRule, now: dt.datetime, *, keep_clock: bool = False) -> None:
    """At once ("一次备案、全国通用") or to the review queue with the promised time limit."""
    if rule.takes_effect_at_once:
        filing.status, filing.decided_at, filing.decided_by, filing.due_by = ReviewStatus.APPROVED, now, None, None
    else:
        if not (keep_clock and filing.status == ReviewStatus.PENDING and filing.due_by):
            filing.due_by = add_working_days(now, rule.review_working_days)
        filing.status, filing.decided_at, filing.decided_by = ReviewStatus.PENDING, None, None
    filing.reason = ""


def submit_filing(*, actor: User, person: InsuredPerson, via: str, filing_type: str, region_code: str,
                  valid_from: dt.date | None, valid_until: dt.date | None, hospital: str = "",
                  photos: list[tuple[str, CleanPhoto]], promised: bool, grant_id: int | None = None,
                  assist_session_id: int | None = None, ip: str | None = None) -> Filing:
    """Her filing, by herself, a proxy with `act` or a helper: approved at once where the rule says so,
    otherwise pending review with the promised date. Nothing is kept unless all of it is."""
    with files_kept_only_on_commit(), transaction.atomic():
        # Her row locked: two presses of "submit" (or her and her son at once) cannot both pass the overlap check.
        InsuredPerson.objects.select_for_update().filter(pk=person.pk).first()
        rule = check_filing(person=person, filing_type=filing_type, region_code=region_code, valid_from=valid_from,
                            valid_until=valid_until, hospital=hospital)
        _check_materials(filing_type=filing_type, region_code=region_code, photos=photos, promised=promised)
        now = timezone.now()
        filing = Filing(person=person, filing_type=filing_type, region_code=region_code, hospital=hospital.strip()[:100],
                        valid_from=valid_from, valid_until=valid_until, via=via, submitted_by=actor, submitted_at=now)
        _apply_rule(filing, rule, now)
        filing.save()
        for label, photo in photos:
            save_attachment(person=person, label=label, photo=photo, uploaded_by=actor, filing=filing)
        record(Kind.FILING_SUBMITTED, actor=actor, person=person, via=via, grant_id=grant_id,
               assist_session_id=assist_session_id, ip=ip,
               detail={"filing": str(filing.public_id), "type": filing_type, "region": region_code,
                       "status": filing.status, "promised": promised, "photos": len(photos)})
        _tell_her_who(person, actor, via, _("办了异地就医备案（去%(city)s）") % {"city": filing.region_name})
        if filing.status == ReviewStatus.APPROVED:
            tell_her_and_family(person, *filing_decision_texts(filing))
        push_filing(filing.pk, added=True)  # sent on commit
    return filing


def _locked(filing: Filing) -> Filing:
    locked = Filing.objects.select_for_update().select_related("person").filter(pk=filing.pk).first()
    if locked is None:
        raise ServiceError(_("找不到这份备案。"))
    return locked


def change_filing(filing: Filing, *, actor: User, via: str, filing_type: str, region_code: str,
                  valid_from: dt.date | None, valid_until: dt.date | None, hospital: str = "",
                  photos: list[tuple[str, CleanPhoto]] = (), promised: bool = False, grant_id: int | None = None,
                  assist_session_id: int | None = None, ip: str | None = None) -> Filing:
    """She corrects a returned filing (back to review, a new clock) or changes a pending or approved one (the
    rule applies again: at once stays approved, a reviewed type goes back to review)."""
    photos = list(photos)
    with files_kept_only_on_commit(), transaction.atomic():
        filing = _locked(filing)
        if filing.status not in HOLDING_STATUSES:
            raise ServiceError(_("这份备案已经%(status)s，不能再改了。需要的话，请重新办一份。")
                               % {"status": filing.get_status_display()})
        person = filing.person
        rule = check_filing(person=person, filing_type=filing_type, region_code=region_code, valid_from=valid_from,
                            valid_until=valid_until, hospital=hospital, exclude=filing)
        on_file = set(filing.attachments.values_list("label", flat=True))
        _check_materials(filing_type=filing_type, region_code=region_code, photos=photos, promised=promised,
                         on_file=on_file)
        if filing.attachments.count() + len(photos) > MAX_PHOTOS * 2:
            raise ServiceError(_("这份备案的照片已经够多了，请直接提交。"))
        before = {"type": filing.filing_type, "region": filing.region_code, "from": str(filing.valid_from),
                  "until": str(filing.valid_until or ""), "status": filing.status}
        filing.filing_type, filing.region_code, filing.hospital = filing_type, region_code, hospital.strip()[:100]
        filing.valid_from, filing.valid_until = valid_from, valid_until
        now = timezone.now()
        _apply_rule(filing, rule, now, keep_clock=True)
        filing.save()
        for label, photo in photos:
            save_attachment(person=person, label=label, photo=photo, uploaded_by=actor, filing=filing)
        record(Kind.FILING_CHANGED, actor=actor, person=person, via=via, grant_id=grant_id,
               assist_session_id=assist_session_id, ip=ip,
               detail={"filing": str(filing.public_id), "before": before, "status": filing.status,
                       "photos": len(photos)})
        _tell_her_who(person, actor, via, _("修改了异地就医备案（去%(city)s）") % {"city": filing.region_name})
        push_filing(filing.pk)
    return filing


def cancel_filing(filing: Filing, *, actor: User, via: str, grant_id: int | None = None,
                  assist_session_id: int | None = None, ip: str | None = None) -> Filing:
    """From now on the engine no longer applies it (it reads only approved filings)."""
    with transaction.atomic():
        filing = _locked(filing)
        if filing.status == ReviewStatus.CANCELLED:
            return filing  # a second press of "确定取消"
        if filing.status not in HOLDING_STATUSES:
            raise ServiceError(_("这份备案已经%(status)s，不用取消。") % {"status": filing.get_status_display()})
        before = filing.status
        filing.status = ReviewStatus.CANCELLED
        filing.save(update_fields=["status", "updated_at"])
        record(Kind.FILING_CANCELLED, actor=actor, person=filing.person, via=via, grant_id=grant_id,
               assist_session_id=assist_session_id, ip=ip, detail={"filing": str(filing.public_id), "before": before})
        _tell_her_who(filing.person, actor, via, _("取消了异地就医备案（去%(city)s）") % {"city": filing.region_name})
        push_filing(filing.pk)
    return filing


DECISIONS = {"approve": (ReviewStatus.APPROVED, Kind.FILING_APPROVED),
             "return": (ReviewStatus.RETURNED, Kind.FILING_RETURNED),
             "refuse": (ReviewStatus.REFUSED, Kind.FILING_REFUSED)}


def decide_filing(filing_id: int, *, staff: User, decision: str, reason: str = "", ip: str | None = None) -> Filing:
    """Staff approve, return (with what to fix) or refuse a pending filing, once: the row is locked and its
    status compared, so a second decision, or two staff at once, gets an error and changes nothing."""
    if getattr(staff, "role", None) != Role.STAFF:
        raise ServiceError(_("只有医保局工作人员可以审核备案。"))
    if decision not in DECISIONS:
        raise ServiceError(_("请选通过、退回补充或不通过。"), "decision")
    reason = (reason or "").strip()
    if decision != "approve" and len(reason) < MIN_REASON:
        raise ServiceError(_("请写清楚原因（至少%(n)d个字），她会在短信和页面上看到。") % {"n": MIN_REASON}, "reason")
    status, kind = DECISIONS[decision]
    with transaction.atomic():
        filing = Filing.objects.select_for_update().select_related("person").filter(pk=filing_id).first()
        if filing is None:
            raise ServiceError(_("找不到这份备案。"))
        if filing.status != ReviewStatus.PENDING:
            raise ServiceError(_("这份备案已经处理过了（%(status)s），请刷新页面看最新状态。")
                               % {"status": filing.get_status_display()})
        filing.status, filing.reason = status, reason[:200]
        filing.decided_at, filing.decided_by = timezone.now(), staff
        filing.save(update_fields=["status", "reason", "decided_at", "decided_by", "updated_at"])
        record_event(action=kind, via=AuditVia.STAFF, actor=staff, subject=filing.person, ip=ip,
                     detail={"filing": str(filing.public_id), "reason": filing.reason})
        tell_her_and_family(filing.person, *filing_decision_texts(filing))
        push_filing(filing.pk)
    return filing


# --- 门诊慢特病 -------------------------------------------------------------------------------------------
# Applying for a chronic-disease entitlement (门诊慢特病认定) with a hospital certificate photo, a new photo
# after a return, withdrawing, and the staff decision. At most one live application or grant per condition:
# the database holds that (insurance/filings.py, `one_live_entitlement_per_condition`), so a double press
# finds the first application instead of making a second.

CERTIFICATE_LABEL = "诊断证明"


def _entitlement_decision_texts(entitlement: Entitlement) -> tuple[str, str]:
    """(for her, for her family with %(name)s) of the entitlement's decision."""
    values = {"condition": entitlement.condition.name, "reason": entitlement.reason, "h": settings.SITE_HOTLINE,
              "name": "%(name)s"}
    family = {**values, "reason": entitlement.reason.replace("%", "%%")}  # formatted again with her name
    if entitlement.status == ReviewStatus.APPROVED:
        until = valid_until_sentence(entitlement.valid_until)
        return (_("【医保通】您的门诊慢特病（%(condition)s）认定已通过，%(until)s。在门诊看这个病、买药，医保按慢特病报销。")
                % {**values, "until": until},
                _("【医保通】您的家人%(name)s的门诊慢特病（%(condition)s）认定已通过，%(until)s。")
                % {**family, "until": until})
    if entitlement.status == ReviewStatus.RETURNED:
        return (_("【医保通】您的门诊慢特病（%(condition)s）申请需要补充：%(reason)s。请打开医保通“门诊慢特病”，重新拍照上传。")
                % values,
                _("【医保通】您的家人%(name)s的门诊慢特病（%(condition)s）申请需要补充：%(reason)s。可以帮她在医保通里重新上传。")
                % family)
    if entitlement.status == ReviewStatus.REFUSED:
        return (_("【医保通】您的门诊慢特病（%(condition)s）申请没有通过：%(reason)s。有疑问请打%(h)s。") % values,
                _("【医保通】您的家人%(name)s的门诊慢特病（%(condition)s）申请没有通过：%(reason)s。有疑问请打%(h)s。")
                % family)
    return "", ""


def _live_entitlement(person: InsuredPerson, condition: ChronicCondition) -> Entitlement | None:
    return (Entitlement.objects.select_related("condition")
            .filter(person=person, condition=condition, status__in=HOLDING_STATUSES).first())


def _already_there(existing: Entitlement) -> Entitlement:
    """A second application for a condition she already holds: the first one back when it is still being
    reviewed (a double press), otherwise a plain sentence saying where it is."""
    if existing.status == ReviewStatus.PENDING:
        return existing
    if existing.status == ReviewStatus.APPROVED:
        raise ServiceError(_("您的%(condition)s已经认定过了，%(until)s，不用再申请。")
                           % {"condition": existing.condition.name,
                              "until": valid_until_sentence(existing.valid_until)}, "condition")
    raise ServiceError(_("您的%(condition)s申请退回了，请在“我的门诊慢特病”里点它，重新上传证明，不用再申请一份。")
                       % {"condition": existing.condition.name}, "condition")


def apply_entitlement(*, actor: User, person: InsuredPerson, via: str, condition: ChronicCondition, hospital: str,
                      photo: CleanPhoto | None, grant_id: int | None = None, assist_session_id: int | None = None,
                      ip: str | None = None) -> Entitlement:
    """Her application, by herself, a proxy with `act` or a helper in a session: pending review, due within
    the condition's promised working days. A second press returns the first application."""
    if condition is None or not condition.is_active:
        raise ServiceError(_("这个病现在不能在网上申请。请点选列出的病，或拨打%(h)s问问。")
                           % {"h": settings.SITE_HOTLINE}, "condition")
    hospital = " ".join((hospital or "").split())[:100]
    if not hospital:
        raise ServiceError(_("请写上开诊断证明的医院。"), "hospital")
    if photo is None:
        raise ServiceError(_("请拍一张医院诊断证明的照片。"), "photo")
    existing = _live_entitlement(person, condition)
    if existing is not None and not ran_out(existing):
        return _already_there(existing)
    now = timezone.now()
    try:
        with files_kept_only_on_commit(), transaction.atomic():
            if existing is not None:
                # Her grant ran out: set it aside (it no longer holds the condition's place) and apply anew.
                Entitlement.objects.filter(pk=existing.pk, status=ReviewStatus.APPROVED).update(
                    status=ReviewStatus.EXPIRED, updated_at=now)
            entitlement = Entitlement.objects.create(
                person=person, condition=condition, hospital=hospital, status=ReviewStatus.PENDING, via=via,
                submitted_by=actor, submitted_at=now, due_by=add_working_days(now, condition.review_working_days))
            save_attachment(person=person, label=CERTIFICATE_LABEL, photo=photo, uploaded_by=actor,
                            entitlement=entitlement)
            record(Kind.ENTITLEMENT_APPLIED, actor=actor, person=person, via=via, grant_id=grant_id,
                   assist_session_id=assist_session_id, ip=ip,
                   detail={"entitlement": str(entitlement.public_id), "condition": condition.code,
                           "renews": str(existing.public_id) if existing is not None else ""})
            _tell_her_who(person, actor, via, _("申请了门诊慢特病（%(condition)s）") % {"condition": condition.name})
            push_entitlement(entitlement.pk)
    except IntegrityError:
        # Two presses at the same moment: the other one won the unique constraint.
        existing = _live_entitlement(person, condition)
        if existing is None:
            raise
        return _already_there(existing)
    return entitlement


def _locked_entitlement(entitlement: Entitlement) -> Entitlement:
    locked = (Entitlement.objects.select_for_update().select_related("person", "condition")
              .filter(pk=entitlement.pk).first())
    if locked is None:
        raise ServiceError(_("找不到这份申请。"))
    return locked


def resubmit_entitlement(entitlement: Entitlement, *, actor: User, via: str, photo: CleanPhoto | None,
                         grant_id: int | None = None, assist_session_id: int | None = None,
                         ip: str | None = None) -> Entitlement:
    """A new certificate photo after a return: back to review, with a new promised date."""
    if photo is None:
        raise ServiceError(_("请拍一张医院诊断证明的照片。"), "photo")
    with files_kept_only_on_commit(), transaction.atomic():
        entitlement = _locked_entitlement(entitlement)
        if entitlement.status != ReviewStatus.RETURNED:
            raise ServiceError(_("这份申请现在是“%(status)s”，不用再上传证明。")
                               % {"status": entitlement.get_status_display()})
        returned_for = entitlement.reason
        now = timezone.now()
        entitlement.status, entitlement.reason = ReviewStatus.PENDING, ""
        entitlement.submitted_at = now
        entitlement.due_by = add_working_days(now, entitlement.condition.review_working_days)
        entitlement.decided_at, entitlement.decided_by = None, None
        entitlement.save(update_fields=["status", "reason", "submitted_at", "due_by", "decided_at", "decided_by",
                                        "updated_at"])
        save_attachment(person=entitlement.person, label=CERTIFICATE_LABEL, photo=photo, uploaded_by=actor,
                        entitlement=entitlement)
        record(Kind.ENTITLEMENT_CHANGED, actor=actor, person=entitlement.person, via=via, grant_id=grant_id,
               assist_session_id=assist_session_id, ip=ip,
               detail={"entitlement": str(entitlement.public_id), "returned_for": returned_for})
        _tell_her_who(entitlement.person, actor, via, _("重新上传了门诊慢特病（%(condition)s）的证明")
                      % {"condition": entitlement.condition.name})
        push_entitlement(entitlement.pk)
    return entitlement


def cancel_entitlement(entitlement: Entitlement, *, actor: User, via: str, grant_id: int | None = None,
                       assist_session_id: int | None = None, ip: str | None = None) -> Entitlement:
    """Withdraw an application still being reviewed or returned (a grant runs to its end date)."""
    with transaction.atomic():
        entitlement = _locked_entitlement(entitlement)
        if entitlement.status == ReviewStatus.CANCELLED:
            return entitlement  # a second press of "取消"
        if entitlement.status not in OPEN_STATUSES:
            raise ServiceError(_("这份申请已经%(status)s，不能取消了。") % {"status": entitlement.get_status_display()})
        before = entitlement.status
        entitlement.status = ReviewStatus.CANCELLED
        entitlement.save(update_fields=["status", "updated_at"])
        record(Kind.ENTITLEMENT_CANCELLED, actor=actor, person=entitlement.person, via=via, grant_id=grant_id,
               assist_session_id=assist_session_id, ip=ip,
               detail={"entitlement": str(entitlement.public_id), "before": before})
        _tell_her_who(entitlement.person, actor, via, _("取消了门诊慢特病（%(condition)s）的申请")
                      % {"condition": entitlement.condition.name})
        push_entitlement(entitlement.pk)
    return entitlement


ENTITLEMENT_DECISIONS = {"approve": (ReviewStatus.APPROVED, Kind.ENTITLEMENT_APPROVED),
                         "return": (ReviewStatus.RETURNED, Kind.ENTITLEMENT_RETURNED),
                         "refuse": (ReviewStatus.REFUSED, Kind.ENTITLEMENT_REFUSED)}


def decide_entitlement(entitlement_id: int, *, staff: User, decision: str, reason: str = "",
                       ip: str | None = None) -> Entitlement:
    """Staff approve (valid from today for the condition's years), return (with what to fix) or refuse a
    pending application, once: the row is locked and its status compared, so a second decision, or two
    staff at once, gets an error and changes nothing."""
    if getattr(staff, "role", None) != Role.STAFF:
        raise ServiceError(_("只有医保局工作人员可以审核。"))
    if decision not in ENTITLEMENT_DECISIONS:
        raise ServiceError(_("请选通过、退回补充或不通过。"), "decision")
    reason = " ".join((reason or "").split())
    if decision != "approve" and len(reason) < MIN_REASON:
        raise ServiceError(_("请写清楚原因（至少%(n)d个字），她会在短信和页面上看到。") % {"n": MIN_REASON}, "reason")
    status, kind = ENTITLEMENT_DECISIONS[decision]
    with transaction.atomic():
        entitlement = (Entitlement.objects.select_for_update().select_related("person", "condition")
                       .filter(pk=entitlement_id).first())
        if entitlement is None:
            raise ServiceError(_("找不到这份申请。"))
        if entitlement.status != ReviewStatus.PENDING:
            raise ServiceError(_("这份申请已经处理过了（%(status)s），请刷新页面看最新状态。")
                               % {"status": entitlement.get_status_display()})
        entitlement.status, entitlement.reason = status, reason[:200] if decision != "approve" else ""
        entitlement.decided_at, entitlement.decided_by = timezone.now(), staff
        if status == ReviewStatus.APPROVED:
            today = timezone.localdate()
            entitlement.valid_from = today
            entitlement.valid_until = grant_ends_on(today, entitlement.condition.valid_years)
        entitlement.save(update_fields=["status", "reason", "decided_at", "decided_by", "valid_from", "valid_until",
                                        "updated_at"])
        record_event(action=kind, via=AuditVia.STAFF, actor=staff, subject=entitlement.person, ip=ip,
                     detail={"entitlement": str(entitlement.public_id), "condition": entitlement.condition.code,
                             "reason": entitlement.reason,
                             "valid_until": str(entitlement.valid_until) if entitlement.valid_until else ""})
        tell_her_and_family(entitlement.person, *_entitlement_decision_texts(entitlement))
        push_entitlement(entitlement.pk)
    return entitlement


# --- 个税扣除证明 and her data to take away (services/tax.py, services/export.py) ---------------------------------


def issue_tax_statement(*, actor: User, person: InsuredPerson, figures: TaxYear, via: str,
                        grant_id: int | None = None, ip: str | None = None) -> Statement:
    """A printed 个税大病医疗 statement: a new statement id, signed, and an audit row saying who printed which
    figures (a proxy's print is a use of her grant, which she reads in her account record)."""
    statement = new_statement(person, figures)
    with transaction.atomic():
        record(Kind.TAX_STATEMENT_ISSUED, actor=actor, person=person, via=via, grant_id=grant_id, ip=ip,
               detail={"statement": statement.statement_id, "year": statement.year, "total": str(statement.total),
                       "deductible": str(statement.deductible)})
    return statement


def note_data_export(*, actor: User, person: InsuredPerson, via: str, kind: str, grant_id: int | None = None,
                     ip: str | None = None) -> None:
    """Her data was downloaded (`kind` "json") or opened for printing ("print"). Written before the first byte
    is sent, so the download she reads about is also in the file. A proxy's is told to her at once by SMS:
    the file holds her ID number (docs/export-format.md)."""
    with transaction.atomic():
        record(Kind.DATA_EXPORTED, actor=actor, person=person, via=via, grant_id=grant_id, ip=ip,
               detail={"format": kind})
        what = _("下载了医保通里的全部资料") if kind == "json" else _("打开了医保通里的全部资料（打印页）")
        _tell_her_who(person, actor, via, what)


# --- 手工报销 ---------------------------------------------------------------------------------------------
# A claim for care she paid for herself: from her failed or `manual` settlement (the bill read from it), or
# typed by her. Staff decide within the promised working days; on approval the engine splits the bill with
# the rules of the visit day and books it once (`Claim.booked`, set under the claim's row lock), and the
# fund's share is asked of payments as a payout keyed by the claim, so asking twice pays once.

MAX_CLAIM_AMOUNT = Decimal("1000000.00")


def _claim_texts(claim: Claim) -> tuple[str, str]:
    """(for her, for her family with %(name)s) of the claim's current state."""
    due = timezone.localtime(claim.due_by) if claim.due_by else None
    values = {"where": claim.institution_name, "total": claim.total, "reason": claim.reason,
              "fund": claim.fund_pay, "h": settings.SITE_HOTLINE, "name": "%(name)s",
              "dest": _("您的医保个人账户") if claim.destination == PayoutDestination.ACCOUNT else _("您的银行卡"),
              "day": _("%(m)d月%(d)d日") % {"m": due.month, "d": due.day} if due else ""}
    # formatted again with her name: what she typed must not be read as a placeholder
    family = {**values, "reason": claim.reason.replace("%", "%%"), "where": claim.institution_name.replace("%", "%%"),
              "dest": _("她的医保个人账户") if claim.destination == PayoutDestination.ACCOUNT else _("她的银行卡")}
    texts = {
        ClaimStatus.PENDING: (
            _("【医保通】已收到您在%(where)s看病%(total)s元的报销申请，最晚%(day)s审核完，结果会发短信告诉您。"),
            _("【医保通】您的家人%(name)s在%(where)s看病%(total)s元的报销申请已提交，最晚%(day)s审核完。")),
        ClaimStatus.APPROVED: (
            _("【医保通】您的报销申请（%(where)s，%(total)s元）已通过，医保付%(fund)s元，正在打到%(dest)s。"),
            _("【医保通】您的家人%(name)s的报销申请（%(where)s，%(total)s元）已通过，医保付%(fund)s元，正在打到%(dest)s。")),
        ClaimStatus.RETURNED: (
            _("【医保通】您的报销申请（%(where)s）需要补充：%(reason)s。请打开医保通“我的报销”，改好后重新提交。"),
            _("【医保通】您的家人%(name)s的报销申请（%(where)s）需要补充：%(reason)s。可以帮她在医保通里改好后重新提交。")),
        ClaimStatus.REFUSED: (
            _("【医保通】您的报销申请（%(where)s）没有通过：%(reason)s。有疑问请打%(h)s。"),
            _("【医保通】您的家人%(name)s的报销申请（%(where)s）没有通过：%(reason)s。有疑问请打%(h)s。")),
        ClaimStatus.PAID: (
            _("【医保通】您报销的%(fund)s元已经打到%(dest)s，请查收。"),
            _("【医保通】您的家人%(name)s报销的%(fund)s元已经打到%(dest)s。")),
    }
    if claim.status not in texts:
        return "", ""
    for_her, for_family = texts[claim.status]
    return for_her % values, for_family % family


def check_claim(*, person: InsuredPerson, bill: ClaimBill, invoice_total: Decimal | None) -> None:
    """Everything about a claim but its photos and where the money goes, in the order she fills the page;
    raises ServiceError. Used by the first screen and again by the action."""
    settlement = bill.settlement
    if settlement is not None:
        if settlement.person_id != person.pk:
            raise ServiceError(_("找不到这笔结算。"))
        if settlement.status == SettlementStatus.SETTLED:
            raise ServiceError(_("这笔已经用医保结算过了，医保该付的已经付了，没有要报销的钱。"))
        if settlement.status not in CLAIMABLE_STATUSES:
            raise ServiceError(_("这笔还在结算，等结果出来再说。结算没有成功的，才需要手工报销。"))
    else:
        if not bill.institution_name.strip():
            raise ServiceError(_("请从列表里选医院或药店，列表里没有的，写上名字。"), "institution_name")
        if bill.institution is None and bill.institution_level not in InstitutionLevel.values:
            raise ServiceError(_("请选医院的等级（看发票上的医院名字，不知道就问医院）。"), "institution_level")
        if bill.institution is None and city(bill.region_code or "") is None:
            raise ServiceError(_("请从列表里选看病的城市。"), "region_code")
        if bill.visit_type not in VisitType.values:
            raise ServiceError(_("请选看的是门诊、住院还是药店买药。"), "visit_type")
    today = timezone.localdate()
    if bill.visit_date is None:
        raise ServiceError(_("请填看病的日期（发票上的日期）。"), "visit_date")
    if bill.visit_date > today:
        raise ServiceError(_("看病日期不能晚于今天，请照发票上的日期填。"), "visit_date")
    if (today - bill.visit_date).days > settings.CLAIM_WINDOW_DAYS:
        raise ServiceError(_("看病已经超过%(n)d天了，网上不能再报销。请带发票到医保窗口问问，或拨打%(h)s。")
                           % {"n": settings.CLAIM_WINDOW_DAYS, "h": settings.SITE_HOTLINE}, "visit_date")
    if not bill.items:
        raise ServiceError(_("请至少填一项费用：是什么、哪一类、多少钱。"), "item_0_name")
    total = bill.total
    if total <= 0 or total > MAX_CLAIM_AMOUNT:
        raise ServiceError(_("费用合计不对，请照明细清单再看一遍。"), "item_0_amount")
    if invoice_total is None:
        raise ServiceError(_("请填发票上的总金额。"), "invoice_total")
    if invoice_total != total:
        raise ServiceError(_("发票上的金额和明细合计不一样：发票%(invoice)s元，明细合计%(total)s元。请再对一下发票和明细清单，"
                             "有漏填或填错的改过来。") % {"invoice": invoice_total, "total": total}, "invoice_total")


def _check_destination(person: InsuredPerson, destination: str) -> None:
    if destination == PayoutDestination.ACCOUNT:
        if not may_use_account(person):
            raise ServiceError(_("居民医保没有个人账户，钱只能打到银行卡。"), "destination")
    elif destination == PayoutDestination.BANK:
        if not person.bank_account:
            raise ServiceError(_("医保局没有您的银行卡，钱打不过去。请选个人账户，或带银行卡和身份证到窗口登记。")
                               if may_use_account(person) else
                               _("医保局没有您的银行卡，钱打不过去。请带银行卡和身份证到医保窗口登记，登记后再来申请。"),
                               "destination")
    else:
        raise ServiceError(_("请选钱打到哪里。"), "destination")


def _check_photos(invoice_photo: CleanPhoto | None, slip_photo: CleanPhoto | None) -> None:
    if invoice_photo is None:
        raise ServiceError(_("请拍一张发票的照片。"), "invoice_photo")
    if slip_photo is None:
        raise ServiceError(_("请拍一张付款凭证的照片（收费小票或付款记录）。"), "slip_photo")


def _same_claim_just_made(person: InsuredPerson, bill: ClaimBill) -> Claim | None:
    """A double press: her pending claim for the same bill, made moments ago."""
    claims = Claim.objects.filter(person=person, status=ClaimStatus.PENDING)
    if bill.settlement is not None:
        return claims.filter(settlement=bill.settlement).first()
    return claims.filter(settlement__isnull=True, institution_name=bill.institution_name.strip()[:100],
                         visit_date=bill.visit_date, total=bill.total,
                         submitted_at__gte=timezone.now() - dt.timedelta(minutes=10)).first()


def _already_claimed(settlement) -> ServiceError:
    live = live_claim_of(settlement)
    status = live.get_status_display() if live is not None else ""
    return ServiceError(_("这笔已经申请过报销了（%(status)s），不用再申请。请在“我的报销”里看进度。") % {"status": status})


def submit_claim(*, actor: User, person: InsuredPerson, via: str, bill: ClaimBill, invoice_total: Decimal | None,
                 destination: str, invoice_photo: CleanPhoto | None, slip_photo: CleanPhoto | None,
                 grant_id: int | None = None, assist_session_id: int | None = None, ip: str | None = None) -> Claim:
    """Her claim, by herself, a proxy with `act` or a helper in a session: pending review within the promised
    working days. A second press finds the first claim; a settlement already claimed is said so."""
    check_claim(person=person, bill=bill, invoice_total=invoice_total)
    _check_destination(person, destination)
    _check_photos(invoice_photo, slip_photo)
    first = _same_claim_just_made(person, bill)
    if first is not None:
        return first
    if bill.settlement is not None and live_claim_of(bill.settlement) is not None:
        raise _already_claimed(bill.settlement)
    now = timezone.now()
    try:
        with files_kept_only_on_commit(), transaction.atomic():
            claim = Claim.objects.create(
                person=person, settlement=bill.settlement, institution=bill.institution,
                institution_name=bill.institution_name.strip()[:100], institution_level=bill.institution_level,
                region_code=bill.region_code, visit_date=bill.visit_date, visit_type=bill.visit_type,
                condition_code=bill.condition_code, items=bill.items, total=bill.total, invoice_total=invoice_total,
                destination=destination, status=ClaimStatus.PENDING, via=via, submitted_by=actor,
                due_by=add_working_days(now, settings.CLAIM_REVIEW_WORKING_DAYS))
            _save_claim_photos(claim, actor, invoice_photo, slip_photo)
            record(Kind.CLAIM_SUBMITTED, actor=actor, person=person, via=via, grant_id=grant_id,
                   assist_session_id=assist_session_id, ip=ip,
                   detail={"claim": str(claim.public_id), "total": str(claim.total), "destination": destination,
                           "settlement": str(bill.settlement.public_id) if bill.settlement else ""})
            _tell_her_who(person, actor, via, _("申请了手工报销（%(total)s元）") % {"total": claim.total})
            tell_her_and_family(person, *_claim_texts(claim))
            push_claim(claim.pk, added=True)
    except IntegrityError:
        # Two presses at the same moment: the other one won the one-live-claim-per-settlement constraint.
        if bill.settlement is None:
            raise
        first = _same_claim_just_made(person, bill)
        if first is not None:
            return first
        raise _already_claimed(bill.settlement) from None
    return claim


def _save_claim_photos(claim: Claim, actor: User, invoice_photo: CleanPhoto | None,
                       slip_photo: CleanPhoto | None) -> None:
    for label, photo in ((INVOICE_LABEL, invoice_photo), (SLIP_LABEL, slip_photo)):
        if photo is None:
            continue
        if claim.attachments.count() >= MAX_PHOTOS:
            raise ServiceError(_("照片已经够多了。要换照片，请拨打%(h)s。") % {"h": settings.SITE_HOTLINE}, "invoice_photo")
        save_attachment(person=claim.person, label=label, photo=photo, uploaded_by=actor, claim=claim)


def _locked_claim(claim: Claim) -> Claim:
    locked = Claim.objects.select_for_update().select_related("person").filter(pk=claim.pk).first()
    if locked is None:
        raise ServiceError(_("找不到这份报销申请。"))
    return locked


def resubmit_claim(claim: Claim, *, actor: User, via: str, invoice_total: Decimal | None, destination: str,
                   invoice_photo: CleanPhoto | None, slip_photo: CleanPhoto | None, grant_id: int | None = None,
                   assist_session_id: int | None = None, ip: str | None = None) -> Claim:
    """改好后重新提交: a returned claim with new photos (either may be kept), the invoice total and where the
    money goes checked again; back in review with a new time limit."""
    person = claim.person
    bill = ClaimBill(institution_name=claim.institution_name, institution_level=claim.institution_level,
                     region_code=claim.region_code, visit_date=claim.visit_date, visit_type=claim.visit_type,
                     items=claim.items, institution=claim.institution, condition_code=claim.condition_code)
    check_claim(person=person, bill=bill, invoice_total=invoice_total)
    _check_destination(person, destination)
    now = timezone.now()
    with files_kept_only_on_commit(), transaction.atomic():
        claim = _locked_claim(claim)
        if claim.status != ClaimStatus.RETURNED:
            raise ServiceError(_("这份申请现在是“%(status)s”，不用重新提交。") % {"status": claim.get_status_display()})
        _save_claim_photos(claim, actor, invoice_photo, slip_photo)
        claim.status, claim.invoice_total, claim.destination = ClaimStatus.PENDING, invoice_total, destination
        claim.due_by = add_working_days(now, settings.CLAIM_REVIEW_WORKING_DAYS)
        claim.save(update_fields=["status", "invoice_total", "destination", "due_by", "updated_at"])
        record(Kind.CLAIM_CHANGED, actor=actor, person=person, via=via, grant_id=grant_id,
               assist_session_id=assist_session_id, ip=ip,
               detail={"claim": str(claim.public_id), "before": ClaimStatus.RETURNED, "reason": claim.reason})
        _tell_her_who(person, actor, via, _("重新提交了报销申请"))
        tell_her_and_family(person, *_claim_texts(claim))
        push_claim(claim.pk)
    return claim


def cancel_claim(claim: Claim, *, actor: User, via: str, grant_id: int | None = None,
                 assist_session_id: int | None = None, ip: str | None = None) -> Claim:
    """She withdraws a claim still in review or returned; the settlement may be claimed again later."""
    with transaction.atomic():
        claim = _locked_claim(claim)
        if claim.status not in (ClaimStatus.PENDING, ClaimStatus.RETURNED):
            raise ServiceError(_("这份申请现在是“%(status)s”，不能取消了。") % {"status": claim.get_status_display()})
        before = claim.status
        claim.status = ClaimStatus.CANCELLED
        claim.save(update_fields=["status", "updated_at"])
        record(Kind.CLAIM_CANCELLED, actor=actor, person=claim.person, via=via, grant_id=grant_id,
               assist_session_id=assist_session_id, ip=ip, detail={"claim": str(claim.public_id), "before": before})
        _tell_her_who(claim.person, actor, via, _("取消了报销申请（%(total)s元）") % {"total": claim.total})
        push_claim(claim.pk)
    return claim


CLAIM_DECISIONS = {"approve": (ClaimStatus.APPROVED, Kind.CLAIM_APPROVED),
                   "return": (ClaimStatus.RETURNED, Kind.CLAIM_RETURNED),
                   "refuse": (ClaimStatus.REFUSED, Kind.CLAIM_REFUSED)}


def decide_claim(claim_id: int, *, staff: User, decision: str, reason: str = "", ip: str | None = None) -> Claim:
    """Staff approve, return (with what to fix) or refuse a pending claim, once: the row is locked and its
    status compared, so a second decision, or two staff at once, gets an error and changes nothing. Approval
    books the split of the visit day exactly once and asks for the payout of the fund's share, in the same
    transaction: either all of it happens or none of it."""
    if getattr(staff, "role", None) != Role.STAFF:
        raise ServiceError(_("只有医保局工作人员可以审核。"))
    if decision not in CLAIM_DECISIONS:
        raise ServiceError(_("请选通过、退回补充或不通过。"), "decision")
    reason = " ".join((reason or "").split())
    if decision != "approve" and len(reason) < MIN_REASON:
        raise ServiceError(_("请写清楚原因（至少%(n)d个字），她会在短信和页面上看到。") % {"n": MIN_REASON}, "reason")
    status, kind = CLAIM_DECISIONS[decision]
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("person").filter(pk=claim_id).first()
        if claim is None:
            raise ServiceError(_("找不到这份报销申请。"))
        if claim.status != ClaimStatus.PENDING:
            raise ServiceError(_("这份申请已经处理过了（%(status)s），请刷新页面看最新状态。")
                               % {"status": claim.get_status_display()})
        claim.status, claim.reason = status, reason[:200] if decision != "approve" else ""
        claim.decided_at, claim.decided_by = timezone.now(), staff
        if status == ClaimStatus.APPROVED:
            _book_and_pay(claim, staff)
        claim.save()
        record_event(action=kind, via=AuditVia.STAFF, actor=staff, subject=claim.person, ip=ip,
                     detail={"claim": str(claim.public_id), "reason": claim.reason,
                             "fund_pay": str(claim.fund_pay) if claim.fund_pay is not None else "",
                             "payout": str(claim.payout.public_id) if claim.payout_id else ""})
        tell_her_and_family(claim.person, *_claim_texts(claim))
        push_claim(claim.pk)
    return claim


def _book_and_pay(claim: Claim, staff: User) -> None:
    """Inside decide_claim's transaction, with the claim locked and still pending."""
    if claim.booked:  # never twice, whatever happened before
        raise ServiceError(_("这笔报销已经记过账了，请刷新页面看最新状态。"))
    condition = ChronicCondition.objects.filter(code=claim.condition_code).first() if claim.condition_code else None
    try:
        split = book_claim_split(claim.person_id, stand_in_institution(claim), claim.visit_type,
                                 bill_items(claim.items), claim.visit_date, condition)
    except NoPolicy:
        raise ServiceError(_("这家机构、这种看病方式没有对应的报销政策，系统算不出来。请退回或不通过，并写明原因。")) from None
    claim.fund_pay, claim.account_pay, claim.self_pay = split.fund_pay, split.account_pay, split.self_pay
    claim.breakdown, claim.booked = split.as_dict(), True
    if split.fund_pay > 0:
        try:
            claim.payout = payouts.request_payout(key=f"claim:{claim.public_id}", person=claim.person,
                                                  amount=split.fund_pay, destination=claim.destination,
                                                  requested_by=staff)
        except payouts.PayoutError as exc:  # e.g. her bank account was removed since she claimed
            raise ServiceError(exc.message) from None


def claim_payout_settled(payout_id: int, status: str) -> None:
    """The payout listener (registered in ServicesConfig.ready): paid → the claim is PAID, told to her and
    her family; failed → she is told the money did not go through and what to do. Once: compare-and-set."""
    with transaction.atomic():
        claim = (Claim.objects.select_for_update().select_related("person", "payout")
                 .filter(payout_id=payout_id).first())
        if claim is None or claim.status != ClaimStatus.APPROVED:
            return
        person, payout = claim.person, claim.payout
        if status == "paid":
            claim.status = ClaimStatus.PAID
            claim.save(update_fields=["status", "updated_at"])
            record_event(action=Kind.CLAIM_PAID, via=AuditVia.SYSTEM, actor_label="payments", subject=person,
                         detail={"claim": str(claim.public_id), "payout": str(payout.public_id),
                                 "amount": str(payout.amount)})
            tell_her_and_family(person, *_claim_texts(claim))
        elif status == "failed":
            tell_her_and_family(person, _("【医保通】您报销的%(fund)s元没有打成功，我们会再试。银行卡换过的，请带新卡和身份证到医保"
                                          "窗口登记，或拨打%(h)s。") % {"fund": claim.fund_pay, "h": settings.SITE_HOTLINE})
        push_claim(claim.pk)
