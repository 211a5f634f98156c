from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from insurance.identity import InvalidIdentifier, normalize_mobile


class PhoneField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            return normalize_mobile(value)
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None


class CodeSignInForm(forms.Form):
    phone = PhoneField(label=_("手机号"), max_length=20, required=False,
                       widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "data-keep": ""}))
    code = forms.CharField(label=_("短信验证码"), max_length=10, required=False, help_text=_("6位数字"),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class WorkerPasswordForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "tel"}))
    password = forms.CharField(label=_("密码"), max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TotpForm(forms.Form):
    token = forms.CharField(label=_("动态口令"), max_length=8, help_text=_("身份验证器里的6位数字"),
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
