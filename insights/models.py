"""The staff dashboard: the targets measured from events (docs/design.md §2).

Most figures are read from audit rows and the insurance core's tables (insights/figures.py). The activation
screens are not audited, so the funnel keeps its own small table, filled through core/funnel.py."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FunnelStep(models.TextChoices):
    IDENTITY = "identity", _("核验身份")
    CONFIRM = "confirm", _("确认参保信息")
    AGREE = "agree", _("同意并设置")
    DONE = "done", _("开通完成")


class FunnelVisit(models.Model):
    """One visitor reached one activation screen (first time counts; coming back does not count twice).
    `visitor` is a keyed hash of a random id kept in her session, never the session key itself."""

    visitor = models.CharField(max_length=64)
    step = models.CharField(max_length=12, choices=FunnelStep.choices)
    # Known once she has proved who she is; earlier screens get it then (insights/funnel.py).
    region_code = models.CharField(max_length=6, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visitor", "step"], name="one_visit_per_step")]
        # The dashboard counts by step within a period, optionally for one region.
        indexes = [models.Index(fields=["step", "at"]), models.Index(fields=["region_code", "step", "at"])]
        verbose_name = _("开通步骤记录")
        verbose_name_plural = _("开通步骤记录")
