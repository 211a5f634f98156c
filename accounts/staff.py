"""The rule for bureau staff pages outside the admin (the offline queue, the service review queues)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Bureau staff, signed in with password and TOTP in this session."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.role == Role.STAFF and user.is_verified():
            return view(request, *args, **kwargs)
        if request.method == "POST":
            return HttpResponseForbidden(_("只有完成动态口令验证的医保局工作人员才能处理。请重新登录。"),
                                         content_type="text/plain; charset=utf-8")
        return redirect_to_login(request.get_full_path(), reverse("accounts:worker_login"))

    return wrapper
