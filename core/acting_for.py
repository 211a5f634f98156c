"""The "acting for" contract between `family` and the apps whose pages a proxy may open for her.

`family`'s middleware sets, on every request, `request.subject_person` (whose account the page is about),
`request.subject_via` ("self" or "proxy"), `request.acting_grant` (the grant in use, or None) and
`request.may(scope)`. Views check scopes with the decorators below rather than reading those attributes by
hand, and an action that used a grant calls `proxy_used`, which runs what `family` registered at start-up
(remember the use, tell her by SMS; docs/architecture.md, "Family proxies"). So vouchers, settlement,
insurance and audit never import family.

It lives in `core` because every one of those apps must be able to import it, and `insurance` and `audit`
import no app (docs/architecture.md). Leaf module: it imports no app and reads only request attributes;
the one page it renders, `not_allowed.html`, is in the project's templates/.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = Callable[..., HttpResponse]
Denied = Callable[[HttpRequest], HttpResponse]


def not_allowed(request: HttpRequest) -> HttpResponse:
    """"这件事她没有授权给您": the page a proxy gets for something she did not grant him."""
    return render(request, "not_allowed.html", status=403)


def _may(request: HttpRequest, scope: str) -> bool:
    may = getattr(request, "may", None)
    return bool(may is not None and may(scope))  # no acting-for context at all: refuse rather than guess


def requires_scope(scope: str, *, denied: Denied = not_allowed) -> Callable[[View], View]:
    """The view runs only for herself, or for a proxy whose grant includes `scope`; otherwise `denied`
    answers (by default the "not allowed" page, 403). Put it under `login_required`, so that someone not
    signed in is sent to sign in first."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not _may(request, scope):
                return denied(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def own_account_only(view: View | None = None, *, denied: Denied = not_allowed) -> Any:
    """Pages that are hers alone (her account record, suspending her code): never while acting for someone."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request, "acting_grant", None) is not None:
                return denied(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator


# --- proxy use -----------------------------------------------------------------------------------------

ProxyUseHook = Callable[[int, str], None]  # (grant id, audit event kind) -> None
_hooks: list[ProxyUseHook] = []


def register_proxy_use_hook(hook: ProxyUseHook) -> None:
    """Called by `family` at start-up."""
    if hook not in _hooks:
        _hooks.append(hook)


def proxy_used(grant_id: int, kind: str) -> None:
    """Called by the action that wrote the audit row of a proxy's use of grant `grant_id` (via "proxy",
    `detail.grant_id`), inside its transaction: the hooks run once it commits, and never if it rolls back."""
    for hook in list(_hooks):
        transaction.on_commit(lambda hook=hook: hook(grant_id, kind))


# --- who else hears of what happens to her --------------------------------------------------------------

PeopleToTell = Callable[[Any], list]  # insured person -> users (her proxies) to tell by SMS
_people_providers: list[PeopleToTell] = []


def register_people_to_tell(provider: PeopleToTell) -> None:
    """Called by `family` at start-up: the proxies who may see her service requests (docs/design.md §7)."""
    if provider not in _people_providers:
        _people_providers.append(provider)


def people_to_tell(person: Any) -> list:
    """The users besides herself to tell of a decision about her (a filing approved, returned, refused), each
    once. Empty until `family` has registered its provider."""
    users: dict[int, Any] = {}
    for provider in _people_providers:
        for user in provider(person):
            users.setdefault(user.pk, user)
    return list(users.values())
