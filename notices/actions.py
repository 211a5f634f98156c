"""Off-page notices: written once per (audit event, phone) in the transaction of the state change, delivered
on commit by the accounts gateway task (docs/decisions.md "Notices")."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Channel, MessageStatus, OutboundMessage
from accounts.tasks import queue_delivery
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import AuditEvent, Via
from core import crypto
from core import rate_limit as limits
from core.acting_for import people_to_tell
from core.notice_texts import SERVICES, NoticeText, digest_pairs, notice_audience, notice_writer
from notices.models import Digest, Notice, NoticeChannel, NoticePreference, NoticeStatus

log = logging.getLogger(__name__)

# At most this many notices an hour to one phone; failures always pass (docs/decisions.md "Notices").
HOURLY_LIMIT = 10
# Her code used at two places within this many minutes is "unusual" in the weekly digest.
TWO_PLACES_MINUTES = 10


def preference_of(user) -> NoticePreference:
    """Her saved preference, or the default (everything, by SMS, any hour) unsaved."""
    if user is None or user.pk is None:
        return NoticePreference()
    return NoticePreference.objects.filter(user=user).first() or NoticePreference(user=user)


def save_preference(user, *, settlement: bool, services: bool, actions: bool, channel: str,
                    quiet_from: dt.time | None, quiet_until: dt.time | None) -> NoticePreference:
    with transaction.atomic():
        preference, _created = NoticePreference.objects.select_for_update().get_or_create(user=user)
        preference.settlement, preference.services, preference.actions = settlement, services, actions
        preference.channel = channel
        preference.quiet_from, preference.quiet_until = quiet_from, quiet_until
        preference.save()
        record_event(action=Kind.NOTICE_PREFERENCE_CHANGED, via=Via.SELF, actor=user,
                     subject=getattr(user, "person", None),
                     detail={"channel": channel, "off": [c for c in ("settlement", "services", "actions")
                                                         if not getattr(preference, c)],
                             "quiet": bool(quiet_from and quiet_until)})
    return preference


def _with_link(text: str, path: str) -> str:
    if not path:
        return text
    return _("%(text)s 查看：%(url)s") % {"text": text, "url": f"{settings.PORTAL_PUBLIC_URL}{path}"}


def _within_hourly_limit(phone: str) -> bool:
    bucket = limits.Bucket(key=f"notice:{crypto.blind_index('notice', phone)}", limit=HOURLY_LIMIT, window=3600)
    try:
        limits.take(bucket)
    except limits.Limited:
        return False
    except limits.LimiterUnavailable:
        return True  # a notice that may be one too many is better than one lost
    return True


def _send(notice: Notice) -> None:
    """Write the message the gateway task delivers, and queue it once this transaction commits."""
    message = OutboundMessage.objects.create(phone=notice.phone, channel=notice.channel, body=notice.body)
    notice.message, notice.status, notice.hold_until = message, NoticeStatus.QUEUED, None
    transaction.on_commit(lambda: queue_delivery(message.pk))


def _recipients(category: str, person) -> list[tuple[str, object | None, bool]]:
    """(phone, account, for_family): her registered phone first, then each proxy who may see `category`."""
    her_user = getattr(person, "user", None)
    found = [(person.phone, her_user, False)]
    family = notice_audience(category, person) if category != SERVICES else people_to_tell(person)
    phones = {person.phone}
    for user in family:
        if user.phone not in phones:
            phones.add(user.phone)
            found.append((user.phone, user, True))
    return found


def _one_notice(event: AuditEvent, category: str, text: NoticeText, phone: str, user, for_family: bool) -> Notice | None:
    preference = preference_of(user)
    if not preference.wants(category):
        return None
    body = text.for_family % {"name": event.subject.masked_name} if for_family else text.for_her
    if not body:
        return None
    channel = preference.channel
    if channel == NoticeChannel.SMS:
        body = _with_link(body, text.path)  # a call cannot read out a link
    notice = Notice(event=event, person=event.subject, user=user, for_family=for_family, phone=phone,
                    kind=event.action, category=category, failure=text.failure, channel=channel, body=body)
    quiet_end = None if text.failure else preference.quiet_end(timezone.localtime())
    try:
        with transaction.atomic():  # a second signal or a retry for the same event and phone: nothing new
            if quiet_end is not None:
                notice.status, notice.hold_until = NoticeStatus.HELD, quiet_end
                notice.save()
            elif not text.failure and not _within_hourly_limit(phone):
                notice.status = NoticeStatus.LIMITED
                notice.save()
            else:
                _send(notice)  # the message first, so the notice is written once, already queued
                notice.save()
    except IntegrityError:
        return None
    return notice


def notify(event: AuditEvent) -> list[Notice]:
    """The notices for one audit event: one per phone that should hear of it, each sent once. Safe to call
    again for the same event (a retried task, a second signal): the unique (event, phone) keeps one."""
    registered = notice_writer(event.action)
    if registered is None or event.subject_id is None:
        return []
    category, writer = registered
    # In the portal's language: these go to phones, not to the page that made the change.
    with translation.override(settings.LANGUAGE_CODE):
        text = writer(event)
        if text is None:
            return []
        made = []
        for phone, user, for_family in _recipients(category, event.subject):
            notice = _one_notice(event, category, text, phone, user, for_family)
            if notice is not None:
                made.append(notice)
    return made


def notify_safely(event: AuditEvent) -> None:
    """From the audit receiver, inside the state change's transaction: a notice that cannot be written never
    undoes the settlement or decision it is about."""
    try:
        with transaction.atomic():
            notify(event)
    except Exception:
        log.exception("notices for audit event %s not written", event.pk)


def release_held(now: dt.datetime | None = None) -> int:
    """Send the notices held back by quiet hours whose hours have ended. Safe on two workers at once."""
    now = now or timezone.now()
    sent = 0
    due = list(Notice.objects.filter(status=NoticeStatus.HELD, hold_until__lte=now)
               .order_by("hold_until").values_list("pk", flat=True)[:500])
    for pk in due:
        with transaction.atomic():
            notice = Notice.objects.select_for_update(skip_locked=True).filter(pk=pk, status=NoticeStatus.HELD).first()
            if notice is None:
                continue
            _send(notice)
            notice.save(update_fields=["message", "status", "hold_until"])
            sent += 1
    return sent


def message_changed(message: OutboundMessage) -> None:
    """The gateway task saved a message: mark its notice sent, or failed with the gateway's reason."""
    if message.status == MessageStatus.SENT:
        Notice.objects.filter(message=message).exclude(status=NoticeStatus.SENT).update(status=NoticeStatus.SENT)
    elif message.status == MessageStatus.FAILED:
        Notice.objects.filter(message=message).update(status=NoticeStatus.FAILED,
                                                      failed_reason=(message.last_error or "")[:200])


# --- the weekly digest -----------------------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _amount(value) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return Decimal("0")


def _yuan(value: Decimal) -> str:
    text = f"{value:.2f}"
    return text[:-3] if text.endswith(".00") else text


def week_of(person, start: dt.datetime, end: dt.datetime) -> dict:
    """Her visits, amounts and anything unusual between `start` and `end`, read from the audit record."""
    events = list(AuditEvent.objects.filter(subject=person, created_at__gte=start, created_at__lt=end,
                                            action__in=[Kind.SETTLEMENT_SETTLED, Kind.SETTLEMENT_RECEIVED,
                                                        Kind.SETTLEMENT_FAILED, Kind.SETTLEMENT_MANUAL])
                  .order_by("created_at", "id"))
    settled = [e for e in events if e.action == Kind.SETTLEMENT_SETTLED]
    unusual: list[str] = []
    received = [e for e in events if e.action == Kind.SETTLEMENT_RECEIVED]
    window = dt.timedelta(minutes=TWO_PLACES_MINUTES)
    for before, after in itertools.pairwise(received):
        if before.actor_label != after.actor_label and after.created_at - before.created_at <= window:
            when = timezone.localtime(after.created_at)
            unusual.append(_("%(m)d月%(d)d日%(t)s前后，医保码在%(a)s和%(b)s两个地方几分钟内都用了") % {
                "m": when.month, "d": when.day, "t": when.strftime("%H:%M"),
                "a": before.actor_label, "b": after.actor_label})
    failed = sum(1 for e in events if e.action in (Kind.SETTLEMENT_FAILED, Kind.SETTLEMENT_MANUAL))
    if failed:
        unusual.append(_("有%(n)d次结算没有成功") % {"n": failed})
    return {"visits": len(settled), "total": sum((_amount(e.detail.get("total")) for e in settled), Decimal("0")),
            "self_pay": sum((_amount(e.detail.get("self_pay")) for e in settled), Decimal("0")),
            "unusual": unusual}


def _digest_text(person, week: dict) -> str:
    if week["visits"]:
        text = _("%(name)s这周看病%(n)d次，共%(total)s元，自付%(self)s元。") % {
            "name": person.masked_name, "n": week["visits"], "total": _yuan(week["total"]),
            "self": _yuan(week["self_pay"])}
    else:
        text = _("%(name)s这周没有用医保看病。") % {"name": person.masked_name}
    if week["unusual"]:
        text += _("请留意：%(what)s。") % {"what": "；".join(week["unusual"])}
    return text


def send_weekly_digests(today: dt.date | None = None) -> int:
    """Monday: to each proxy with view_settlements, one SMS on the week before for everyone he watches.
    One per proxy and week (the unique constraint): running it twice sends nothing more."""
    today = today or timezone.localdate()
    this_monday = week_start(today)
    week = this_monday - dt.timedelta(days=7)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(week, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(this_monday, dt.time.min, tzinfo=tz)
    watched: dict[int, tuple[object, list]] = defaultdict(lambda: (None, []))
    for user, person in digest_pairs():
        watched[user.pk] = (user, [*watched[user.pk][1], person])
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for user, people in watched.values():
            if not preference_of(user).wants("settlement") or Digest.objects.filter(proxy=user, week=week).exists():
                continue
            weeks = [(person, week_of(person, start, end)) for person in people]
            if not any(w["visits"] or w["unusual"] for _p, w in weeks):
                continue  # a quiet week: no SMS
            body = _("【医保通】每周提醒：") + "".join(_digest_text(p, w) for p, w in weeks)
            try:
                with transaction.atomic():
                    digest = Digest.objects.create(proxy=user, week=week, visits=sum(w["visits"] for _p, w in weeks),
                                                   unusual=[u for _p, w in weeks for u in w["unusual"]])
                    message = OutboundMessage.objects.create(phone=user.phone, channel=Channel.SMS, body=body)
                    digest.message = message
                    digest.save(update_fields=["message"])
                    transaction.on_commit(lambda pk=message.pk: queue_delivery(pk))
            except IntegrityError:
                continue  # another worker wrote this week's digest first
            sent += 1
    return sent
