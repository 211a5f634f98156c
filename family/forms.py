from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from family.models import Relationship, Scope
from insurance.identity import IdNumberField, InvalidIdentifier, normalize_mobile

SCOPE_CHOICES = [(s.value, s.label) for s in Scope]


class ScopesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("choices", SCOPE_CHOICES)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        kwargs.setdefault("label", _("可以帮她做什么"))
        kwargs.setdefault("error_messages", {"required": _("请至少选一项。"),
                                             "invalid_choice": _("请从列表里选。")})
        super().__init__(**kwargs)


class RequestGrantForm(forms.Form):
    name = forms.CharField(label=_("家人的姓名"), max_length=40)
    id_number = IdNumberField(label=_("家人的身份证号"),
                              widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    relationship = forms.ChoiceField(label=_("她是您的"), choices=Relationship.choices,
                                     help_text=_("比如您是她的儿子，这里选“子女”指的是您是她的子女。"))
    scopes = ScopesField(initial=[Scope.SHOW_CODE, Scope.VIEW_SETTLEMENTS])


class ConsentCodeForm(forms.Form):
    code = forms.CharField(label=_("家人手机收到的验证码"), max_length=10, help_text=_("6位数字，请她念给您听"),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class InviteForm(forms.Form):
    phone = forms.CharField(label=_("家人的手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    relationship = forms.ChoiceField(label=_("他是您的"), choices=Relationship.choices)
    scopes = ScopesField(initial=[Scope.SHOW_CODE, Scope.VIEW_SETTLEMENTS])

    def clean_phone(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["phone"])
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None


class AnswerForm(forms.Form):
    scopes = ScopesField(required=False)
