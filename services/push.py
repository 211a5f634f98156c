"""Live status and SMS for service requests (filings and chronic-disease entitlements).

For the actions in services/actions.py (H2's entitlement actions use the same):
- `push_filing(filing_id)` / `push_entitlement(entitlement_id)`: on commit, send the request's status fragment
  to her open pages and to the pages of the proxies who may see her requests (`core.acting_for.people_to_tell`:
  a grant with `act` or `view_records`). Each page shows it in
  the element `#filing-<public_id>` / `#entitlement-<public_id>` (hx-swap-oob), so a list and a detail page
  both update in place.
- `tell_her_and_family(person, for_her, for_family)`: one SMS to her registered phone and one to each person
  who acts for her; `for_family` is formatted with `name` (her masked name). Sent on commit (accounts outbox).
- `filing_decision_texts(filing)`: the plain sentences of a filing's decision, for her and for her family.
Registered at start-up by ServicesConfig.ready (fragments render once per language, not once per page).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.actions import send_notice
from core.acting_for import people_to_tell
from insurance.filings import Entitlement, Filing, ReviewStatus
from insurance.workdays import working_days_between
from live import Event, publish_all, register_fragment, to_person, to_user
from services.chronic import status_context
from services.models import Claim

FILING = "services.filing"
FILING_ADDED = "services.filing_added"
ENTITLEMENT = "services.entitlement"
CLAIM = "services.claim"
CLAIM_ADDED = "services.claim_added"
TEMPLATES = {FILING: "services/_filing_status.html", FILING_ADDED: "services/_filing_added.html",
             ENTITLEMENT: "services/_entitlement_status.html", CLAIM: "services/_claim_status.html",
             CLAIM_ADDED: "services/_claim_added.html"}
# live bookkeeping only: each fragment names its own element (`filing-<public_id>`; a new filing goes to the top
# of her list, `#filing-rows`), see the templates.
TARGETS = {FILING: "filing-status", FILING_ADDED: "filing-rows", ENTITLEMENT: "entitlement-status",
           CLAIM: "claim-status", CLAIM_ADDED: "claim-rows"}


def days_left(obj: Any) -> int | None:
    """Working days left of the promised time limit, for a request still under review."""
    if obj.status != ReviewStatus.PENDING or obj.due_by is None:  # a claim's "pending" is the same word
        return None
    return working_days_between(timezone.now(), obj.due_by)


def _load(model: type, ref: Any) -> Any:
    if isinstance(ref, model):
        return ref
    return model.objects.select_related("person").filter(pk=ref).first()


def _renderer(kind: str, model: type):
    def render(ref: Any, language: str) -> str | None:
        obj = _load(model, ref)
        if obj is None:
            return None
        with translation.override(language):
            # An entitlement's fragment shows her terms and end date in words (services/chronic.py).
            context = {**status_context(obj), "live": True} if kind == ENTITLEMENT else {
                "f": obj, "c": obj, "days_left": days_left(obj), "live": True}
            return render_to_string(TEMPLATES[kind], context)

    return render


def _push(kind: str, model: type, pk: int) -> None:
    obj = _load(model, pk)
    if obj is None:
        return
    # Her pages, and the pages of the proxies who may see her requests (`act` or `view_records`). Not every
    # watcher of her settlements: a proxy with only view_settlements has no business with her filings.
    # The id, not the object: the fragment is drawn once the transaction has committed, from what the database
    # then holds. Two state changes committed back to back (a claim approved, then at once paid) are each
    # drawn as they ended, never the first one's stale copy arriving after the second.
    events = [Event(kind, to_person(obj.person_id), obj.pk)]
    events += [Event(kind, to_user(user.pk), obj.pk) for user in people_to_tell(obj.person)]
    publish_all(events)


def push_filing(filing_id: int, *, added: bool = False) -> None:
    """Its status wherever it is shown; `added`: also at the top of her filings list ("我的备案") where that
    page is open, so she sees the filing her son just made for her."""
    _push(FILING, Filing, filing_id)
    if added:
        _push(FILING_ADDED, Filing, filing_id)


def push_entitlement(entitlement_id: int) -> None:
    _push(ENTITLEMENT, Entitlement, entitlement_id)


def push_claim(claim_id: int, *, added: bool = False) -> None:
    """A claim's status wherever it is shown (`#claim-<public_id>`); `added`: also at the top of "我的报销"."""
    _push(CLAIM, Claim, claim_id)
    if added:
        _push(CLAIM_ADDED, Claim, claim_id)


def tell_her_and_family(person, for_her: str, for_family: str = "") -> None:
    send_notice(person.phone, for_her)
    if not for_family:
        return
    for user in people_to_tell(person):
        if user.phone != person.phone:
            send_notice(user.phone, for_family % {"name": person.masked_name})


def _day(day) -> str:
    return _("%(m)d月%(d)d日") % {"m": day.month, "d": day.day}


def filing_decision_texts(filing: Filing) -> tuple[str, str]:
    """(for her, for her family with %(name)s) of the filing's current decision; ("", "") if none."""
    values = {"city": filing.region_name, "from": _day(filing.valid_from), "reason": filing.reason,
              "h": settings.SITE_HOTLINE, "name": "%(name)s"}
    family = {**values, "reason": filing.reason.replace("%", "%%")}  # formatted again with her name
    if filing.status == ReviewStatus.APPROVED:
        return (_("【医保通】您的异地就医备案（去%(city)s）已通过，从%(from)s起在%(city)s看病可以直接用医保结算。") % values,
                _("【医保通】您的家人%(name)s的异地就医备案（去%(city)s）已通过，从%(from)s起在%(city)s看病可以直接用医保结算。")
                % family)
    if filing.status == ReviewStatus.RETURNED:
        return (_("【医保通】您的异地就医备案（去%(city)s）需要补充：%(reason)s。请打开医保通“我的备案”，改好后重新提交。")
                % values,
                _("【医保通】您的家人%(name)s的异地就医备案（去%(city)s）需要补充：%(reason)s。可以帮她在医保通里改好后重新提交。")
                % family)
    if filing.status == ReviewStatus.REFUSED:
        return (_("【医保通】您的异地就医备案（去%(city)s）没有通过：%(reason)s。有疑问请打%(h)s。") % values,
                _("【医保通】您的家人%(name)s的异地就医备案（去%(city)s）没有通过：%(reason)s。有疑问请打%(h)s。") % family)
    return "", ""


def register_services_live() -> None:
    register_fragment(FILING, TARGETS[FILING], _renderer(FILING, Filing))
    register_fragment(FILING_ADDED, TARGETS[FILING_ADDED], _renderer(FILING_ADDED, Filing))
    register_fragment(ENTITLEMENT, TARGETS[ENTITLEMENT], _renderer(ENTITLEMENT, Entitlement))
    register_fragment(CLAIM, TARGETS[CLAIM], _renderer(CLAIM, Claim))
    register_fragment(CLAIM_ADDED, TARGETS[CLAIM_ADDED], _renderer(CLAIM_ADDED, Claim))
