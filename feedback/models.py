"""Her voice: the three-button survey after a settlement or a finished service, complaints and reports with
their 24-hour clock, and the call-backs a helper owes someone who gave up (docs/design.md §2)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.storage import private_storage


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    OKAY = "okay", _("一般")
    UNSATISFIED = "unsatisfied", _("不满意")


class SurveyResponse(models.Model):
    """One answer per event: `event_key` names what was rated ("settlement:<uuid>", "filing:<uuid>", ...)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="survey_responses")
    event_key = models.CharField(max_length=80)
    rating = models.CharField(_("满意度"), max_length=12, choices=Rating.choices)
    # The optional five dimensions of the Hangzhou survey and willingness to recommend, 1-5 each.
    convenience = models.PositiveSmallIntegerField(_("便捷"), null=True, blank=True)
    negative = models.PositiveSmallIntegerField(_("负面体验"), null=True, blank=True)
    service = models.PositiveSmallIntegerField(_("服务"), null=True, blank=True)
    publicity = models.PositiveSmallIntegerField(_("宣传"), null=True, blank=True)
    standard = models.PositiveSmallIntegerField(_("规范"), null=True, blank=True)
    recommend = models.PositiveSmallIntegerField(_("愿意推荐"), null=True, blank=True)
    region_code = models.CharField(max_length=6, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("满意度评价")
        verbose_name_plural = _("满意度评价")
        constraints = [
            models.UniqueConstraint(fields=["person", "event_key"], name="one_answer_per_event"),
            *[models.CheckConstraint(condition=Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__gte": 1, f"{f}__lte": 5}),
                                     name=f"survey_{f}_1_to_5")
              for f in ("convenience", "negative", "service", "publicity", "standard", "recommend")],
        ]


class ComplaintKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("等待答复")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


class Complaint(models.Model):
    """投诉 / 举报 with a 24-hour clock: `due_by` is 24 h after it was made; escalated at 20 h, breached after."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="complaints")
    kind = models.CharField(_("类型"), max_length=12, choices=ComplaintKind.choices, default=ComplaintKind.COMPLAINT)
    text = models.TextField(_("说了什么"), max_length=2000, blank=True)
    recording = models.FileField(_("录音"), storage=private_storage, upload_to="complaints/", blank=True,
                                 max_length=200)
    recording_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    settlement = models.ForeignKey("settlement.Settlement", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("关于哪笔结算"))
    via = models.CharField(max_length=8, default="self")  # self | proxy | helper
    made_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN,
                              db_index=True)
    due_by = models.DateTimeField(_("24小时内答复"), db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(_("超时"), default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rating = models.CharField(_("对答复的评价"), max_length=12, choices=Rating.choices, blank=True)
    region_code = models.CharField(max_length=6, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["due_by", "id"]
        verbose_name = _("投诉和举报")
        verbose_name_plural = _("投诉和举报")
        constraints = [models.CheckConstraint(condition=~Q(text="") | ~Q(recording=""), name="complaint_says_something")]


class ComplaintReply(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="replies")
    staff = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("答复"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class CallbackStatus(models.TextChoices):
    WAITING = "waiting", _("等待回电")
    CALLED = "called", _("已回电")
    UNREACHABLE = "unreachable", _("没有打通")
    RESOLVED = "resolved", _("已解决")


class CallbackRequest(models.Model):
    """"请帮办员打电话给我": what went wrong (the step and how, never a secret), and what came of the call."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey("insurance.InsuredPerson", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    phone = EncryptedTextField(_("回电号码"))
    step = models.CharField(_("卡在哪一步"), max_length=40)
    what_went_wrong = models.CharField(_("出了什么问题"), max_length=200)
    region_code = models.CharField(max_length=6, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=CallbackStatus.choices, default=CallbackStatus.WAITING,
                              db_index=True)
    outcome_note = models.CharField(_("回电结果"), max_length=200, blank=True)
    helper = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("回电的帮办员"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("求助回电")
        verbose_name_plural = _("求助回电")
