from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from family.models import Scope
from family.wording import CHOICES_HE_FILLS, CHOICES_SHE_FILLS, SCOPE_CHOICES_SHE_FILLS
from insurance.identity import IdNumberField, InvalidIdentifier, PersonNameField, normalize_mobile

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
    name = PersonNameField(label=_("家人的姓名"), widget=forms.TextInput(attrs={"autocomplete": "off"}))
    id_number = IdNumberField(label=_("家人的身份证号"),
                              widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    # Read from his side: she is his mother, so he picks 父亲或母亲 (stored as what he is to her: family/wording.py).
    relationship = forms.ChoiceField(label=_("她（他）是您的"), choices=CHOICES_HE_FILLS)
    scopes = ScopesField(initial=[Scope.SHOW_CODE, Scope.VIEW_SETTLEMENTS])


class ConsentCodeForm(forms.Form):
    code = forms.CharField(label=_("家人手机收到的验证码"), max_length=10, help_text=_("6位数字，请她念给您听"),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class InviteForm(forms.Form):
    phone = forms.CharField(label=_("家人的手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    relationship = forms.ChoiceField(label=_("他（她）是您的"), choices=CHOICES_SHE_FILLS)
    scopes = ScopesField(initial=[Scope.SHOW_CODE, Scope.VIEW_SETTLEMENTS], choices=SCOPE_CHOICES_SHE_FILLS,
                         label=_("他可以帮您做什么"))

    def clean_phone(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["phone"])
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None


class AnswerForm(forms.Form):
    scopes = ScopesField(required=False, choices=SCOPE_CHOICES_SHE_FILLS)
