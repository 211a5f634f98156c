"""个税扣除查询: the figures of a tax year (services/tax.py), the printable signed statement, and the public page
its QR opens. Hers, or hers for a proxy with view_records (docs/design.md §7); a proxy's look and every print
are in her account record."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from audit.actions import record_proxy_use
from audit.kinds import Kind
from core.acting_for import requires_scope
from core.client_address import client_ip
from core.qr import qr_png_data_uri
from insurance.filings import Via
from services.actions import issue_tax_statement
from services.tax import CAP, THRESHOLD, read_statement, tax_year, years_offered


def acting(request: HttpRequest) -> dict:
    """Who is doing it, for the actions: herself, or a proxy with the grant he uses."""
    grant = getattr(request, "acting_grant", None)
    if grant is not None:
        return {"actor": request.user, "via": Via.PROXY, "grant_id": grant.pk, "ip": client_ip(request)}
    return {"actor": request.user, "via": Via.SELF, "ip": client_ip(request)}


FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _chosen_year(text: str | None, years: list[int]) -> tuple[int, str]:
    """The year asked for, or last year (the one she files for in spring) with a plain message if the ask is
    not one of the years offered."""
    default = years[1]
    if not text:
        return default, ""
    text = text.strip().translate(FULL_WIDTH_DIGITS)
    if not (len(text) == 4 and text.isascii() and text.isdigit()):  # int() would take "٢٠٢٥" and " 2_025"
        return default, _("请从下面的年份里选一年。")
    year = int(text)
    if year not in years:
        return default, _("只能查%(first)d年到%(last)d年，请从下面选。") % {"first": years[-1], "last": years[0]}
    return year, ""


@never_cache
@require_safe
@login_required
@requires_scope("view_records")
def tax_statement(request: HttpRequest) -> HttpResponse:
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    years = years_offered()
    year, error = _chosen_year(request.GET.get("year"), years)
    grant = request.acting_grant
    if grant is not None:
        record_proxy_use(Kind.RECORDS_VIEWED, actor=request.user, subject=person, grant_id=grant.pk,
                         ip=client_ip(request), detail={"tax_year": year})
    return render(request, "services/tax_statement.html", {
        "person": person, "years": years, "year": year, "error": error, "t": tax_year(person, year),
        "threshold": THRESHOLD, "cap": CAP, "this_year": years[0]})


@never_cache
@require_safe
@login_required
@requires_scope("view_records")
def tax_print(request: HttpRequest, year: int) -> HttpResponse:
    """The one-page statement to print: every opening issues a new, signed statement (audited)."""
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    if year not in years_offered():
        raise Http404
    figures = tax_year(person, year)
    statement = issue_tax_statement(person=person, figures=figures, **acting(request))
    # Signed once: each signing stamps the time, so the QR and the printed link must come from one token.
    verify_url = statement.verify_url
    return render(request, "services/tax_print.html", {
        "person": person, "t": figures, "s": statement, "threshold": THRESHOLD, "cap": CAP,
        "qr": qr_png_data_uri(verify_url, scale=4), "verify_url": verify_url,
        "partial_year": year == timezone.localdate().year})


@never_cache
@require_safe
def tax_verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public, no sign-in: whoever scans the QR (her employer, the tax office) sees whether we signed these
    figures. Nothing is looked up; the token carries only masked identifiers."""
    statement = read_statement(token)
    return render(request, "services/tax_verify.html", {"s": statement}, status=200 if statement else 404)
