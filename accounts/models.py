"""Users keyed by mobile phone, one-time codes, and the messages we send them."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.fields import EncryptedTextField
from core.masking import mask_name, mask_phone


class Role(models.TextChoices):
    CITIZEN = "citizen", _("群众")
    HELPER = "helper", _("帮办员")
    OPERATOR = "operator", _("医院或药店收费员")
    STAFF = "staff", _("医保工作人员")


# Roles that sign in with a password plus a TOTP code instead of an SMS code.
WORKER_ROLES = {Role.HELPER, Role.OPERATOR, Role.STAFF}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra) -> User:
        user = self.model(phone=phone, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra) -> User:
        extra.setdefault("role", Role.STAFF)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)

    def get_by_phone(self, phone_e164: str) -> User | None:
        return self.filter(phone_index=crypto.blind_index("phone", phone_e164)).first()


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phone = EncryptedTextField(_("手机号"))
    phone_index = models.CharField(max_length=64, unique=True, editable=False)
    display_name = models.CharField(_("称呼"), max_length=40, blank=True)
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.CITIZEN)
    person = models.OneToOneField(
        "insurance.InsuredPerson",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="user",
        verbose_name=_("实名参保人"),
    )
    institution = models.ForeignKey(
        "insurance.Institution", null=True, blank=True, on_delete=models.PROTECT, related_name="operators"
    )
    elder_mode = models.BooleanField(_("长者模式"), null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "phone_index"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def save(self, *args, **kwargs) -> None:
        self.phone_index = crypto.blind_index("phone", self.phone)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.audit_label

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        if self.person_id:
            return self.person.masked_name
        return mask_name(self.display_name) or self.masked_phone

    def get_short_name(self) -> str:
        # The admin greets with this; the default (the username field) would be the phone's keyed hash.
        return self.masked_name

    def get_full_name(self) -> str:
        return self.masked_name

    @property
    def audit_label(self) -> str:
        return f"{self.get_role_display()} {self.masked_name}"

    @property
    def is_worker(self) -> bool:
        return self.role in WORKER_ROLES


class Purpose(models.TextChoices):
    SIGN_IN = "sign_in", _("登录")
    IDENTITY = "identity", _("身份核验")
    STEP_UP = "step_up", _("再次确认本人")


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    VOICE = "voice", _("语音电话")


class OneTimeCode(models.Model):
    phone_index = models.CharField(max_length=64, db_index=True)
    ip_index = models.CharField(max_length=64, db_index=True, blank=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SMS)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class OutboundMessage(models.Model):
    """An SMS or voice call we owe someone. The text is encrypted: it may hold a code."""

    phone = EncryptedTextField()
    phone_index = models.CharField(max_length=64, db_index=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SMS)
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=8, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def save(self, *args, **kwargs) -> None:
        self.phone_index = crypto.blind_index("phone", self.phone)
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class RevokedWhy(models.TextChoices):
    SELF = "self", _("本人移除")
    LOST_PHONE = "lost_phone", _("手机丢了")
    STAFF = "staff", _("工作人员移除")


class TrustedDevice(models.Model):
    """A phone she chose to keep trusted (记住这台手机): it opens her code without an SMS, any day.

    The cookie holds the public id and a random secret; only the secret's keyed hash is stored, so a copy of
    the database opens nothing (docs/architecture.md, "Trusted phones and step-up")."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="trusted_devices", verbose_name=_("用户"))
    secret_hash = models.CharField(max_length=64, editable=False)
    label = models.CharField(_("手机"), max_length=60)
    created_at = models.DateTimeField(_("记住的时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("上次使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("移除的时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("移除人"))
    revoked_why = models.CharField(_("移除原因"), max_length=16, choices=RevokedWhy.choices, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("记住的手机")
        verbose_name_plural = _("记住的手机")

    def __str__(self) -> str:
        return self.label

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class StepUpPin(models.Model):
    """Her 6-digit PIN for step-up, hashed with Django's password hasher; 5 wrong tries lock it 15 minutes."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="step_up_pin")
    pin_hash = models.CharField(max_length=128)
    set_at = models.DateTimeField(default=timezone.now)
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)


class Passkey(models.Model):
    """A passkey (the phone's fingerprint or face unlock, WebAuthn) she registered for step-up."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.CharField(max_length=512, unique=True)  # base64url
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
