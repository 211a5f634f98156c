"""Which region and period the dashboard shows. Bad input gets a plain message under the field, never a 500."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insights.figures import Scope
from insurance.regions import CITIES

PERIODS = [("week", _("本周")), ("month", _("本月")), ("quarter", _("本季度")), ("year", _("本年")),
           ("range", _("自选起止日期"))]
# A longer range than this is refused: the budget in insights/figures.py is stated for a year of data.
MAX_RANGE_DAYS = 3 * 366
_DATE_ERROR = _("请按“年-月-日”填写日期，例如 2026-03-01。")


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first day and the day after the last of this week / month / quarter / year (local dates)."""
    if period == "week":
        start = today - dt.timedelta(days=today.weekday())
        return start, start + dt.timedelta(days=7)
    if period == "month":
        start = today.replace(day=1)
    elif period == "quarter":
        start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    else:
        start = today.replace(month=1, day=1)
    months = {"month": 1, "quarter": 3}.get(period, 12)
    month = start.month - 1 + months
    return start, start.replace(year=start.year + month // 12, month=month % 12 + 1)


class ScopeForm(forms.Form):
    region = forms.ChoiceField(
        label=_("参保地"), required=False, choices=[("", _("全部地区"))] + [(c.code, c.name) for c in CITIES],
        error_messages={"invalid_choice": _("没有这个地区，请从列表里选一个，或选“全部地区”。")})
    period = forms.ChoiceField(
        label=_("时间段"), required=False, choices=PERIODS,
        error_messages={"invalid_choice": _("请从列表里选一个时间段。")})
    date_from = forms.DateField(label=_("从（含）"), required=False, error_messages={"invalid": _DATE_ERROR},
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("到（含）"), required=False, error_messages={"invalid": _DATE_ERROR},
                              widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        cleaned = super().clean()
        period = cleaned.get("period") or "month"
        cleaned["period"] = period
        if period == "range" and not self.errors:
            first, last = cleaned.get("date_from"), cleaned.get("date_to")
            if first is None:
                self.add_error("date_from", _("请填开始日期。"))
            if last is None:
                self.add_error("date_to", _("请填结束日期。"))
            if first and last and first > last:
                self.add_error("date_to", _("结束日期不能早于开始日期。"))
            elif first and last and (last - first).days > MAX_RANGE_DAYS:
                self.add_error("date_to", _("一次最多看三年，请缩短时间段。"))
        return cleaned

    def scope(self) -> Scope:
        """Only after is_valid()."""
        data = self.cleaned_data
        if data["period"] == "range":
            first, after = data["date_from"], data["date_to"] + dt.timedelta(days=1)
        else:
            first, after = period_bounds(data["period"], timezone.localdate())
        return Scope(start=_midnight(first), end=_midnight(after), region=data.get("region") or "")

    def cleaned_query(self) -> dict[str, str]:
        """The same choice as query parameters, for the CSV link."""
        data = self.cleaned_data
        query = {"period": data["period"], "region": data.get("region") or ""}
        if data["period"] == "range":
            query.update(date_from=data["date_from"].isoformat(), date_to=data["date_to"].isoformat())
        return query
