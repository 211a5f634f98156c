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
    if not request.may("view_records"):
        return render(request, "vouchers/not_allowed.html", status=403)
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    if request.acting_grant is not None:
        from audit.actions import client_ip, record_event
        from audit.models import Via

        record_event(action="records.viewed", via=Via.PROXY, actor=request.user, subject=person,
                     ip=client_ip(request), detail={"grant_id": request.acting_grant.pk})
    page = Paginator(person.contributions.all(), 12).get_page(request.GET.get("page"))
    return render(request, "insurance/enrollment.html", {"person": person, "page": page})
