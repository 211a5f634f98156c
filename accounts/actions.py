"""State changes for sign-in and real-name binding. One transaction and one audit row each."""

from __future__ import annotations

import datetime as dt
import hmac
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import budgets
from accounts.models import (
    Channel,
    OneTimeCode,
    OutboundMessage,
    Passkey,
    Purpose,
    RevokedWhy,
    Role,
    StepUpPin,
    TrustedDevice,
    User,
)
from accounts.tasks import delivery_possible, queue_delivery
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import Via
from core import crypto
from core import rate_limit as limits
from insurance.identity import InvalidIdentifier, normalize_name, parse_id_number
from insurance.models import InsuredPerson
from insurance.selectors import person_by_id_number


class OtpError(Exception):
    """A one-time code could not be sent or accepted; the message says why and what to do."""

    def __init__(self, message: str, *, retry_after: int | None = None, out_of_attempts: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        # No tries left for now (phone locked, code budget spent, code void): the page offers help at once
        # (core/rescue.py).
        self.out_of_attempts = out_of_attempts


class BindingError(Exception):
    def __init__(self, message: str, field: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.retry_after = retry_after


def sms_unavailable_message() -> str:
    return _("短信暂时发不出去，请过几分钟再试，或拨打医保热线%(h)s。") % {"h": settings.SITE_HOTLINE}


def _code_hash(phone_index: str, code: str) -> str:
    return crypto.blind_index("otp", f"{phone_index}:{code}")


@dataclass(frozen=True)
class SentCode:
    expires_at: dt.datetime
    channel: str
    resend_after: int


def phone_locked_until(phone_index: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """A phone is locked for a while after several codes in a row were guessed at 5 times."""
    now = now or timezone.now()
    window = now - dt.timedelta(minutes=settings.OTP_LOCK_MINUTES)
    burnt = OneTimeCode.objects.filter(
        phone_index=phone_index, created_at__gte=window, tries__gte=settings.OTP_MAX_TRIES
    ).order_by("-created_at")
    if burnt.count() >= settings.OTP_LOCK_AFTER_FAILED_CODES:
        return burnt.first().created_at + dt.timedelta(minutes=settings.OTP_LOCK_MINUTES)
    return None


def send_one_time_code(
    *, phone_e164: str, purpose: str, channel: str = Channel.SMS, ip: str | None = None,
    sms_text: str | None = None, kiosk_id: int | None = None, resend_label: str | None = None,
) -> SentCode:
    """Send a 6-digit code. `sms_text` (with a %(code)s placeholder) replaces the standard wording, e.g.
    to tell a mother who is asking for her consent and for what. The hourly limits are per purpose for her
    phone and per place for the sender (a registered kiosk, `kiosk_id`, counts as its own place):
    accounts/budgets.py. `resend_label` is the label of the page's button that sends a code, which the
    messages name (default 获取验证码)."""
    now = timezone.now()
    phone_index = crypto.blind_index("phone", phone_e164)
    budget = budgets.budget_of(purpose)
    origin = budgets.origin_of(ip, kiosk_id)
    ip_index = origin.index
    locked = phone_locked_until(phone_index, now)
    if locked:
        raise OtpError(budgets.locked_message(budget, (locked - now).total_seconds()),
                       retry_after=max(1, int((locked - now).total_seconds())), out_of_attempts=True)
    hour_ago = now - dt.timedelta(hours=1)
    recent = OneTimeCode.objects.filter(phone_index=phone_index, created_at__gte=hour_ago)
    last = recent.order_by("-created_at").first()
    if last and (now - last.created_at).total_seconds() < settings.OTP_RESEND_AFTER_SECONDS:
        wait = settings.OTP_RESEND_AFTER_SECONDS - int((now - last.created_at).total_seconds())
        raise OtpError(_("验证码刚刚发过，请%(s)d秒后再点“%(b)s”。") % {"s": wait, "b": resend_label or _("获取验证码")},
                       retry_after=wait)
    for rows, limit in (
        (recent.filter(budgets.purposes_in(budget)), budgets.phone_limit(budget)),
        (recent, settings.OTP_MAX_PER_PHONE_ALL_PURPOSES_PER_HOUR),
    ):
        sent = list(rows.values_list("created_at", flat=True)[:limit])
        if len(sent) >= limit:
            wait_s = budgets.seconds_until_room(sent, limit, now)
            raise OtpError(budgets.phone_budget_message(budget, wait_s), retry_after=int(wait_s), out_of_attempts=True)
    from_here = list(OneTimeCode.objects.filter(ip_index=ip_index, created_at__gte=hour_ago)
                     .order_by("-created_at").values_list("created_at", flat=True)[:origin.code_limit])
    if len(from_here) >= origin.code_limit:
        wait_s = budgets.seconds_until_room(from_here, origin.code_limit, now)
        raise OtpError(budgets.origin_message(origin, budget, wait_s), retry_after=int(wait_s),
                       out_of_attempts=True)
    if not delivery_possible():
        # Nothing is written: no code she cannot receive, no message left pending, no limit used up.
        raise OtpError(sms_unavailable_message())

    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        OneTimeCode.objects.filter(phone_index=phone_index, purpose=purpose, used_at__isnull=True).update(
            superseded=True
        )
        otp = OneTimeCode.objects.create(
            phone_index=phone_index,
            ip_index=ip_index,
            purpose=purpose,
            channel=channel,
            code_hash=_code_hash(phone_index, code),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.OTP_CODE_TTL_SECONDS),
        )
        if channel == Channel.VOICE:
            spoken = "，".join(code)
            body = _("医保通语音验证码：%(code)s。再说一遍：%(code)s。五分钟内有效。") % {"code": spoken}
        elif sms_text:
            body = sms_text % {"code": code}
        else:
            body = _("【医保通】您的验证码是%(code)s，5分钟内有效。请勿告诉他人，工作人员不会向您索要。") % {
                "code": code
            }
        message = OutboundMessage.objects.create(phone=phone_e164, channel=channel, body=body)
        transaction.on_commit(lambda: queue_delivery(message.pk))
    return SentCode(expires_at=otp.expires_at, channel=channel, resend_after=settings.OTP_RESEND_AFTER_SECONDS)


def check_one_time_code(*, phone_e164: str, purpose: str, code: str, resend_label: str | None = None) -> None:
    """Accept a code once, or raise OtpError saying why not. Counts tries even when wrong. The messages name
    the page's button that sends a code by its label, `resend_label` (default 获取验证码)."""
    button = {"b": resend_label or _("获取验证码")}
    now = timezone.now()
    phone_index = crypto.blind_index("phone", phone_e164)
    code = (code or "").strip()
    locked = phone_locked_until(phone_index, now)
    if locked:
        raise OtpError(budgets.locked_message(budgets.budget_of(purpose), (locked - now).total_seconds()),
                       out_of_attempts=True)
    if len(code) != 6 or not code.isdigit():
        raise OtpError(_("验证码是6位数字，请再看一下短信。"))
    error: str | None = None
    used_up = False
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(phone_index=phone_index, purpose=purpose)
            .order_by("-created_at")
            .first()
        )
        if otp is None:
            error = _("请先点“%(b)s”。") % button
        elif otp.used_at is not None:
            error = _("这个验证码已经用过了，请点“%(b)s”再要一个。") % button
        elif otp.tries >= settings.OTP_MAX_TRIES:
            error, used_up = _("这个验证码错误次数太多，已经作废，请点“%(b)s”再要一个。") % button, True
        elif otp.expires_at <= now:
            error = _("验证码已过期（5分钟内有效），请点“%(b)s”再要一个。") % button
        elif not secrets.compare_digest(otp.code_hash, _code_hash(phone_index, code)):
            # The failed try is saved before we answer, so guessing costs a try every time.
            otp.tries += 1
            otp.save(update_fields=["tries"])
            left = settings.OTP_MAX_TRIES - otp.tries
            if left <= 0:
                error, used_up = _("这个验证码错误次数太多，已经作废，请点“%(b)s”再要一个。") % button, True
            else:
                error = _("验证码不对，还可以再试%(n)d次。") % {"n": left}
        else:
            otp.used_at = now
            otp.save(update_fields=["used_at"])
    if error:
        raise OtpError(error, out_of_attempts=used_up)


# Set in the session when she signs in with a code: when (time.time()) she last proved she holds her phone.
PHONE_PROVEN_SESSION_KEY = "phone_proven_at"


def sign_in_with_code(*, phone_e164: str, code: str, ip: str | None = None) -> User:
    """Checks the sign-in code and returns the account to sign in (made on first use); the view signs in."""
    check_one_time_code(phone_e164=phone_e164, purpose=Purpose.SIGN_IN, code=code)
    with transaction.atomic():
        user = User.objects.get_by_phone(phone_e164)
        if user is None:
            user = User.objects.create_user(phone_e164)
        elif user.role != Role.CITIZEN:
            raise OtpError(_("工作人员请用“工作人员登录”，输入密码和动态口令。"))
        if not user.is_active:
            raise OtpError(_("这个账户已停用，请拨打%(h)s。") % {"h": settings.SITE_HOTLINE})
        record_event(action=Kind.SIGNED_IN, actor=user, subject=user.person, ip=ip)
    return user


def _identity_buckets(ip: str | None, id_number: str, kiosk_id: int | None = None
                      ) -> tuple[limits.Bucket, limits.Bucket]:
    hour = 3600
    origin = budgets.origin_of(ip, kiosk_id)  # a kiosk or help point has its own, larger budget
    place = "ip" if origin.kind == "address" else origin.kind
    return (
        limits.Bucket(f"idcheck:{place}:{origin.index}", origin.check_limit, hour),
        limits.Bucket(f"idcheck:id:{crypto.blind_index('idcheck', id_number)}",
                      settings.IDENTITY_CHECKS_PER_ID_NUMBER_PER_HOUR, hour),
    )


def _same(given: str, held: str) -> bool:
    return hmac.compare_digest(given.encode(), held.encode())


def match_person(*, name: str, id_number: str, ip: str | None, phone_e164: str | None = None,
                 kiosk_id: int | None = None) -> InsuredPerson:
    """The insured person with this name and ID number (and registered phone, when given), for anyone proving
    who she is or looking her up: the activation page, a son adding his mother, a helper at a kiosk.

    It must not tell who is insured (docs/threat-model.md): any mismatch, whether the ID number is unknown or
    the name or the phone is wrong, gets one sentence, and every case does the same work (one indexed
    lookup, every comparison made). Failed checks are counted per address and per ID number in the cache;
    a check that matches is not counted, so a busy help point is not held up by its own successes (what a
    match leads to, a one-time code, has its own limits). Over a limit, or with the counts unreachable,
    the answer says when to try again and where to get help, and nothing is looked up."""
    try:
        parsed = parse_id_number(id_number)
    except InvalidIdentifier as exc:
        raise BindingError(str(exc), field="id_number") from None
    try:
        clean_name = normalize_name(name)
    except InvalidIdentifier as exc:
        raise BindingError(str(exc), field="name") from None
    try:
        counted = limits.take(*_identity_buckets(ip, parsed.value, kiosk_id))
    except limits.Limited as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        # The clock time too: "60 minutes" means little to her an hour later, "22:10以后" does.
        until = timezone.localtime(timezone.now() + dt.timedelta(minutes=minutes))
        raise BindingError(
            _("核对的次数太多了。为了保护参保人的信息，请%(m)d分钟后再试（%(t)s以后）。现在就要办：带身份证到社区帮办点，"
              "或拨打医保热线%(h)s，也可以请家人帮忙。") % {"m": minutes, "t": f"{until:%H:%M}",
                                                 "h": settings.SITE_HOTLINE},
            retry_after=exc.retry_after,
        ) from None
    except limits.LimiterUnavailable:
        raise BindingError(_("系统暂时有点忙，请过几分钟再试，或拨打医保热线%(h)s。") % {"h": settings.SITE_HOTLINE}) from None
    person = person_by_id_number(parsed.value)
    # Compare everything whether or not she was found, so the time taken does not tell either.
    name_ok = _same(clean_name, person.name if person else "\0")
    phone_ok = phone_e164 is None or _same(phone_e164, person.phone if person else "\0")
    if person is None or not (name_ok and phone_ok):
        if phone_e164 is None:
            message = _("姓名和身份证号对不上医保登记。请对照身份证检查后再试，或带身份证到社区帮办点，"
                        "或拨打医保热线%(h)s。")
        else:
            message = _("姓名、身份证号和手机号对不上医保登记。请检查后再试，或带身份证到社区帮办点，"
                        "或拨打医保热线%(h)s。")
        raise BindingError(message % {"h": settings.SITE_HOTLINE})
    limits.give_back(counted)
    return person


def verify_identity(*, name: str, id_number: str, phone_e164: str, ip: str | None = None,
                    kiosk_id: int | None = None) -> InsuredPerson:
    """Name, ID number and the phone registered with the bureau must all match one person."""
    return match_person(name=name, id_number=id_number, phone_e164=phone_e164, ip=ip, kiosk_id=kiosk_id)


def sign_in_and_bind(*, name: str, id_number: str, phone_e164: str, code: str, ip: str | None = None,
                     kiosk_id: int | None = None, proven_by: User | None = None) -> User:
    """The activation identity step: checks the code and binds the real name, all at once. Returns the
    account (made on first use, now bound to her) for the view to sign in. `proven_by` is the account she
    signed in to with a code for this same phone a few minutes ago (the view checks how long ago): that code
    already proved she holds the phone, so she is not made to wait for a second one."""
    person = verify_identity(name=name, id_number=id_number, phone_e164=phone_e164, ip=ip, kiosk_id=kiosk_id)
    if proven_by is None or proven_by.phone != phone_e164 or proven_by.role != Role.CITIZEN:
        check_one_time_code(phone_e164=phone_e164, purpose=Purpose.IDENTITY, code=code)
    with transaction.atomic():
        # The code proved she holds the registered phone: that phone's account is hers.
        user = User.objects.get_by_phone(phone_e164)
        if user is None:
            user = User.objects.create_user(phone_e164)
        if user.role != Role.CITIZEN:
            raise BindingError(_("工作人员账户不能用来开通医保码。"))
        if user.person_id and user.person_id != person.pk:
            raise BindingError(_("您已经用另一个身份实名了。要为家人开通，请用“家人帮办”。"))
        other = User.objects.filter(person=person).exclude(pk=user.pk).first()
        if other is not None:
            raise BindingError(_("这个身份已经绑定在另一个手机号上。请拨打%(h)s处理。") % {"h": settings.SITE_HOTLINE})
        if user.person_id is None:
            user.person = person
            user.save(update_fields=["person"])
            record_event(action=Kind.REAL_NAME_BOUND, actor=user, subject=person, ip=ip)
        record_event(action=Kind.SIGNED_IN, actor=user, subject=person, ip=ip)
    return user


def send_notice(phone_e164: str, text: str) -> None:
    """A plain SMS (no code), delivered by the same task as the codes."""
    message = OutboundMessage.objects.create(phone=phone_e164, channel=Channel.SMS, body=text)
    transaction.on_commit(lambda: queue_delivery(message.pk))


def record_staff_sign_in(user: User, *, ip: str | None = None) -> None:
    """A worker passed password and TOTP; the view has signed them in."""
    with transaction.atomic():
        record_event(action=Kind.STAFF_SIGNED_IN, via=Via.STAFF, actor=user, ip=ip)


class AuthenticatorExists(Exception):
    """The worker already has an authenticator and replacing it was not asked for."""


def enroll_worker_totp(user: User, *, replace: bool = False) -> TOTPDevice:
    """Give a helper, operator or staff member a confirmed authenticator (TOTP) for the worker sign-in,
    replacing the old one only when asked. The caller shows its QR code once (docs/decisions.md)."""
    with transaction.atomic():
        existing = TOTPDevice.objects.filter(user=user)
        if existing.exists() and not replace:
            raise AuthenticatorExists
        existing.delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        record_event(action=Kind.TOTP_ENROLLED, via=Via.SYSTEM, actor=user, detail={"replaced": replace})
    return device


# --- trusted phones and step-up (docs/architecture.md, "Trusted phones and step-up") ---------------------


class StepUpError(Exception):
    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


def trusted_phone_secret_hash(secret: str) -> str:
    return crypto.blind_index("trusted_phone", secret)


def trust_this_phone(user: User, *, label: str, ip: str | None = None) -> tuple[TrustedDevice, str]:
    """Remember this phone for her. Returns the device and the cookie value (public id and secret), which
    is shown to nobody and stored only as a keyed hash."""
    if user.role != Role.CITIZEN or user.person_id is None:
        raise StepUpError(_("只有本人实名的账户可以记住手机。"))
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = TrustedDevice.objects.create(user=user, secret_hash=trusted_phone_secret_hash(secret),
                                              label=label[:60])
        record_event(action=Kind.TRUSTED_PHONE_ADDED, actor=user, subject=user.person, ip=ip,
                     detail={"device": str(device.public_id), "label": device.label})
    return device, f"{device.public_id}.{secret}"


def sign_in_by_trusted_phone(device: TrustedDevice, *, ip: str | None = None) -> User:
    """A trusted phone opened her code: note when it was last used. The caller signs her in."""
    with transaction.atomic():
        now = timezone.now()
        TrustedDevice.objects.filter(pk=device.pk).update(last_used_at=now)
        device.last_used_at = now
        record_event(action=Kind.TRUSTED_PHONE_SIGNED_IN, actor=device.user, subject=device.user.person, ip=ip,
                     detail={"device": str(device.public_id), "label": device.label})
    return device.user


def revoke_trusted_phone(device: TrustedDevice, *, by: User, why: str = RevokedWhy.SELF,
                         ip: str | None = None) -> TrustedDevice:
    """Forget one phone (her "移除", or staff in the admin). Its cookie opens nothing from now on, and a
    session it opened ends at its next request."""
    via = Via.STAFF if why == RevokedWhy.STAFF else Via.SELF
    with transaction.atomic():
        device = TrustedDevice.objects.select_for_update().select_related("user").get(pk=device.pk)
        if device.revoked_at is not None:
            return device
        device.revoked_at = timezone.now()
        device.revoked_by = by
        device.revoked_why = why
        device.save(update_fields=["revoked_at", "revoked_by", "revoked_why"])
        record_event(action=Kind.TRUSTED_PHONE_REVOKED, via=via, actor=by, subject=device.user.person, ip=ip,
                     detail={"device": str(device.public_id), "label": device.label, "why": why})
    return device


def revoke_all_trusted_phones(user: User, *, by: User | None, why: str = RevokedWhy.LOST_PHONE,
                              ip: str | None = None) -> int:
    """Forget every phone of hers at once (我的手机丢了). Call inside the caller's transaction or alone."""
    with transaction.atomic():
        devices = list(TrustedDevice.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
        if not devices:
            return 0
        TrustedDevice.objects.filter(pk__in=[d.pk for d in devices]).update(
            revoked_at=timezone.now(), revoked_by=by, revoked_why=why)
        record_event(action=Kind.TRUSTED_PHONE_REVOKED, via=Via.STAFF if why == RevokedWhy.STAFF else Via.SELF,
                     actor=by or user, subject=user.person, ip=ip,
                     detail={"devices": [str(d.public_id) for d in devices], "why": why, "all": True})
    return len(devices)


def remove_passkey(passkey: Passkey, *, by: User, ip: str | None = None) -> None:
    """Her "关掉": that phone's fingerprint or face no longer confirms it is her. Needs no step-up: taking a
    way in away only ever makes her account safer."""
    with transaction.atomic():
        deleted, _rows = Passkey.objects.filter(pk=passkey.pk, user=by).delete()
        if deleted:
            record_event(action=Kind.PASSKEY_REMOVED, actor=by, subject=by.person, ip=ip,
                         detail={"label": passkey.label})


def _stepped_up(user: User, method: str, ip: str | None) -> None:
    record_event(action=Kind.STEPPED_UP, actor=user, subject=user.person, ip=ip, detail={"method": method})


def set_step_up_pin(user: User, *, pin: str, ip: str | None = None) -> None:
    pin = (pin or "").strip()
    if len(pin) != 6 or not pin.isdigit() or not pin.isascii():
        raise StepUpError(_("数字密码是6位数字。"))
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise StepUpError(_("这个密码太容易被猜到，请换一个，不要用相同或连着的数字。"))
    with transaction.atomic():
        StepUpPin.objects.update_or_create(user=user, defaults={
            "pin_hash": make_password(pin), "set_at": timezone.now(), "failures": 0, "locked_until": None})
        record_event(action=Kind.STEP_UP_PIN_SET, actor=user, subject=user.person, ip=ip)


def step_up_with_pin(user: User, *, pin: str, ip: str | None = None) -> None:
    """Check her PIN, or raise StepUpError. Wrong tries are saved before answering; 5 lock it 15 minutes."""
    now = timezone.now()
    error: StepUpError | None = None
    with transaction.atomic():
        row = StepUpPin.objects.select_for_update().filter(user=user).first()
        if row is None:
            raise StepUpError(_("您还没有设置数字密码，请用短信验证码。"))
        if row.locked_until and row.locked_until > now:
            minutes = max(1, math.ceil((row.locked_until - now).total_seconds() / 60))
            until = timezone.localtime(row.locked_until)
            raise StepUpError(_("数字密码错的次数太多，已锁定。请%(m)d分钟后（%(t)s以后）再试，现在可以用短信验证码。")
                              % {"m": minutes, "t": f"{until:%H:%M}"}, locked=True)
        if row.locked_until:  # the lock has ended by itself: a fresh start
            row.failures, row.locked_until = 0, None
        if check_password((pin or "").strip(), row.pin_hash):
            row.failures = 0
            row.save(update_fields=["failures", "locked_until"])
            _stepped_up(user, "pin", ip)
            return
        row.failures += 1
        if row.failures >= settings.STEP_UP_PIN_MAX_TRIES:
            row.locked_until = now + dt.timedelta(minutes=settings.STEP_UP_PIN_LOCK_MINUTES)
            record_event(action=Kind.STEP_UP_PIN_LOCKED, actor=user, subject=user.person, ip=ip)
            until = timezone.localtime(row.locked_until)
            error = StepUpError(_("数字密码错了%(n)d次，已锁定%(m)d分钟（%(t)s以后再试）。现在可以用短信验证码。")
                                % {"n": row.failures, "m": settings.STEP_UP_PIN_LOCK_MINUTES, "t": f"{until:%H:%M}"},
                                locked=True)
        else:
            error = StepUpError(_("数字密码不对，还可以再试%(n)d次。")
                                % {"n": settings.STEP_UP_PIN_MAX_TRIES - row.failures})
        row.save(update_fields=["failures", "locked_until"])
    raise error


def step_up_with_code(user: User, *, code: str, ip: str | None = None) -> None:
    """The SMS code sent for purpose step_up (send_one_time_code), checked once."""
    check_one_time_code(phone_e164=user.phone, purpose=Purpose.STEP_UP, code=code)
    with transaction.atomic():
        _stepped_up(user, "sms", ip)


def add_passkey(user: User, *, credential_id: str, public_key: bytes, sign_count: int, label: str,
                ip: str | None = None) -> Passkey:
    with transaction.atomic():
        passkey = Passkey.objects.create(user=user, credential_id=credential_id, public_key=public_key,
                                         sign_count=sign_count, label=label[:60])
        record_event(action=Kind.PASSKEY_ADDED, actor=user, subject=user.person, ip=ip,
                     detail={"label": passkey.label})
    return passkey


def step_up_with_passkey(passkey: Passkey, *, sign_count: int, ip: str | None = None) -> None:
    """The assertion was verified by the caller (accounts/passkeys.py); keep the counter and record it."""
    with transaction.atomic():
        Passkey.objects.filter(pk=passkey.pk).update(sign_count=sign_count, last_used_at=timezone.now())
        _stepped_up(passkey.user, "passkey", ip)
