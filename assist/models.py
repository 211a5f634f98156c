"""Kiosks and assisted sessions (帮办): a helper does chosen tasks with a citizen, with her consent."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.masking import mask_phone

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


# --- help points (帮办点) and home visits (上门服务) ------------------------------------------------------


class HelpPointKind(models.TextChoices):
    COMMUNITY = "community", _("社区服务中心")
    HOSPITAL = "hospital", _("医院医保窗口")
    VILLAGE = "village", _("村卫生室")
    BUREAU = "bureau", _("医保服务大厅")


class HelpService(models.TextChoices):
    ACTIVATE = "activate", _("激活医保码")
    FAMILY = "family", _("亲情账户")
    FILING = "filing", _("异地备案")
    CLAIM = "claim", _("手工报销")
    PAYMENT = "payment", _("缴费")
    CHRONIC = "chronic", _("门诊慢特病")


class HelpLanguage(models.TextChoices):
    MANDARIN = "cmn", _("普通话")
    CANTONESE = "yue", _("粤语")
    WU = "wuu", _("吴语")
    MINNAN = "nan", _("闽南语")
    SICHUANESE = "sc", _("四川话")
    MIAO = "hmn", _("苗语")
    BOUYEI = "pcc", _("布依语")


class HelpPoint(models.Model):
    """A place where someone helps in person. Staff keep these in the admin; the directory is public."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=16, choices=HelpPointKind.choices)
    district = models.CharField(_("所在地区（行政区划代码）"), max_length=6, db_index=True)
    address = models.CharField(_("地址"), max_length=160)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    hours = models.CharField(_("开放时间"), max_length=160, help_text=_("比如：周一至周五 8:30-17:00"))
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    services = models.JSONField(_("能办的事"), default=list, blank=True)
    languages = models.JSONField(_("会说的话"), default=list, blank=True)
    is_active = models.BooleanField(_("开放中"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["district", "name"]
        verbose_name = _("帮办点")
        verbose_name_plural = _("帮办点")

    def __str__(self) -> str:
        return self.name

    def service_labels(self) -> list[str]:
        return [str(HelpService(s).label) for s in self.services if s in HelpService.values]

    def language_labels(self) -> list[str]:
        return [str(HelpLanguage(s).label) for s in self.languages if s in HelpLanguage.values]


class HelperArea(models.Model):
    """A district a helper covers for home visits (one row per helper and district)."""

    helper = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="helper_areas")
    district = models.CharField(_("地区（行政区划代码）"), max_length=6, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["helper", "district"], name="one_area_row_per_district")]
        verbose_name = _("帮办员服务范围")
        verbose_name_plural = _("帮办员服务范围")

    def __str__(self) -> str:
        return f"{self.helper} · {self.district}"


# What she may ask a helper to come and do: the session tasks a visit opens (the kiosk's own list).
VISIT_TASKS = [Task.ACTIVATE, Task.BIND_FAMILY, Task.FILE_CROSS_REGION, Task.CLAIM, Task.CHRONIC, Task.CHECK_RECORDS]


class VisitDays(models.TextChoices):
    ANY = "any", _("哪天都行")
    WEEKDAY = "weekday", _("周一到周五")
    WEEKEND = "weekend", _("周六周日")


class VisitWindow(models.TextChoices):
    MORNING = "morning", _("上午（9点到12点）")
    AFTERNOON = "afternoon", _("下午（2点到5点）")
    ANY = "any", _("上午下午都行")


class VisitStatus(models.TextChoices):
    REQUESTED = "requested", _("等帮办员接单")
    ACCEPTED = "accepted", _("帮办员已接单，等约时间")
    SCHEDULED = "scheduled", _("已约好上门时间")
    IN_PROGRESS = "in_progress", _("帮办员正在上门办理")
    DONE = "done", _("已办完")
    CANCELLED = "cancelled", _("已取消")


OPEN_VISIT_STATUSES = (VisitStatus.REQUESTED, VisitStatus.ACCEPTED, VisitStatus.SCHEDULED)


class HomeVisit(models.Model):
    """上门服务: she (or her son with `act`) asks a helper of her district to come; it runs as a session."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="home_visits")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(_("要办的事"), max_length=16, choices=Task.choices)
    address = EncryptedTextField(_("上门地址"))
    district = models.CharField(_("所在地区"), max_length=6, db_index=True)
    preferred_days = models.CharField(_("哪几天方便"), max_length=8, choices=VisitDays.choices, default=VisitDays.ANY)
    preferred_time = models.CharField(_("什么时候方便"), max_length=10, choices=VisitWindow.choices,
                                      default=VisitWindow.ANY)
    phone = EncryptedTextField(_("联系电话"))
    note = models.CharField(_("还想说的"), max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=VisitStatus.choices, default=VisitStatus.REQUESTED, db_index=True)
    helper = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="visits")
    scheduled_on = models.DateField(null=True, blank=True)
    scheduled_window = models.CharField(max_length=10, choices=VisitWindow.choices, blank=True)
    session = models.ForeignKey(AssistSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("上门服务")
        verbose_name_plural = _("上门服务")

    def __str__(self) -> str:
        return f"{self.person} · {self.service} · {self.status}"

    @property
    def masked_address(self) -> str:
        """Enough for her to recognise (the street), never the door: the rest is starred."""
        text = self.address or ""
        keep = min(8, max(2, len(text) // 2))
        return text[:keep] + "****" if len(text) > keep else "****"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_VISIT_STATUSES
