"""The counter thin client: an operator (password + TOTP) scans the code, enters the bill, submits and
watches the status live. Offline captures come back through `/counter/batch`, the session's door to the one
upload path in settlement/batch.py (idempotent per client_id).

Every view needs a signed-in operator of an institution whose session passed the TOTP step; anyone
else is sent to the worker sign-in (GET) or refused with 403 (POST).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from counter.actions import TerminalRefused, enrol_terminal_browser
from counter.catalogue import CATALOGUE, lookup
from insurance.filings import ChronicCondition
from insurance.models import OfflineTerminal
from insurance.policy import ItemCategory, VisitType
from insurance.selectors import terminal_for_browser
from settlement.actions import MAX_ITEMS, ItemIn, SettlementError, submit_settlement
from settlement.batch import read_batch, upload_batch
from settlement.models import Settlement
from settlement.selectors import settlement_paid_with
from settlement.texts import headline, spoken

FORM_ROWS = 5
ROW_FIELDS = ("code", "name", "category", "quantity", "unit_price")
_ROW_KEY = re.compile(r"^item-(\d{1,3})-(code|name|category|quantity|unit_price)$")
# Errors about the bill: the code the operator scanned is still good, so the form keeps it.
BILL_ERRORS = {"empty_bill", "too_many_items", "unknown_category", "bad_quantity", "bad_price", "bad_item",
               "bill_too_large", "bad_visit_type", "unknown_condition"}


# The cookie that makes this browser a registered offline terminal; the database keeps only its hash.
TERMINAL_COOKIE = "counter_terminal"


def offline_terminal_of(request: HttpRequest) -> OfflineTerminal | None:
    """The active offline terminal of the operator's institution this browser is registered as, if any."""
    return terminal_for_browser(request.COOKIES.get(TERMINAL_COOKIE, ""), request.user.institution_id)


def is_counter_operator(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_authenticated
        and user.role == Role.OPERATOR
        and user.institution_id is not None
        and user.is_verified()
    )


def operator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, an operator, of an institution, and verified by TOTP in this session."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if is_counter_operator(request):
            return view(request, *args, **kwargs)
        if request.method == "POST":
            message = _("只有完成动态口令验证的收费员才能结算。请重新登录。")
            if request.content_type == "application/json":
                return JsonResponse({"error": "forbidden", "message": message}, status=403)
            return HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")
        return redirect_to_login(request.get_full_path(), reverse("accounts:worker_login"))

    return wrapper


@dataclass
class Row:
    code: str = ""
    name: str = ""
    category: str = ""
    quantity: str = ""
    unit_price: str = ""

    @property
    def blank(self) -> bool:
        return not any((self.code, self.name, self.quantity, self.unit_price))


def rows_from(data) -> list[Row]:
    """The item rows as typed, in row order (the page may have added rows beyond the first five)."""
    indices = sorted({int(m.group(1)) for key in data if (m := _ROW_KEY.match(key))})
    return [Row(**{f: str(data.get(f"item-{i}-{f}", "")).strip() for f in ROW_FIELDS})
            for i in indices[: MAX_ITEMS + 1]]


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def items_from(rows: list[Row]) -> list[ItemIn]:
    """Rows to bill items. A catalogue code alone fills in the name, category and price; an empty
    quantity means one. The numbers' limits are checked by `validate_bill` with the bill's other rules."""
    items = []
    for n, row in enumerate((r for r in rows if not r.blank), start=1):
        known = lookup(row.code)
        name = row.name or (known.name if known else "")
        category = (row.category or (known.category if known else "")).upper()
        quantity = _decimal(row.quantity or "1")
        if quantity is None:
            raise SettlementError(422, "bad_quantity", _("第%(n)s项的数量不对：请填一个大于0的数字。") % {"n": n})
        price = _decimal(row.unit_price) if row.unit_price else (known.unit_price if known else None)
        if price is None:
            raise SettlementError(422, "bad_price", _("第%(n)s项的单价不对：请填一个大于0的金额（元）。") % {"n": n})
        items.append(ItemIn(known.code if known else row.code, name, category, quantity, price))
    return items


def _page_context(request: HttpRequest, *, rows: list[Row] | None = None, code: str = "",
                  visit_type: str = VisitType.OUTPATIENT, condition: str = "") -> dict:
    rows = list(rows or [])
    rows += [Row() for _ in range(max(0, FORM_ROWS - len(rows)))]
    return {
        "institution": request.user.institution,
        "rows": rows,
        "code": code,
        "visit_type": visit_type,
        "visit_types": VisitType.choices,
        "condition": condition,
        "conditions": ChronicCondition.objects.filter(is_active=True),
        "categories": ItemCategory.choices,
        "catalogue": [(item, ItemCategory(item.category).label) for item in CATALOGUE],
        "max_items": MAX_ITEMS,
        "offline_terminal": offline_terminal_of(request),
        "floor_limit": settings.OFFLINE_FLOOR_LIMIT_YUAN,
    }


@never_cache
@operator_required
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "counter/counter.html", _page_context(request))

    code = request.POST.get("code", "").strip()
    visit_type = request.POST.get("visit_type", "")
    condition = request.POST.get("condition", "").strip()[:20]
    rows = rows_from(request.POST)
    try:
        if visit_type not in VisitType.values:
            raise SettlementError(422, "bad_visit_type", _("请选择就诊类型：门诊、住院或药店购药。"))
        settlement = submit_settlement(institution=request.user.institution, code=code, visit_type=visit_type,
                                       items=items_from(rows), operator=request.user, condition=condition)
    except SettlementError as exc:
        first = (settlement_paid_with(code, institution=request.user.institution, operator=request.user)
                 if exc.error == "code_used" else None)
        if first is None:
            return _refused(request, exc, rows=rows, code=code if exc.error in BILL_ERRORS else "",
                            visit_type=visit_type, condition=condition)
        settlement = first  # the same bill sent twice (a double click): answer with the first one's result
    settlement = Settlement.objects.select_related("person", "institution").get(pk=settlement.pk)
    status_html = render_to_string("counter/_status.html", {
        "s": settlement, "headline": headline(settlement), "spoken": spoken(settlement)}, request=request)
    if request.htmx:
        response = render(request, "counter/result.html", {"status_html": status_html, "error": ""})
        response["X-Counter-Outcome"] = "accepted"
        return response
    return render(request, "counter/counter.html", {
        **_page_context(request, visit_type=visit_type), "status_html": status_html})


def _refused(request: HttpRequest, exc: SettlementError, *, rows: list[Row], code: str,
             visit_type: str, condition: str = "") -> HttpResponse:
    if request.htmx:  # htmx only swaps 2xx answers; the message goes into #counter-message
        response = render(request, "counter/result.html", {"status_html": "", "error": exc.message})
        response["X-Counter-Outcome"] = "refused"
        return response
    context = _page_context(request, rows=[r for r in rows if not r.blank], code=code,
                            visit_type=visit_type if visit_type in VisitType.values else VisitType.OUTPATIENT,
                            condition=condition)
    return render(request, "counter/counter.html", {**context, "error": exc.message}, status=422)


def _json_error(status: int, error: str, message: str) -> JsonResponse:
    return JsonResponse({"error": error, "message": message}, status=status)


@never_cache
@require_POST
@operator_required
def batch(request: HttpRequest) -> JsonResponse:
    """Offline captures, uploaded when the network is back: the one upload path of the signed API
    (settlement/batch.py), entered with the operator's session from a browser registered as an offline
    terminal of the operator's institution. Each answer also says what the counter shows."""
    terminal = offline_terminal_of(request)
    if terminal is None:
        return _json_error(403, "offline_not_allowed",
                           _("这台电脑没有登记为离线收费终端，不能上传离线结算。需要开通请联系医保局。"))
    try:
        answer = upload_batch(request.user.institution, read_batch(request.body), terminal=terminal,
                              operator=request.user)
    except SettlementError as exc:
        return _json_error(exc.status, exc.error, exc.message)
    answer["results"] = [_described(result) for result in answer["results"]]
    return JsonResponse(answer)


def _described(result: dict) -> dict:
    """Add what the counter shows for an uploaded settlement: who, how much, and its state now."""
    if not result["ok"]:
        return result
    settlement = Settlement.objects.select_related("person").filter(public_id=result["id"]).first()
    if settlement is not None:
        result.update({
            "status": settlement.status, "status_label": headline(settlement),
            "masked_name": settlement.person.masked_name, "total": f"{settlement.total:.2f}",
            "self_pay": None if settlement.self_pay is None else f"{settlement.self_pay:.2f}",
        })
    return result


@never_cache
@operator_required
@require_http_methods(["GET", "POST"])
def offline_setup(request: HttpRequest) -> HttpResponse:
    """Register this browser as one of the institution's offline terminals, with the terminal key id and
    secret the insurance bureau issued for it (docs/architecture.md, "Offline counters")."""
    error = ""
    key_id = ""
    if request.method == "POST":
        key_id = request.POST.get("key_id", "").strip()[:40]
        try:
            terminal, token = enrol_terminal_browser(operator=request.user, key_id=key_id,
                                                     secret=request.POST.get("secret", ""))
        except TerminalRefused as exc:
            error = exc.message
        else:
            response = render(request, "counter/offline.html", {
                "terminal": terminal, "enrolled": True, "floor_limit": settings.OFFLINE_FLOOR_LIMIT_YUAN})
            response.set_cookie(TERMINAL_COOKIE, token, max_age=5 * 365 * 24 * 3600, httponly=True,
                                samesite="Strict", secure=request.is_secure())
            return response
    return render(request, "counter/offline.html", {
        "terminal": offline_terminal_of(request), "error": error, "key_id": key_id,
        "floor_limit": settings.OFFLINE_FLOOR_LIMIT_YUAN}, status=403 if error else 200)


@require_http_methods(["GET"])
def service_worker(request: HttpRequest) -> HttpResponse:
    """The counter's service worker: it keeps the counter page and its scripts so a reload without network
    still opens the page and its offline queue. Served from /counter/ so that its scope is the counter; it
    holds nothing of anyone, so it needs no sign-in (the page it keeps does)."""
    response = HttpResponse(render_to_string("counter/sw.js"), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # a new version is picked up on the next visit
    response["Service-Worker-Allowed"] = reverse("counter:counter")
    return response
