"""提醒设置: what the signed-in person hears by SMS or call, how, and when not; and what was sent to her.
Always the signed-in person's own settings: a proxy acting for her sets his own, never hers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.acting_for import not_allowed
from core.notice_texts import categories_in_use
from notices.actions import preference_of, save_preference
from notices.forms import PreferenceForm
from notices.models import Notice

RECENT = 10


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_worker:  # helpers and staff get no notices of their own
        return not_allowed(request)
    offered = categories_in_use()
    preference = preference_of(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST, offered=offered)
        if form.is_valid():
            chosen = set(form.cleaned_data["categories"])
            quiet_from, quiet_until = form.quiet_hours()
            # A category not offered on the page keeps what was saved before.
            save_preference(request.user, **{c: (c in chosen) if c in offered else preference.wants(c)
                                             for c in ("settlement", "services", "actions")},
                            channel=form.cleaned_data["channel"], quiet_from=quiet_from, quiet_until=quiet_until)
            return redirect(f"{request.path}?saved=1")
    else:
        form = PreferenceForm(offered=offered, initial={
            "categories": [c for c in offered if preference.wants(c)], "channel": preference.channel,
            "quiet_from": str(preference.quiet_from.hour) if preference.quiet_from else "",
            "quiet_until": str(preference.quiet_until.hour) if preference.quiet_until else ""})
    recent = Notice.objects.filter(user=request.user).order_by("-created_at", "-id")[:RECENT]
    return render(request, "notices/settings.html", {
        "form": form, "recent": recent, "saved": request.GET.get("saved") == "1",
        "acting": getattr(request, "acting_grant", None) is not None})
