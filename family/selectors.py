from __future__ import annotations

from family.models import OPEN_STATUSES, ProxyGrant, Scope


def grants_held_by(user):
    """People this user helps (as proxy), newest first."""
    return ProxyGrant.objects.filter(proxy=user, status__in=OPEN_STATUSES).select_related("principal")


def grants_given_by(person):
    """People who help this person (谁在帮我)."""
    return ProxyGrant.objects.filter(principal=person).select_related("proxy", "proxy__person")


def watchable_person_ids(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [g.principal_id for g in ProxyGrant.objects.filter(proxy=user).with_scope(Scope.VIEW_SETTLEMENTS)]


def settlement_notice_audience(person) -> list:
    """The proxies to tell about her settlements: those whose active grant includes view_settlements."""
    grants = ProxyGrant.objects.filter(principal=person).select_related("proxy").with_scope(Scope.VIEW_SETTLEMENTS)
    return [grant.proxy for grant in grants if grant.proxy.is_active]


def grant_for_proxy(user, public_id) -> ProxyGrant | None:
    try:
        return ProxyGrant.objects.select_related("principal").filter(proxy=user, public_id=public_id).first()
    except (ValueError, TypeError):
        return None


def grant_for_principal(person, public_id) -> ProxyGrant | None:
    if person is None:
        return None
    try:
        return ProxyGrant.objects.select_related("proxy").filter(principal=person, public_id=public_id).first()
    except (ValueError, TypeError):
        return None


def service_followers(person) -> list:
    """The proxies who may see her service requests (filings, chronic-disease applications): a grant with
    `act` (they may file for her) or `view_records`. A proxy who may only show her code hears nothing of them."""
    grants = ProxyGrant.objects.active().filter(principal=person).select_related("proxy")
    return [grant.proxy for grant in grants if grant.proxy.is_active
            and ({Scope.ACT, Scope.VIEW_RECORDS} & set(grant.scopes))]


def proxies_of(person) -> list:
    """Everyone who acts for her now, whatever the scopes: they hear of what a helper did on her word alone."""
    return [grant.proxy for grant in ProxyGrant.objects.active().filter(principal=person).select_related("proxy")
            if grant.proxy.is_active]


def settlement_watch_pairs() -> list:
    """Every (proxy, her) pair whose active grant includes view_settlements: the weekly digest's readers."""
    grants = ProxyGrant.objects.active().select_related("proxy", "principal")
    return [(grant.proxy, grant.principal) for grant in grants
            if grant.proxy.is_active and Scope.VIEW_SETTLEMENTS in grant.scopes]
