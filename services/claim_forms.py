"""Forms of the claim pages (手工报销). They only read what was typed; the rules (the window, the invoice
total, where the money may go, the photos) are the actions' (services/actions.py), whose ServiceError is
shown under the field it names."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from insurance.models import Institution, InstitutionLevel, InsuredPerson
from insurance.policy import ItemCategory, VisitType
from services.claims import ITEM_ROWS, ClaimBill, destination_choices, institution_choices, may_use_account
from services.forms import DATE_ERRORS, ISO_DATE
from services.selectors import city_choices
from services.uploads import CleanPhoto, PhotoRejected, clean_photo

MONEY_ERRORS = {"invalid": _("请填数字，例如“128.50”。"), "max_digits": _("金额太大了，请再看一遍。"),
                "max_decimal_places": _("金额最多到分，例如“128.50”。"),
                "max_whole_digits": _("金额太大了，请再看一遍。"), "min_value": _("金额要大于0。")}
# The categories in plain words: she reads 甲/乙/丙 on the itemised list from the hospital.
CATEGORY_CHOICES = [("", _("请选择")), (ItemCategory.A, _("甲类：医保全部能报的")),
                    (ItemCategory.B, _("乙类：医保报一部分，自己先付一点")),
                    (ItemCategory.C, _("丙类：医保不报的（自费）"))]


def _money(label, required: bool = False, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, max_digits=10, decimal_places=2,
                              min_value=Decimal("0.01"), error_messages=MONEY_ERRORS,
                              widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                              **kwargs)


class ClaimBillForm(forms.Form):
    """Screen 1: the bill. From her settlement only the invoice total is asked (the rest is shown read-only);
    from nothing: the hospital (from the list, or typed with its level and city), the day, the visit type and
    up to five items. As hidden fields, it carries screen 1 to screen 2."""

    invoice_total = _money(_("发票上的总金额（元）"), required=True,
                           help_text=_("照纸质发票上“合计”那一栏填，要和下面的明细加起来一样"))

    def __init__(self, *args, from_settlement: bool = False, hidden: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoice_total"].error_messages["required"] = _("请填发票上的总金额。")
        self.from_settlement = from_settlement
        if not from_settlement:
            self.fields["institution"] = forms.ChoiceField(
                label=_("在哪家医院或药店看的"), required=False,
                choices=[("", _("列表里没有，我自己写")), *institution_choices()])
            self.fields["institution_name"] = forms.CharField(
                label=_("列表里没有的，写上医院或药店的名字"), required=False, max_length=100,
                error_messages={"max_length": _("名字最多100个字。")})
            self.fields["institution_level"] = forms.ChoiceField(
                label=_("这家医院是几级的"), required=False,
                choices=[("", _("请选择")), *InstitutionLevel.choices])
            self.fields["region_code"] = forms.ChoiceField(label=_("在哪个城市"), required=False,
                                                           choices=[("", _("请选择")), *city_choices()])
            self.fields["visit_date"] = forms.DateField(label=_("看病日期（发票上的日期）"), widget=ISO_DATE,
                                                        error_messages={**DATE_ERRORS, "required": _("请填看病的日期。")})
            self.fields["visit_type"] = forms.ChoiceField(
                label=_("看的是什么"), widget=forms.RadioSelect, choices=VisitType.choices,
                error_messages={"required": _("请选看的是门诊、住院还是药店买药。"),
                                "invalid_choice": _("请选看的是门诊、住院还是药店买药。")})
            for n in range(ITEM_ROWS):
                self.fields[f"item_{n}_name"] = forms.CharField(
                    label=_("第%(n)d项：是什么（药名或检查）") % {"n": n + 1}, required=False, max_length=100,
                    error_messages={"max_length": _("最多100个字。")})
                self.fields[f"item_{n}_category"] = forms.ChoiceField(
                    label=_("第%(n)d项：医保类别") % {"n": n + 1}, required=False, choices=CATEGORY_CHOICES,
                    error_messages={"invalid_choice": _("请从列表里选甲类、乙类或丙类。")})
                self.fields[f"item_{n}_amount"] = _money(_("第%(n)d项：多少钱（元）") % {"n": n + 1})
        if hidden:
            for field in self.fields.values():
                field.widget = forms.HiddenInput()

    @property
    def item_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        if self.from_settlement:
            return []
        return [(self[f"item_{n}_name"], self[f"item_{n}_category"], self[f"item_{n}_amount"])
                for n in range(ITEM_ROWS)]

    @property
    def place_fields(self) -> list[forms.BoundField]:
        if self.from_settlement:
            return []
        return [self[name] for name in ("institution", "institution_name", "institution_level", "region_code",
                                        "visit_date", "visit_type")]

    def clean(self) -> dict:
        data = super().clean()
        self.items: list[dict] = []
        if self.from_settlement:
            return data
        for n in range(ITEM_ROWS):
            name = " ".join((data.get(f"item_{n}_name") or "").split())
            category, amount = data.get(f"item_{n}_category") or "", data.get(f"item_{n}_amount")
            if f"item_{n}_amount" in self.errors:
                continue
            if not name and not category and amount is None:
                continue
            if not name:
                self.add_error(f"item_{n}_name", _("请写上第%(n)d项是什么（照明细清单抄）。") % {"n": n + 1})
            elif not category:
                self.add_error(f"item_{n}_category", _("请选第%(n)d项的医保类别（明细清单上写着甲、乙或丙）。") % {"n": n + 1})
            elif amount is None:
                self.add_error(f"item_{n}_amount", _("请填第%(n)d项多少钱。") % {"n": n + 1})
            else:
                self.items.append({"code": "", "name": name, "category": category, "quantity": "1",
                                   "unit_price": str(amount)})
        return data

    def bill(self, settlement_bill: ClaimBill | None = None) -> ClaimBill:
        """The bill as typed (or the settlement's, when from one)."""
        if settlement_bill is not None:
            return settlement_bill
        data = self.cleaned_data
        institution = None
        if data.get("institution"):
            institution = Institution.objects.filter(public_id=data["institution"], is_active=True).first()
        if institution is not None:
            return ClaimBill(institution_name=institution.name, institution_level=institution.level,
                             region_code=institution.region_code, visit_date=data.get("visit_date"),
                             visit_type=data.get("visit_type") or "", items=self.items, institution=institution)
        return ClaimBill(institution_name=data.get("institution_name") or "",
                         institution_level=data.get("institution_level") or "",
                         region_code=data.get("region_code") or "", visit_date=data.get("visit_date"),
                         visit_type=data.get("visit_type") or "", items=self.items)


class ClaimPhotosForm(forms.Form):
    """Screen 2: the invoice and the payment slip (camera inputs), and where the money goes."""

    invoice_photo = forms.FileField(
        label=_("发票的照片"), required=False, help_text=_("把发票平放，整张拍进去，字要看得清"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))
    slip_photo = forms.FileField(
        label=_("付款凭证的照片"), required=False, help_text=_("收费小票，或手机上的付款记录截图"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))
    destination = forms.ChoiceField(label=_("报销的钱打到哪里"), widget=forms.RadioSelect,
                                    error_messages={"required": _("请选钱打到哪里。"),
                                                    "invalid_choice": _("请选钱打到哪里。")})

    def __init__(self, *args, person: InsuredPerson, on_file: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination"].choices = destination_choices(person)
        if not may_use_account(person):
            self.fields["destination"].error_messages["invalid_choice"] = _("居民医保没有个人账户，钱只能打到银行卡。")
        if on_file:  # a returned claim: the photos she sent are kept unless she takes new ones
            self.fields["invoice_photo"].label = _("发票的照片（已经传过，要换才拍）")
            self.fields["slip_photo"].label = _("付款凭证的照片（已经传过，要换才拍）")

    def clean(self) -> dict:
        data = super().clean()
        self.photos: dict[str, CleanPhoto | None] = {"invoice_photo": None, "slip_photo": None}
        for name in self.photos:
            upload: UploadedFile | None = data.get(name)
            if not upload:
                continue
            try:
                self.photos[name] = clean_photo(upload)
            except PhotoRejected as exc:
                self.add_error(name, exc.message)
        return data
