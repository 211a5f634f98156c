"""The staff review queue for service requests (filings that need a review, chronic-disease applications):
one list ordered by the promised time limit, a detail page per request with every field and its photos, and
one decision (approve / return with a reason / refuse with a reason) through the actions. Staff only,
password + TOTP (accounts.staff.staff_required)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.staff import staff_required
from core.client_address import client_ip
from insurance.filings import Entitlement, Filing, ReviewStatus, Via
from insurance.models import InstitutionLevel
from insurance.policy import VisitType
from insurance.regions import region_name
from insurance.workdays import working_days_between
from services import actions
from services.chronic import terms_sentence
from services.claims import bill_items
from services.forms_staff import DecisionForm
from services.models import Claim, ClaimStatus
from services.selectors import requirements_for

KINDS = {"filing": gettext_lazy("异地就医备案"), "entitlement": gettext_lazy("门诊慢特病"),
         "claim": gettext_lazy("手工报销")}


@dataclass(frozen=True)
class Clock:
    """How long is left of the promised time limit, in words (never colour alone)."""

    text: str
    overdue: bool


def clock(due_by, now=None) -> Clock:
    if due_by is None:
        return Clock(_("没有时限"), False)
    now = now or timezone.now()
    if due_by >= now:
        left = working_days_between(now, due_by)
        if left == 0:
            return Clock(_("今天到期"), False)
        return Clock(_("还剩%(n)d个工作日") % {"n": left}, False)
    late = max(working_days_between(due_by, now), 1)
    return Clock(_("已超时%(n)d个工作日") % {"n": late}, True)


@dataclass(frozen=True)
class Row:
    kind: str
    kind_label: str
    person: Any
    what: str
    submitted_at: Any
    due_by: Any
    clock: Clock
    url: str


def queue_rows(kind: str = "") -> list[Row]:
    """Pending filings and applications, the one due first at the top."""
    now = timezone.now()
    rows: list[Row] = []
    if kind in ("", "filing"):
        for filing in Filing.objects.filter(status=ReviewStatus.PENDING).select_related("person"):
            rows.append(Row("filing", str(KINDS["filing"]), filing.person,
                            f"{filing.get_filing_type_display()} → {filing.region_name}", filing.submitted_at,
                            filing.due_by, clock(filing.due_by, now),
                            reverse("services_staff:filing", args=[filing.public_id])))
    if kind in ("", "entitlement"):
        for entitlement in (Entitlement.objects.filter(status=ReviewStatus.PENDING)
                            .select_related("person", "condition")):
            rows.append(Row("entitlement", str(KINDS["entitlement"]), entitlement.person, entitlement.condition.name,
                            entitlement.submitted_at, entitlement.due_by, clock(entitlement.due_by, now),
                            reverse("services_staff:entitlement", args=[entitlement.public_id])))
    if kind in ("", "claim"):
        for found in Claim.objects.filter(status=ClaimStatus.PENDING).select_related("person"):
            rows.append(Row("claim", str(KINDS["claim"]), found.person,
                            _("%(where)s %(total)s元") % {"where": found.institution_name, "total": found.total},
                            found.submitted_at, found.due_by, clock(found.due_by, now),
                            reverse("services_staff:claim", args=[found.public_id])))
    far = timezone.now().replace(year=9999)  # a request without a time limit goes last
    rows.sort(key=lambda row: (row.due_by or far, row.submitted_at))
    return rows


@never_cache
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in KINDS:
        kind = ""
    return render(request, "services/staff_queue.html", {"rows": queue_rows(kind), "kind": kind, "kinds": KINDS})


def _already_decided(obj: Filing | Entitlement) -> str:
    staff = obj.decided_by
    who = (staff.display_name or staff.masked_name) if staff is not None else _("其他工作人员")
    return _("已经由%(who)s处理过了（%(status)s），这次没有改动。") % {"who": who, "status": obj.get_status_display()}


def _decide(request: HttpRequest, obj: Filing | Entitlement, decide, template: str, context: dict) -> HttpResponse:
    form = DecisionForm(request.POST or None)
    status = 200
    if obj.status != ReviewStatus.PENDING and request.method == "GET":
        context["decided"] = _already_decided(obj) if obj.decided_by else ""
    if request.method == "POST" and form.is_valid():
        try:
            decide(obj.pk, staff=request.user, decision=form.cleaned_data["decision"],
                   reason=form.cleaned_data["reason"], ip=client_ip(request))
        except actions.ServiceError as exc:
            obj.refresh_from_db()
            if obj.status != ReviewStatus.PENDING:  # another tab, or a colleague, was first
                form.add_error(None, _already_decided(obj))
                status = 409
            else:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已处理：%(what)s，她会收到短信。") % {"what": context["title"]})
            return redirect("services_staff:queue")
    return render(request, template, {**context, "obj": obj, "form": form,
                                      "clock": clock(obj.due_by) if obj.status == ReviewStatus.PENDING else None},
                  status=status)


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def filing(request: HttpRequest, public_id) -> HttpResponse:
    found = Filing.objects.select_related("person", "submitted_by", "decided_by").filter(public_id=public_id).first()
    if found is None:
        raise Http404
    title = _("%(name)s的异地就医备案") % {"name": found.person.masked_name}
    return _decide(request, found, actions.decide_filing, "services/staff_filing.html", {
        "title": title, "f": found, "attachments": list(found.attachments.all()),
        "requirements": requirements_for(found.filing_type, found.region_code)})


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def entitlement(request: HttpRequest, public_id) -> HttpResponse:
    found = (Entitlement.objects.select_related("person", "condition", "submitted_by", "decided_by")
             .filter(public_id=public_id).first())
    if found is None:
        raise Http404
    title = _("%(name)s的门诊慢特病申请") % {"name": found.person.masked_name}
    return _decide(request, found, actions.decide_entitlement, "services/staff_entitlement.html", {
        "title": title, "e": found, "attachments": list(found.attachments.all()),
        "terms": terms_sentence(found.condition, found.person.scheme)})


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, public_id) -> HttpResponse:
    """A claim with the invoice photos and the items; approving books the visit day's split and asks for the
    payout (services.actions.decide_claim)."""
    found = (Claim.objects.select_related("person", "settlement", "submitted_by", "decided_by", "payout")
             .filter(public_id=public_id).first())
    if found is None:
        raise Http404
    title = _("%(name)s的手工报销") % {"name": found.person.masked_name}
    return _decide(request, found, actions.decide_claim, "services/staff_claim.html", {
        "title": title, "c": found, "attachments": list(found.attachments.all()), "items": bill_items(found.items),
        "labels": {"visit_type": dict(VisitType.choices).get(found.visit_type, found.visit_type),
                   "level": dict(InstitutionLevel.choices).get(found.institution_level, found.institution_level),
                   "region": region_name(found.region_code), "via": dict(Via.choices).get(found.via, found.via)}})
