"""Practice mode (练习): pretend sessions and pretend bills. Nothing here points at a real person, voucher,
settlement or account: a practice is tied to a browser session (its id kept in the Django session) and to
unguessable tokens, and it deletes itself after PRACTICE_HOURS (learn/tasks.py)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PRACTICE_HOURS = 2
PRETEND_NAME = "练习用户"


def _secret() -> str:
    return secrets.token_urlsafe(24)


def _expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=PRACTICE_HOURS)


class PracticeKind(models.TextChoices):
    SOLO = "solo", _("一个人练习")
    CLASS = "class", _("练习课堂")
    SEAT = "seat", _("课堂里的一部手机")


class PracticeSession(models.Model):
    """One practice. SOLO: her phone and the counter link she gives someone. CLASS: the teacher's practice
    counter with a 6-digit class code for the room. SEAT: one phone that joined a class (parent = the class)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=PracticeKind.choices, default=PracticeKind.SOLO)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="seats")
    seat_number = models.PositiveSmallIntegerField(null=True, blank=True)
    # The practice counter's link (solo and class): whoever holds it may settle pretend bills here.
    counter_secret = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # What her practice QR carries after core.practice.PRACTICE_PREFIX (solo and seat).
    code_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    class_code = models.CharField(max_length=6, unique=True, null=True, blank=True)
    pretend_name = models.CharField(max_length=20, default=PRETEND_NAME)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_expiry, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("练习")
        verbose_name_plural = _("练习")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_class(self) -> bool:
        return self.kind == PracticeKind.CLASS

    @property
    def counter_owner(self) -> PracticeSession:
        """Whose counter settles this seat: a seat's class, else itself."""
        return self.parent if self.kind == PracticeKind.SEAT and self.parent is not None else self

    @property
    def seat_label(self) -> str:
        return str(_("%(n)d号手机")) % {"n": self.seat_number} if self.seat_number else str(self.pretend_name)


class PracticeBill(models.Model):
    """A pretend bill settled at a practice counter: pretend items and a plain pretend split."""

    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, related_name="bills")
    items = models.JSONField(default=list)  # [{"name", "unit_price", "quantity", "amount"}] as strings
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    fund_pay = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    self_pay = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.total}"


def new_secret() -> str:
    return _secret()
