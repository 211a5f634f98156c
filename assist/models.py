"""Kiosks and assisted sessions (帮办): a helper does chosen tasks with a citizen, with her consent."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

IDLE_LIMIT = dt.timedelta(minutes=2)


class Task(models.TextChoices):
    ACTIVATE = "activate", _("开通医保码")
    BIND_FAMILY = "bind_family", _("绑定家人")
    SHOW_CODE = "show_code", _("出示医保码")
    CHECK_RECORDS = "check_records", _("查记录")
    CHRONIC = "chronic", _("门诊慢特病申请")
    FILE_CROSS_REGION = "file_filing", _("异地就医备案")
    CLAIM = "claim", _("手工报销")
    COMPLAINT = "complaint", _("投诉和举报")


ALL_TASKS = [t.value for t in Task]
# A helper's word is not her consent to these: adding or widening a family grant (or anything that would
# change where her messages go) needs her own code or an existing family member's approval.
NOT_ON_WITNESS = frozenset({Task.BIND_FAMILY})


class Kiosk(models.Model):
    """A browser registered as a kiosk. The cookie holds a random token; we keep only its hash."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=60)
    location = models.CharField(_("地点"), max_length=120)
    token_hash = models.CharField(max_length=64, unique=True)
    registered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("帮办终端")
        verbose_name_plural = _("帮办终端")

    def __str__(self) -> str:
        return f"{self.name}（{self.location}）"


class SessionStatus(models.TextChoices):
    AWAITING_CONSENT = "awaiting", _("等待同意")
    ACTIVE = "active", _("办理中")
    ENDED = "ended", _("已结束")
    REFUSED = "refused", _("对方不同意")


class ConsentVia(models.TextChoices):
    CODE = "code", _("本人手机验证码")
    PROXY = "proxy", _("家人远程同意")
    WITNESSED = "witnessed", _("帮办员见证")


class EndReason(models.TextChoices):
    HELPER = "helper", _("帮办员结束")
    CITIZEN = "citizen", _("市民结束")
    TIMEOUT = "timeout", _("长时间没有操作，自动结束")
    REFUSED = "refused", _("不同意办理")
    UNDONE = "undone", _("医保局复核后撤销")


class AssistSession(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kiosk = models.ForeignKey(Kiosk, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    helper = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="assist_sessions")
    citizen = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="assist_sessions")
    tasks = models.JSONField(default=list)
    done = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.AWAITING_CONSENT)
    consent_via = models.CharField(max_length=16, choices=ConsentVia.choices, blank=True)
    consent_proxy = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    witness_reason = models.CharField(max_length=200, blank=True)
    needs_review = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("帮办记录")
        verbose_name_plural = _("帮办记录")

    def __str__(self) -> str:
        return f"{self.helper} · {self.citizen} · {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in (SessionStatus.AWAITING_CONSENT, SessionStatus.ACTIVE) and not self.is_idle

    @property
    def is_idle(self) -> bool:
        return timezone.now() - self.last_activity_at > IDLE_LIMIT

    def task_labels(self) -> list[str]:
        return [str(Task(t).label) for t in self.tasks if t in ALL_TASKS]

    def witnessable_labels(self) -> list[str]:
        """The chosen tasks a helper's witnessed consent may do (not those in NOT_ON_WITNESS)."""
        return [str(Task(t).label) for t in self.tasks if t in ALL_TASKS and t not in NOT_ON_WITNESS]

    @property
    def witness_can_do(self) -> bool:
        return bool(self.witnessable_labels())

    @property
    def is_witnessed(self) -> bool:
        return self.consent_via == ConsentVia.WITNESSED

    def done_labels(self) -> list[str]:
        return [str(Task(t).label) for t in self.done if t in ALL_TASKS]
