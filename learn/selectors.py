"""Reads for practice mode. A practice is found only through what its holder has: her browser session (the
practice ids kept in it), the practice counter's secret link, the class code, or the practice QR's token."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from learn.models import PracticeBill, PracticeKind, PracticeSession

# Django session keys (the browser session is what ties a practice to her phone and a counter to its opener).
SEATS_KEY = "learn_practice"  # public ids of the practices (solo or class seats) this browser practises on
COUNTERS_KEY = "learn_practice_counters"  # public ids of the practice counters this browser opened by link
MAX_REMEMBERED = 10


def _ids(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key) or []
    return [str(v) for v in value if isinstance(v, str)][-MAX_REMEMBERED:]


def owned_practice(data: Mapping[str, Any], public_id: Any) -> PracticeSession | None:
    """Her practice, only when this browser session started or joined it (expired ones too: the view says so)."""
    if str(public_id) not in _ids(data, SEATS_KEY):
        return None
    return (PracticeSession.objects.select_related("parent")
            .filter(public_id=public_id, kind__in=(PracticeKind.SOLO, PracticeKind.SEAT)).first())


def practice_for_counter(secret: str) -> PracticeSession | None:
    if not secret or len(secret) > 64:
        return None
    return PracticeSession.objects.filter(counter_secret=secret,
                                          kind__in=(PracticeKind.SOLO, PracticeKind.CLASS)).first()


def class_by_code(class_code: str) -> PracticeSession | None:
    return PracticeSession.objects.filter(class_code=class_code, kind=PracticeKind.CLASS,
                                          expires_at__gt=timezone.now()).first()


def practice_by_code_token(token: str) -> PracticeSession | None:
    """The practice (solo or seat) whose practice QR carries this token, if it is still running."""
    if not token or len(token) > 64:
        return None
    return (PracticeSession.objects.select_related("parent")
            .filter(code_token=token, expires_at__gt=timezone.now()).first())


def seats_of(practice: PracticeSession) -> list[PracticeSession]:
    """The phones a practice counter can settle: a class's seats (joined order), or the solo practice itself."""
    if practice.kind == PracticeKind.CLASS:
        return list(practice.seats.order_by("seat_number", "pk").prefetch_related("bills"))
    return [practice]


def latest_bill(practice: PracticeSession) -> PracticeBill | None:
    return practice.bills.order_by("-pk").first()


def bill_with_session(bill_id: Any) -> PracticeBill | None:
    try:
        return PracticeBill.objects.select_related("session").filter(pk=int(bill_id)).first()
    except (TypeError, ValueError):
        return None


def live_seat_ids(data: Mapping[str, Any]) -> list[int]:
    """Primary keys of her running practices (for the practice socket)."""
    return list(PracticeSession.objects.filter(public_id__in=_valid_uuids(_ids(data, SEATS_KEY)),
                                               expires_at__gt=timezone.now()).values_list("pk", flat=True))


def live_counter_ids(data: Mapping[str, Any]) -> list[int]:
    return list(PracticeSession.objects.filter(public_id__in=_valid_uuids(_ids(data, COUNTERS_KEY)),
                                               expires_at__gt=timezone.now()).values_list("pk", flat=True))


def _valid_uuids(values: list[str]) -> list[str]:
    found = []
    for value in values:
        try:
            found.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return found
