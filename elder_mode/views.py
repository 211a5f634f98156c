from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from elder_mode.preferences import remember_elder_mode


@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    """One tap: turn elder mode on or off, then go back to the same page."""
    enabled = request.POST.get("elder_mode") == "1"
    user = request.user
    if user.is_authenticated and user.elder_mode != enabled:
        user.elder_mode = enabled
        user.save(update_fields=["elder_mode"])
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = "/"
    response = redirect(target)
    remember_elder_mode(response, enabled)
    return response
