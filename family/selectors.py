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
