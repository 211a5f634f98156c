"""Forms of the filing pages. They only read what was typed; the rules (dates, destination, overlap,
materials) are the actions' (services/actions.py), whose ServiceError is shown under the field it names."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from insurance.filings import FilingRequirement, FilingRule
from services.selectors import accepts_promise, city_choices, promise_only
from services.uploads import CleanPhoto, PhotoRejected, clean_photo

DATE_ERRORS = {"invalid": _("日期不对，请按“2026-12-03”这样填，或点日历选。")}


# A browser's date picker reads and writes only YYYY-MM-DD, whatever the page's language: with the locale's
# format (2026/12/04 in Chinese) a prefilled date would show empty and come back missing.
ISO_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FilingForm(forms.Form):
    """Screen 1 (and, as hidden fields, screen 2): type, destination, dates."""

    filing_type = forms.ChoiceField(label=_("您属于哪一种？"), widget=forms.RadioSelect,
                                    error_messages={"required": _("请选一种备案类型。"),
                                                    "invalid_choice": _("请选一种备案类型。")})
    region_code = forms.ChoiceField(label=_("要去哪个城市看病？"),
                                    error_messages={"required": _("请选要去的城市。"),
                                                    "invalid_choice": _("请从列表里选要去的城市。")})
    valid_from = forms.DateField(label=_("从哪天开始"), widget=ISO_DATE,
                                 error_messages={**DATE_ERRORS, "required": _("请填开始日期。")})
    valid_until = forms.DateField(label=_("到哪天结束"), required=False,
                                  help_text=_("临时外出、转诊要填；长期住在外地可以不填"),
                                  widget=ISO_DATE, error_messages=DATE_ERRORS)
    hospital = forms.CharField(label=_("去哪家医院（转诊才要填）"), required=False, max_length=100,
                               error_messages={"max_length": _("医院名字最多100个字。")})

    def __init__(self, *args, hidden: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rules = list(FilingRule.objects.all())
        self.fields["filing_type"].choices = [(r.filing_type, r.get_filing_type_display()) for r in self.rules]
        self.fields["region_code"].choices = [("", _("请选择")), *city_choices()]
        if hidden:
            for field in self.fields.values():
                field.widget = forms.HiddenInput()

    def values(self) -> dict:
        data = self.cleaned_data
        return {"filing_type": data["filing_type"], "region_code": data["region_code"],
                "valid_from": data["valid_from"], "valid_until": data.get("valid_until"),
                "hospital": data.get("hospital") or ""}


class MaterialsForm(forms.Form):
    """Screen 2: one camera input per material that takes a photo, and the promise box."""

    promised = forms.BooleanField(label=_("我承诺：以上信息真实，如有不实，愿意退回医保报销的钱。"), required=False)

    def __init__(self, *args, requirements: list[FilingRequirement], on_file: set[str] = frozenset(),
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.requirements = requirements
        self.photo_fields: list[tuple[str, FilingRequirement]] = []
        for requirement in requirements:
            if promise_only(requirement):
                continue
            name = f"photo_{requirement.pk}"
            label = requirement.name if requirement.required else _("%(name)s（可以不传）") % {"name": requirement.name}
            if requirement.name in on_file:
                label = _("%(name)s（已经传过，要换才拍）") % {"name": requirement.name}
            self.fields[name] = forms.FileField(
                label=label, required=False, help_text=requirement.help_text,
                widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))
            self.photo_fields.append((name, requirement))
        self.show_promise = any(accepts_promise(r) for r in requirements)

    @property
    def photo_inputs(self) -> list[forms.BoundField]:
        return [self[name] for name, _requirement in self.photo_fields]

    @property
    def promise_only_materials(self) -> list[FilingRequirement]:
        return [r for r in self.requirements if promise_only(r)]

    def clean(self) -> dict:
        data = super().clean()
        self.photos: list[tuple[str, CleanPhoto]] = []
        for name, requirement in self.photo_fields:
            upload: UploadedFile | None = data.get(name)
            if not upload:
                continue
            try:
                self.photos.append((requirement.name, clean_photo(upload)))
            except PhotoRejected as exc:
                self.add_error(name, exc.message)
        return data
