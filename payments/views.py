"""缴费 pages: her year's contribution (herself, or 亲情代缴 by anyone she has granted access: paying needs no
`act`, and she is told by SMS), the order with its live status and receipt, the sandbox's cashier, and the
provider's callback. Views are thin: payments/actions.py does the work."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.client_address import client_ip
from payments.actions import (
    PaymentError,
    contribution_due,
    order_contribution,
    orders_of,
    receive_callback,
    sandbox_pay,
    start_payment,
)
from payments.models import OrderStatus, PaymentOrder


def _page(request: HttpRequest, person, *, error: str = "", order: PaymentOrder | None = None,
          status: int = 200) -> HttpResponse:
    due = contribution_due(person)
    return render(request, "payments/contribution.html", {
        "person": person, "due": due, "error": error, "retry_order": order, "orders": orders_of(person),
        "for_family": getattr(request, "acting_grant", None) is not None}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def contribution(request: HttpRequest) -> HttpResponse:
    """Any active grant may pay for her (the family middleware only sets a grant that is active); nobody
    else can reach her here: the person is always herself or the principal of his grant."""
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    if request.method == "GET":
        return _page(request, person)
    grant = getattr(request, "acting_grant", None)
    order = None
    try:
        order = order_contribution(payer=request.user, person=person, period=request.POST.get("period", "")[:8],
                                   for_family=grant is not None, ip=client_ip(request),
                                   grant_id=grant.pk if grant else None)
        start = start_payment(order)
    except PaymentError as exc:
        return _page(request, person, error=exc.message, order=order, status=200 if order else 400)
    return redirect(start.redirect_url)


def _order_for(request: HttpRequest, public_id) -> PaymentOrder:
    person = request.subject_person
    if person is None:
        raise Http404
    return get_object_or_404(PaymentOrder.objects.select_related("person", "payer", "contribution"),
                             public_id=public_id, person=person)


@never_cache
@login_required
def order(request: HttpRequest, public_id) -> HttpResponse:
    """Its status (pending → paid, live) and, once paid, the receipt (收据) she can print."""
    found = _order_for(request, public_id)
    return render(request, "payments/order.html", {"order": found, "print": request.GET.get("print") == "1"})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def sandbox_cashier(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    """The sandbox provider's cashier (development and tests; production sends the payer to the real one)."""
    if settings.PAYMENT_PROVIDER != "sandbox":
        raise Http404
    found = get_object_or_404(PaymentOrder.objects.select_related("person"), out_trade_no=out_trade_no[:32],
                              payer=request.user)
    if request.method == "POST":
        if request.POST.get("choice") == "pay" and found.status == OrderStatus.CREATED:
            sandbox_pay(found)
        return redirect("payments:order", public_id=found.public_id)
    return render(request, "payments/sandbox_cashier.html", {"order": found})


@csrf_exempt  # the provider signs its notices (HMAC); it has no session and no CSRF token
@require_POST
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    status, body = receive_callback(provider[:20], dict(request.headers), request.body)
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
