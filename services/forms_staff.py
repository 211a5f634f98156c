"""The staff decision on a filing or an entitlement: approve, return with a reason, refuse with a reason.
The reason is what she reads (on her page and in the SMS), so it is required for a return or a refusal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

APPROVE, RETURN, REFUSE = "approve", "return", "refuse"


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(APPROVE, _("通过")), (RETURN, _("退回补充")), (REFUSE, _("不通过"))],
        error_messages={"required": _("请点“通过”“退回补充”或“不通过”。"),
                        "invalid_choice": _("请点“通过”“退回补充”或“不通过”。")})
    reason = forms.CharField(
        label=_("原因（退回或不通过时必填）"), required=False, max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 200}),
        help_text=_("写她能看懂的话，她会在页面和短信里看到，例如“诊断证明没有盖章，请补拍盖章的那一页”。"),
        error_messages={"max_length": _("原因最多200个字。")})

    def clean(self) -> dict:
        cleaned = super().clean()
        reason = " ".join((cleaned.get("reason") or "").split())
        cleaned["reason"] = reason
        if not reason and cleaned.get("decision") == RETURN:
            self.add_error("reason", _("请写上退回的原因，她要照着补充。"))
        elif not reason and cleaned.get("decision") == REFUSE:
            self.add_error("reason", _("请写上不通过的原因，她会看到。"))
        return cleaned
