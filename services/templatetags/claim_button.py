"""`{% claim_button settlement %}`: on her receipt and records, a failed or `manual` settlement gets one big
"申请手工报销" button that opens the claim already filled in from that bill, or, once claimed, the claim's
progress. A template library, so settlement's pages show it without settlement importing services
(docs/design.md §2)."""

from __future__ import annotations

from django import template

from services.claims import CLAIMABLE_STATUSES, live_claim_of

register = template.Library()


@register.inclusion_tag("services/_claim_button.html")
def claim_button(settlement) -> dict:
    if settlement is None or settlement.status not in CLAIMABLE_STATUSES:
        return {"show": False}
    return {"show": True, "s": settlement, "claim": live_claim_of(settlement)}
