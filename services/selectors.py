"""Reading filings and their materials for the pages, and who besides her may see a document photo.

Materials are `FilingRequirement` rows (insurance/filings.py). A material she may meet by ticking the promise
box instead of a photo is marked by its name, so staff keep the rule in the admin with the row itself:
- a name containing "承诺" ("个人承诺书", "居住证明或个人承诺书") is met by the promise box;
- a name containing "承诺" and no "或" ("个人承诺书") is met ONLY by the promise box: the page asks for no photo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from insurance.filings import Entitlement, Filing, FilingRequirement, FilingRule
from insurance.regions import CITIES, PROVINCES, city, region_name
from services.models import Attachment, Claim

PROMISE_MARK = "承诺"
EITHER_MARK = "或"


def accepts_promise(requirement: FilingRequirement) -> bool:
    return PROMISE_MARK in requirement.name


def promise_only(requirement: FilingRequirement) -> bool:
    return accepts_promise(requirement) and EITHER_MARK not in requirement.name


def requirements_for(filing_type: str, region_code: str = "") -> list[FilingRequirement]:
    """The materials for a type: those every destination asks for, and the destination's own."""
    where = Q(region_code="") | Q(region_code=region_code) if region_code else Q(region_code="")
    return list(FilingRequirement.objects.filter(where, filing_type=filing_type))


@dataclass(frozen=True)
class TypeCard:
    rule: FilingRule
    materials: list[FilingRequirement]  # every destination
    extra: list[tuple[str, FilingRequirement]]  # (city name, material) asked only there


def type_cards() -> list[TypeCard]:
    """Each filing type with every material it asks for, shown before she starts."""
    rules = list(FilingRule.objects.all())
    by_type: dict[str, list[FilingRequirement]] = {}
    for requirement in FilingRequirement.objects.all():
        by_type.setdefault(requirement.filing_type, []).append(requirement)
    cards = []
    for rule in rules:
        rows = by_type.get(rule.filing_type, [])
        cards.append(TypeCard(rule, [r for r in rows if not r.region_code],
                              [(region_name(r.region_code), r) for r in rows if r.region_code]))
    return cards


def city_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Cities grouped by province, for a plain <select> with <optgroup>s (works without JavaScript)."""
    return [(str(name), [(c.code, str(c.name)) for c in CITIES if c.province == code])
            for code, name in PROVINCES.items()]


def is_known_city(code: str) -> bool:
    return city(code) is not None


def filings_of(person) -> Any:
    return Filing.objects.filter(person=person)


def filing_of(person, public_id) -> Filing | None:
    """Her filing by its public id; None for anyone else's (looked up by id AND owner)."""
    if person is None:
        return None
    try:
        return Filing.objects.filter(person=person, public_id=public_id).first()
    except (ValueError, TypeError):
        return None


def attachment_by_public_id(public_id) -> Attachment | None:
    try:
        return Attachment.objects.select_related("person", "filing", "entitlement").filter(public_id=public_id).first()
    except (ValueError, TypeError):
        return None


def materials_on_file(filing: Filing) -> set[str]:
    return set(filing.attachments.values_list("label", flat=True))


# --- helpers in a session ------------------------------------------------------------------------------

# (user, attachment) -> the assist session id in which this user may see it now, or None. `assist` registers
# its check at start-up (assist -> services is allowed, the other way is not: docs/design.md §2).
HelperAccess = Callable[[Any, Attachment], int | None]
_helper_checks: list[HelperAccess] = []


def register_helper_access(check: HelperAccess) -> None:
    if check not in _helper_checks:
        _helper_checks.append(check)


def helper_session_for(user: Any, attachment: Attachment) -> int | None:
    for check in _helper_checks:
        session_id = check(user, attachment)
        if session_id is not None:
            return session_id
    return None


_DECIDED = {"filing": ("approved", "refused"), "entitlement": ("approved", "refused"),
            "claim": ("approved", "paid", "refused")}


def decided_owner(prefix: str) -> Callable[[Any], int | None]:
    """For the survey once a filing, entitlement or claim is decided (core/feedback_events.py): whose it is."""
    model = {"filing": Filing, "entitlement": Entitlement, "claim": Claim}[prefix]

    def owner(public_id) -> int | None:
        return (model.objects.filter(public_id=public_id, status__in=_DECIDED[prefix])
                .values_list("person_id", flat=True).first())

    return owner
