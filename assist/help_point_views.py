"""The public help-point directory (/assist/help-points/): no sign-in, works without JavaScript; with it,
static/js/help-points.js adds "用我的位置找最近的" (the browser's own geolocation, sent as GET lat/lng)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from assist.help_points import district_choices, fallback_point, parse_place, search
from assist.models import HelpLanguage, HelpPoint, HelpService

PER_PAGE = 8


class DirectoryForm(forms.Form):
    district = forms.ChoiceField(label=_("在哪个地区"), required=False)
    service = forms.ChoiceField(label=_("要办什么事"), required=False,
                                choices=[("", _("什么事都行")), *HelpService.choices])
    language = forms.ChoiceField(label=_("说什么话"), required=False,
                                 choices=[("", _("说什么话都行")), *HelpLanguage.choices])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("所有地区")), *district_choices()]


def help_points(request: HttpRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None)
    values = form.cleaned_data if form.is_bound and form.is_valid() else {}
    asked_near = request.GET.get("near") == "1"
    place = parse_place(request.GET.get("lat"), request.GET.get("lng")) if asked_near else None
    location_problem = ""
    if asked_near and place is None:
        # Refused, not supported, or coordinates that make no sense: the district search still works.
        location_problem = (_("没有拿到您的位置（可能没有允许浏览器用位置）。没关系，请在上面选您住的地区找。")
                            if request.GET.get("denied") == "1" or not request.GET.get("lat")
                            else _("位置不对，没法算远近。请在上面选您住的地区找。"))
    points = search(district=values.get("district", ""), service=values.get("service", ""),
                    language=values.get("language", ""), near=place)
    page = Paginator(points, PER_PAGE).get_page(request.GET.get("page"))
    keep = {k: v for k, v in request.GET.items() if k in ("district", "service", "language", "near", "lat", "lng")
            and v and (place is not None or k not in ("near", "lat", "lng"))}
    return render(request, "assist/help_points.html", {
        "form": form, "page": page, "place": place, "location_problem": location_problem,
        "page_query": urlencode(keep), "fallback": fallback_point(values.get("district", "")),
    })


def help_point(request: HttpRequest, point_id) -> HttpResponse:
    point = HelpPoint.objects.filter(public_id=point_id, is_active=True).first()
    if point is None:
        raise Http404
    return render(request, "assist/help_point.html", {"point": point})
