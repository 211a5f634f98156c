from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from accounts.models import OutboundMessage
from core import rescue
from vouchers.selectors import voucher_of


def home(request: HttpRequest) -> HttpResponse:
    voucher = None
    if request.user.is_authenticated and getattr(request.user, "person", None) is not None:
        voucher = voucher_of(request.user.person)
    # Back on the home page with activation unfinished: she gave up halfway, so help is offered once.
    came_back = voucher is None and rescue.note_came_back(request, "activation")
    return render(request, "portal/home.html", {"voucher": voucher,
                                                "rescue": rescue.should_offer(request) if came_back else None})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # report any failure as unhealthy rather than crash
        checks["database"] = f"error: {type(exc).__name__}"
        healthy = False
    if settings.REDIS_URL:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
            healthy = False
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


@never_cache
def dev_outbox(request: HttpRequest) -> HttpResponse:
    """Development only: the SMS and voice messages the portal would have sent."""
    if not settings.DEBUG:
        raise Http404

    messages = list(OutboundMessage.objects.all()[:50])
    return render(request, "portal/dev_outbox.html", {"outbox": messages})


def error_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)
