"""Her data to take away (services/export.py): the page that says what is in it, the JSON download (streamed),
and a printable page. Hers, or hers for a proxy with view_records; every download and print is audited before
the first byte and a proxy's is told to her by SMS."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from audit.descriptions import describe
from audit.selectors import events_about
from core.acting_for import requires_scope
from core.export_sections import export_section
from services.actions import note_data_export
from services.export import astream, stream
from services.models import Claim
from services.tax_views import acting
from settlement.models import Settlement

PRINT_ROWS = 200  # a page of 5,000 rows does not print: the latest 200 of each list, the file has all


def _downloaded_by(request: HttpRequest) -> dict:
    if getattr(request, "acting_grant", None) is not None:
        return {"via": "proxy", "name": request.user.masked_name}
    return {"via": "self", "name": ""}


@never_cache
@require_safe
@login_required
@requires_scope("view_records")
def my_data(request: HttpRequest) -> HttpResponse:
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    return render(request, "services/my_data.html", {
        "person": person, "proxy": getattr(request, "acting_grant", None) is not None,
        "settlement_count": Settlement.objects.filter(person=person).count()})


@never_cache
@require_GET  # not HEAD: each download is audited (and told to her), a bodiless probe should not be
@login_required
@requires_scope("view_records")
def export_json(request: HttpRequest) -> HttpResponse:
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    note_data_export(person=person, kind="json", **acting(request))
    chunks = stream(person, full_identifiers=getattr(request, "acting_grant", None) is None,
                    downloaded_by=_downloaded_by(request), language=translation.get_language() or "zh-hans")
    # Under ASGI a sync iterator would be gathered into one list before sending: hand it over one chunk at a time.
    content = astream(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="application/json; charset=utf-8")
    name = f"yibaotong-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_GET  # as the download: every opening is audited
@login_required
@requires_scope("view_records")
def my_data_print(request: HttpRequest) -> HttpResponse:
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    note_data_export(person=person, kind="print", **acting(request))
    settlements = Settlement.objects.filter(person=person).select_related("institution")
    events = events_about(person)
    proxies = export_section("proxies")  # filled by family at start-up (core/export_sections.py)
    response = render(request, "services/my_data_print.html", {
        "person": person, "proxy": getattr(request, "acting_grant", None) is not None,
        "settlements": settlements[:PRINT_ROWS], "settlement_count": settlements.count(),
        "contributions": person.contributions.order_by("-paid_on")[:PRINT_ROWS],
        "filings": person.filings.order_by("-submitted_at")[:PRINT_ROWS],
        "entitlements": person.entitlements.select_related("condition").order_by("-submitted_at")[:PRINT_ROWS],
        "claims": Claim.objects.filter(person=person)[:PRINT_ROWS],
        "events": [{"at": e.created_at, "what": describe(e.action), "who": e.actor_label or e.get_via_display(),
                    "via": e.get_via_display()} for e in events[:PRINT_ROWS]],
        "proxies": list(proxies(person)) if proxies is not None else [],
        "event_count": events.count(), "limit": PRINT_ROWS, "now": timezone.localtime()})
    response["Cache-Control"] = "private, no-store"
    return response
