"""Practice mode's forms: every refusal a plain sentence under the field (never a 500)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.practice import is_practice_code, practice_token
from learn.actions import MAX_QUANTITY, PRETEND_ITEMS
from learn.models import PracticeSession

QUANTITY_ERRORS = {
    "invalid": _("数量请填0到9的数字。"),
    "min_value": _("数量请填0到9的数字。"),
    "max_value": _("数量请填0到9的数字。"),
}


class JoinClassForm(forms.Form):
    class_code = forms.CharField(
        label=_("课堂号（6位数字）"), max_length=20, strip=True,
        error_messages={"required": _("请填老师给的6位课堂号。"), "max_length": _("课堂号是6位数字。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def clean_class_code(self) -> str:
        code = self.cleaned_data["class_code"].replace(" ", "")
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("课堂号是6位数字，请再看一眼老师给的号码。"))
        return code


class PracticeBillForm(forms.Form):
    """The practice counter's bill: which phone (a class) or her practice code typed/scanned, and how many of
    each pretend item."""

    code = forms.CharField(label=_("练习码（扫码或输入，可以不填）"), required=False, max_length=200, strip=True,
                           error_messages={"max_length": _("这不是练习码，请扫练习页面上的二维码。")})

    def __init__(self, *args, seats: list[PracticeSession], room: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seats = seats
        if room:
            self.fields["seat"] = forms.ChoiceField(
                label=_("给哪部手机结算"), required=False, widget=forms.RadioSelect,
                choices=[(str(seat.public_id), seat.seat_label) for seat in seats],
                error_messages={"invalid_choice": _("这部手机不在这个课堂里，请重新选。")})
        for item in PRETEND_ITEMS:
            self.fields[f"qty_{item.key}"] = forms.IntegerField(
                label=_("%(name)s（%(price)s元）") % {"name": item.name, "price": item.unit_price},
                required=False, min_value=0, max_value=MAX_QUANTITY, error_messages=QUANTITY_ERRORS,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": MAX_QUANTITY}))

    def item_fields(self):
        return [self[f"qty_{item.key}"] for item in PRETEND_ITEMS]

    def quantities(self) -> dict[str, int]:
        return {item.key: self.cleaned_data.get(f"qty_{item.key}") or 0 for item in PRETEND_ITEMS}

    def clean(self) -> dict:
        data = super().clean()
        code = data.get("code") or ""
        if code and not self.seats:
            raise forms.ValidationError(_("还没有手机加入这个课堂。请大家在手机上输入课堂号。"))
        if code:
            if not is_practice_code(code):
                raise forms.ValidationError(_("这不是练习码。练习收费台只认练习页面上的二维码，真的医保码不能在这里用。"))
            token = practice_token(code)
            data["target"] = next((seat for seat in self.seats if seat.code_token == token), None)
            if data["target"] is None:
                raise forms.ValidationError(_("这个练习码不是这个练习收费台的，请让她加入这个课堂。"))
        elif "seat" in self.fields:
            chosen = data.get("seat")
            data["target"] = next((seat for seat in self.seats if str(seat.public_id) == chosen), None)
            if data["target"] is None and "seat" not in self.errors:
                if not self.seats:
                    raise forms.ValidationError(_("还没有手机加入这个课堂。请大家在手机上输入课堂号。"))
                self.add_error("seat", _("请选一部手机，或者扫她的练习码。"))
        else:
            data["target"] = self.seats[0] if self.seats else None
        return data
