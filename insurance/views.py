from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from audit.actions import record_proxy_use
from audit.kinds import Kind
from core.acting_for import requires_scope
from core.client_address import client_ip


@never_cache
@login_required
@requires_scope("view_records")
def enrollment(request: HttpRequest) -> HttpResponse:
    """参保信息和缴费记录: her own, or hers for a proxy whose grant includes view_records."""
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    if request.acting_grant is not None:
        record_proxy_use(Kind.RECORDS_VIEWED, actor=request.user, subject=person,
                         grant_id=request.acting_grant.pk, ip=client_ip(request))
    page = Paginator(person.contributions.all(), 12).get_page(request.GET.get("page"))
    return render(request, "insurance/enrollment.html", {"person": person, "page": page})
