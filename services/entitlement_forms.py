"""Forms of the chronic-disease pages (门诊慢特病): apply, and send a new certificate after a return.
The certificate photo is made safe here (services/uploads.py): the form's cleaned value is a CleanPhoto,
never the file she sent."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from insurance.filings import ChronicCondition
from services.uploads import PhotoRejected, clean_photo

CAMERA = {"accept": "image/*", "capture": "environment"}


class CertificatePhotoField(forms.FileField):
    widget = forms.FileInput(attrs=CAMERA)
    default_error_messages = {
        "required": _("请拍一张医院诊断证明的照片。"),
        "invalid": _("没有收到照片，请重新拍一张。"),
        "missing": _("没有收到照片，请重新拍一张。"),
        "empty": _("没有收到照片，请重新拍一张。"),
        "max_length": _("照片的文件名太长了，请重新拍一张。"),
    }

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        try:
            return clean_photo(upload)
        except PhotoRejected as exc:
            raise forms.ValidationError(exc.message, code="photo") from None


class ApplyEntitlementForm(forms.Form):
    condition = forms.ModelChoiceField(
        label=_("您得的是哪种病"), queryset=ChronicCondition.objects.filter(is_active=True), to_field_name="code",
        widget=forms.RadioSelect, empty_label=None,
        error_messages={"required": _("请点选您得的病。"),
                        "invalid_choice": _("这个病现在不能在网上申请。请点选下面列出的病，或拨打12393问问。")})
    hospital = forms.CharField(
        label=_("开诊断证明的医院"), max_length=100, help_text=_("写医院的名字就行，例如“杭州市第一人民医院”。"),
        error_messages={"required": _("请写上开诊断证明的医院。"),
                        "max_length": _("医院名字太长了，最多100个字。")})
    photo = CertificatePhotoField(label=_("诊断证明的照片"),
                                  help_text=_("点这里会打开相机。把证明放平，拍清楚盖章的地方。"))

    def clean_hospital(self) -> str:
        hospital = " ".join(self.cleaned_data["hospital"].split())
        if not hospital:
            raise forms.ValidationError(_("请写上开诊断证明的医院。"))
        return hospital


class ResubmitEntitlementForm(forms.Form):
    photo = CertificatePhotoField(label=_("新的诊断证明照片"),
                                  help_text=_("点这里会打开相机。照退回的原因重新拍一张。"))
