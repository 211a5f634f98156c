from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache


@never_cache
@login_required
def enrollment(request: HttpRequest) -> HttpResponse:
    """参保信息和缴费记录: only the signed-in person's own."""
    person = request.user.person
    if person is None:
        return redirect("vouchers:activate")
    page = Paginator(person.contributions.all(), 12).get_page(request.GET.get("page"))
    return render(request, "insurance/enrollment.html", {"person": person, "page": page})
