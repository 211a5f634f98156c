"""Her proxies, for her data download (core/export_sections.py, docs/export-format.md "proxies"): whom she
gave access to, what they may do, from when to when. The proxies are other people: their names and phones are
shown masked, as on her "谁在帮我" page. What each did is in her account record, the file's "account_record"."""

from __future__ import annotations

from collections.abc import Iterator

from family.models import ConsentVia, GrantStatus, ProxyGrant, Relationship, Scope


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def grants_given(person) -> Iterator[dict]:
    grants = (ProxyGrant.objects.filter(principal=person).select_related("proxy", "proxy__person")
              .order_by("created_at", "id"))
    for grant in grants.iterator(chunk_size=100):
        yield {
            "id": str(grant.public_id),
            "proxy_name": grant.proxy.masked_name,
            "proxy_phone": grant.proxy.masked_phone,
            "relationship": grant.relationship,
            "relationship_label": _label(Relationship, grant.relationship),
            "scopes": [{"code": s, "label": _label(Scope, s)} for s in grant.scopes],
            "status": grant.status,
            "status_label": _label(GrantStatus, grant.status),
            "consent_via": grant.consent_via,
            "consent_via_label": _label(ConsentVia, grant.consent_via) if grant.consent_via else "",
            "requested_at": grant.created_at,
            "consented_at": grant.consented_at,
            "expires_at": grant.expires_at,
            "ended_at": grant.ended_at,
            "last_used_at": grant.last_used_at,
        }
