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
from insurance.models import InsuredPerson
from insurance.regions import city, region_name
from insurance.workdays import add_working_days
from services.chronic import grant_ends_on, ran_out, valid_until_sentence
from services.models import Attachment
from services.push import filing_decision_texts, push_entitlement, push_filing, tell_her_and_family
from services.selectors import accepts_promise, requirements_for
from services.storage import private_storage
from services.uploads import CleanPhoto


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
                    filing: Filing | None = None, entitlement: Any = None) -> Attachment:
    """One cleaned photo, file and row; call inside `files_kept_only_on_commit` and a transaction."""
    attachment = Attachment(person=person, filing=filing, entitlement=entitlement, label=label[:60],
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
