from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assist.models import Task
from family.forms import ScopesField
from family.models import Relationship
from insurance.identity import IdNumberField, InvalidIdentifier, PersonNameField, normalize_mobile


class KioskForm(forms.Form):
    name = forms.CharField(label=_("终端名称"), max_length=60, help_text=_("比如：翠苑社区1号机"))
    location = forms.CharField(label=_("放在哪里"), max_length=120)


class FindCitizenForm(forms.Form):
    name = PersonNameField(label=_("市民姓名"), optional=True, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    id_number = IdNumberField(label=_("市民身份证号"), required=False, optional=True,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    code = forms.CharField(label=_("或者扫她的医保码"), max_length=400, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    tasks = forms.MultipleChoiceField(label=_("今天要办的事"), choices=Task.choices, widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": _("请至少选一件要办的事。")})


class CodeForm(forms.Form):
    code = forms.CharField(label=_("市民手机收到的验证码"), max_length=10, help_text=_("6位数字，请她念给您"),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class WitnessForm(forms.Form):
    reason = forms.CharField(label=_("为什么不能用她的手机或家人同意"), max_length=200,
                             widget=forms.Textarea(attrs={"rows": 3}))


class BindFamilyForm(forms.Form):
    phone = forms.CharField(label=_("家人的手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}))
    relationship = forms.ChoiceField(label=_("家人是她的"), choices=Relationship.choices)
    scopes = ScopesField()

    def clean_phone(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["phone"])
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None
