"""The "acting for" context: which person this request is about, and what it may do for her.

Other apps read `request.subject_person`, `request.subject_via`, `request.acting_grant`, and check scopes
with `core.acting_for.requires_scope` (which calls `request.may(scope)`); they never import family.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from family.selectors import grant_for_proxy

SESSION_KEY = "acting_for"
# Set when the grant he was acting under ended: every page he opens shows a full-screen notice (templates/base.html)
# until he taps 知道了 (family.views.stop_acting), so his own code never appears where hers was without a word.
ENDED_KEY = "acting_for_ended"


class ActingForMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        request.acting_grant = None
        request.subject_person = None
        request.subject_via = "self"
        if user is not None and user.is_authenticated:
            request.subject_person = user.person
            grant_id = request.session.get(SESSION_KEY)
            if grant_id:

                grant = grant_for_proxy(user, grant_id)
                if grant is not None and grant.is_active:
                    request.acting_grant = grant
                    request.subject_person = grant.principal
                    request.subject_via = "proxy"
                else:  # revoked or expired since: back to himself, with a notice saying so
                    request.session.pop(SESSION_KEY, None)
                    request.session[ENDED_KEY] = {"name": grant.principal.masked_name if grant else ""}

        def may(scope: str) -> bool:
            grant = request.acting_grant
            return grant is None or grant.allows(scope)

        request.may = may
        return self.get_response(request)
