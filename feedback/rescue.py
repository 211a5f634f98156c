"""Give-up rescue: "请帮办员打电话给我" and the helpers' call-back queue (docs/architecture.md "Give-up rescue").

What a helper reads is built here from the step and the box that went wrong (core/rescue.py keeps nothing
else), so a call-back never carries an ID number, a code or anything she typed. Each change is one function:
one transaction, one audit row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import Via
from core import crypto
from core import rate_limit as limits
from core.rescue import ABANDONED, OUT_OF_CODES, REPEATED, Offer
from feedback.models import CallbackRequest, CallbackStatus

STEP_LABELS = {
    "activation": gettext_lazy("开通医保码"),
    "sign_in": gettext_lazy("登录"),
}
OTHER_STEP = "other"
FIELD_LABELS = {
    "name": gettext_lazy("姓名"),
    "id_number": gettext_lazy("身份证号"),
    "phone": gettext_lazy("手机号"),
    "code": gettext_lazy("验证码"),
}
# Calls are promised within two working hours (the page says so; docs/architecture.md "Give-up rescue").
CALL_WITHIN = gettext_lazy("工作时间两小时内")
# Per phone: two requests a day is plenty for a real person; per network address: a kiosk serves many.
PHONE_LIMIT, PHONE_WINDOW = 2, 24 * 3600
ADDRESS_LIMIT, ADDRESS_WINDOW = 10, 3600
OUTCOMES = (CallbackStatus.CALLED, CallbackStatus.UNREACHABLE, CallbackStatus.RESOLVED)


class CallbackError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def step_label(step: str) -> str:
    return str(STEP_LABELS.get(step, _("其他")))


def what_went_wrong(offer: Offer | None) -> str:
    """The plain words a helper reads before calling. Only the step, the box and the count: never a value."""
    if offer is None:
        return _("自己点了“请帮办员打电话给我”")
    field = FIELD_LABELS.get(offer["field"])
    if offer["reason"] == ABANDONED:
        return _("%(step)s做到一半没有做完") % {"step": step_label(offer["step"])}
    if offer["reason"] == OUT_OF_CODES:
        return _("%(step)s时验证码的次数用完了") % {"step": step_label(offer["step"])}
    if offer["reason"] == REPEATED and field:
        return _("%(step)s时%(field)s填了%(n)d次都没通过") % {
            "step": step_label(offer["step"]), "field": field, "n": offer["failures"]}
    return _("%(step)s时试了%(n)d次都没成功") % {"step": step_label(offer["step"]), "n": offer["failures"]}


def request_callback(*, phone_e164: str, user: User | None, offer: Offer | None, ip: str | None) -> CallbackRequest:
    """She asks a helper to call her. Rate-limited per phone and per address; the words are kept in Chinese,
    the helpers' language, whatever language her page was in."""
    buckets = [limits.Bucket(f"callback:phone:{crypto.blind_index('callback', phone_e164)}", PHONE_LIMIT,
                             PHONE_WINDOW)]
    if ip:
        buckets.append(limits.Bucket(f"callback:ip:{crypto.blind_index('callback-ip', ip)}", ADDRESS_LIMIT,
                                     ADDRESS_WINDOW))
    try:
        limits.take(*buckets)
    except limits.Limited:
        raise CallbackError(_("您已经请过帮办员回电了，请等他们的电话。着急的话，请拨打医保热线%(h)s。")
                            % {"h": settings.SITE_HOTLINE}) from None
    except limits.LimiterUnavailable:
        raise CallbackError(_("系统暂时有点忙，请过几分钟再试，或拨打医保热线%(h)s。") % {"h": settings.SITE_HOTLINE}) from None
    person = user.person if user is not None and user.is_authenticated and user.person_id else None
    with translation.override("zh-hans"):
        step = offer["step"] if offer and offer["step"] in STEP_LABELS else OTHER_STEP
        words = what_went_wrong(offer)
    with transaction.atomic():
        callback = CallbackRequest.objects.create(
            person=person, user=user if user is not None and user.is_authenticated else None, phone=phone_e164,
            step=step, what_went_wrong=words[:200], region_code=person.region_code if person else "")
        record_event(action=Kind.CALLBACK_REQUESTED, actor=callback.user, actor_label="" if callback.user else "访客",
                     subject=person, detail={"callback": str(callback.public_id), "step": step}, ip=ip)
    return callback


def queue_for(helper: User, region_code: str) -> QuerySet[CallbackRequest]:
    """Waiting call-backs nobody has taken: the helper's region first, then oldest first."""
    return (CallbackRequest.objects.filter(status=CallbackStatus.WAITING, helper__isnull=True)
            .annotate(elsewhere=Case(When(region_code=region_code, then=Value(0)), default=Value(1),
                                     output_field=IntegerField()))
            .order_by("elsewhere", "created_at", "id"))


def taken_by(helper: User) -> QuerySet[CallbackRequest]:
    """The call-backs this helper took and has not resolved (unreachable ones are tried again)."""
    return (CallbackRequest.objects.filter(helper=helper).exclude(status=CallbackStatus.RESOLVED)
            .order_by("created_at", "id"))


def _may_handle(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.HELPER, Role.STAFF)


def take_callback(public_id, *, helper: User, ip: str | None = None) -> CallbackRequest:
    """A helper takes one: from now on it is hers to call, and nobody else's."""
    if not _may_handle(helper):
        raise CallbackError(_("只有帮办员能接回电请求。"))
    with transaction.atomic():
        callback = CallbackRequest.objects.select_for_update().filter(public_id=public_id).first()
        if callback is None:
            raise CallbackError(_("找不到这条回电请求。"))
        if callback.helper_id == helper.pk:
            return callback
        if callback.helper_id is not None or callback.status != CallbackStatus.WAITING:
            raise CallbackError(_("这条回电请求已经有别的帮办员接下了。"))
        callback.helper = helper
        callback.save(update_fields=["helper"])
        record_event(action=Kind.CALLBACK_TAKEN, via=Via.HELPER, actor=helper, subject=callback.person,
                     detail={"callback": str(callback.public_id)}, ip=ip)
    return callback


def record_outcome(public_id, *, helper: User, outcome: str, note: str = "", ip: str | None = None
                   ) -> CallbackRequest:
    """What came of the call: 已回电 / 没有打通 / 已解决, with a short note. Only the helper who took it."""
    if outcome not in OUTCOMES:
        raise CallbackError(_("请选一个回电结果。"))
    note = (note or "").strip()
    if len(note) > 200:
        raise CallbackError(_("备注最多200个字。"))
    with transaction.atomic():
        callback = CallbackRequest.objects.select_for_update().filter(public_id=public_id, helper=helper).first()
        if callback is None:
            raise CallbackError(_("这条回电请求不是您接下的。"))
        if callback.status == CallbackStatus.RESOLVED:
            raise CallbackError(_("这条回电请求已经解决了。"))
        callback.status, callback.outcome_note, callback.handled_at = outcome, note, timezone.now()
        callback.save(update_fields=["status", "outcome_note", "handled_at"])
        record_event(action=Kind.CALLBACK_DONE, via=Via.HELPER, actor=helper, subject=callback.person,
                     detail={"callback": str(callback.public_id), "outcome": outcome}, ip=ip)
    return callback
