from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from core.notice_texts import ACTIONS, SERVICES, SETTLEMENT
from notices.models import NoticeChannel

CATEGORY_LABELS = {SETTLEMENT: _("看病结算的结果（成功花了多少钱，没成功怎么办）"),
                   SERVICES: _("办事进度（备案、慢特病、报销）"),
                   ACTIONS: _("家人和帮办员替我办的事")}
HOURS = [("", _("不设"))] + [(str(h), _("%(h)d点") % {"h": h}) for h in range(24)]


class PreferenceForm(forms.Form):
    """The categories offered are those some app sends through notices (core/notice_texts.py)."""

    categories = forms.MultipleChoiceField(label=_("告诉我这些事"), required=False, widget=forms.CheckboxSelectMultiple,
                                           error_messages={"invalid_choice": _("请从列出的几项里选。")})
    channel = forms.ChoiceField(label=_("怎么告诉我"), widget=forms.RadioSelect,
                                choices=[(NoticeChannel.SMS, _("发短信")),
                                         (NoticeChannel.VOICE, _("打电话念给我听（不方便看字的选这个）"))],
                                error_messages={"required": _("请选发短信还是打电话。"),
                                                "invalid_choice": _("请选发短信还是打电话。")})
    quiet_from = forms.ChoiceField(label=_("晚上几点以后别打扰"), choices=HOURS, required=False,
                                   help_text=_("结算没成功的提醒照样马上告诉您。"),
                                   error_messages={"invalid_choice": _("请选一个钟点。")})
    quiet_until = forms.ChoiceField(label=_("早上几点以后可以"), choices=HOURS, required=False,
                                    error_messages={"invalid_choice": _("请选一个钟点。")})

    def __init__(self, *args, offered: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(c, CATEGORY_LABELS[c]) for c in offered]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("quiet_from"), data.get("quiet_until")
        if "quiet_from" in data and "quiet_until" in data:
            if bool(start) != bool(end):
                self.add_error("quiet_until" if start else "quiet_from",
                               _("免打扰要选开始和结束两个钟点；不想设就两个都选“不设”。"))
            elif start and start == end:
                self.add_error("quiet_until", _("开始和结束不能是同一个钟点。"))
        return data

    def quiet_hours(self) -> tuple[dt.time | None, dt.time | None]:
        start, end = self.cleaned_data.get("quiet_from"), self.cleaned_data.get("quiet_until")
        if not start or not end:
            return None, None
        return dt.time(int(start)), dt.time(int(end))
