from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from insurance.identity import IdNumberField, MobileField, PersonNameField


class IdentityForm(forms.Form):
    # data-keep: kept for the tab if the page is reloaded (static/js/keep-typed.js); the ID number is not.
    name = PersonNameField(label=_("姓名"), widget=forms.TextInput(attrs={"autocomplete": "name", "data-keep": ""}))
    # required=False: no browser pop-up; an empty field gets the plain "请填写" from the shared check.
    id_number = IdNumberField(
        label=_("身份证号"), required=False,
        help_text=_("18位，最后一位可能是X"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}),
    )
    phone = MobileField(
        label=_("在医保局登记的手机号"), required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "data-keep": ""}),
    )
    code = forms.CharField(
        label=_("短信验证码"), max_length=10, required=False, help_text=_("6位数字"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, need_code: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.need_code = need_code

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip()
        if self.need_code and not code:
            raise forms.ValidationError(_("请填写短信里的6位验证码。"))
        return code


class AgreeForm(forms.Form):
    agree = forms.BooleanField(
        label=_("我已了解以上内容，同意开通医保码"),
        error_messages={"required": _("请先勾选“我已了解以上内容，同意开通医保码”，才能开通。")},
    )
    elder_mode = forms.TypedChoiceField(
        label=_("字大一些、按钮大一些（长者模式）"),
        choices=[("1", _("要，用长者模式")), ("0", _("不用，用标准模式"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
