from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audit.descriptions import describe
from audit.models import Via
from audit.selectors import events_about
from core.acting_for import own_account_only


@login_required
@own_account_only  # her record is hers to read
def account_record(request: HttpRequest) -> HttpResponse:
    """我的账户记录: only ever the signed-in person's own events."""
    person = request.user.person
    if person is None:
        return redirect("vouchers:activate")
    page = Paginator(events_about(person), 20).get_page(request.GET.get("page"))
    rows = [
        {
            "when": event.created_at,
            "what": describe(event.action),
            "who": _who(event, request.user),
            "via": event.get_via_display(),
        }
        for event in page
    ]
    return render(request, "audit/account_record.html", {"page": page, "rows": rows})


def _who(event, user) -> str:

    if event.via == Via.SELF and (event.actor_id == user.pk or (event.actor_id is None
                                                              and event.subject_id == user.person_id)):
        return _("您本人")
    via = event.get_via_display()
    if event.actor_label and event.via != Via.SELF and via not in event.actor_label:
        return f"{event.actor_label}（{via}）"
    return event.actor_label or event.get_via_display()
