from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.audio import MAX_BYTES
from feedback.models import ComplaintKind, Rating

SCORES = [("", _("不选")), *[(str(n), str(n)) for n in range(1, 6)]]


class SurveyDetailsForm(forms.Form):
    """The optional short form: 1 (很差) to 5 (很好), each may be left out."""

    convenience = forms.TypedChoiceField(label=_("办起来方便吗（便捷）"), choices=SCORES, coerce=int, empty_value=None,
                                         required=False)
    negative = forms.TypedChoiceField(label=_("有没有遇到不顺心的事（5分表示一点没有）"), choices=SCORES, coerce=int,
                                      empty_value=None, required=False)
    service = forms.TypedChoiceField(label=_("工作人员的服务（服务）"), choices=SCORES, coerce=int, empty_value=None,
                                     required=False)
    publicity = forms.TypedChoiceField(label=_("政策讲得清楚吗（宣传）"), choices=SCORES, coerce=int, empty_value=None,
                                       required=False)
    standard = forms.TypedChoiceField(label=_("办事规范吗（规范）"), choices=SCORES, coerce=int, empty_value=None,
                                      required=False)
    recommend = forms.TypedChoiceField(label=_("愿意推荐给别人吗"), choices=SCORES, coerce=int, empty_value=None,
                                       required=False)


class ComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=_("您要"), choices=ComplaintKind.choices, initial=ComplaintKind.COMPLAINT,
                             widget=forms.RadioSelect)
    text = forms.CharField(label=_("发生了什么（也可以不写，只录音）"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"max_length": _("最多写2000个字，请简短一些。")})
    recording = forms.FileField(label=_("或者上传一段录音"), required=False,
                                widget=forms.ClearableFileInput(attrs={"accept": "audio/*", "capture": "user"}),
                                error_messages={"invalid": _("这不是录音文件，请重新录一次。")})
    settlement = forms.ChoiceField(label=_("和哪一笔看病买药有关（可以不选）"), required=False, choices=[])

    def __init__(self, *args, settlements=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["settlement"].choices = [("", _("都不是 / 不知道")), *[
            (str(s.public_id), f"{s.created_at:%Y-%m-%d} · {s.institution.name} · {s.total}") for s in settlements]]

    def clean_recording(self):
        recording = self.cleaned_data.get("recording")
        if recording and recording.size > MAX_BYTES:
            raise forms.ValidationError(_("录音太大了（最多2MB），请录短一点，或者用文字写下来。"))
        return recording


class RatingForm(forms.Form):
    rating = forms.ChoiceField(choices=Rating.choices, error_messages={
        "required": _("请点“满意”“一般”或“不满意”中的一个。"),
        "invalid_choice": _("请点“满意”“一般”或“不满意”中的一个。")})


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("答复她"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}),
                           error_messages={"required": _("请写答复内容。"),
                                           "max_length": _("最多写2000个字，请简短一些。")})
