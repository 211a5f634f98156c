from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class VoucherStatus(models.TextChoices):
    INACTIVE = "inactive", _("未开通")
    ACTIVE = "active", _("已开通")
    SUSPENDED = "suspended", _("已暂停")


class Voucher(models.Model):
    """A person's e-voucher. Its public id is what a code token names; it says nothing of the person."""

    person = models.OneToOneField("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="voucher")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=VoucherStatus.choices, default=VoucherStatus.INACTIVE)
    activated_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("医保电子凭证")
        verbose_name_plural = _("医保电子凭证")

    def __str__(self) -> str:
        return f"{self.person} {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status == VoucherStatus.ACTIVE


class UsedCodeToken(models.Model):
    """The nonce of every token that paid for something: a token is good for one settlement only."""

    nonce = models.CharField(max_length=32, unique=True)
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="used_tokens")
    used_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField()
