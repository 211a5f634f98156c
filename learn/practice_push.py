"""Practice mode's live pages: the pretend result pushed to her practice code page (`#practice-result`), the
"this is a practice code" notice when a real counter refused her practice QR (`#practice-notice`), and a class's
list of joined phones on the practice counter (`#practice-seats`). Sent over /ws/practice/ (live/practice.py),
which asks this module which practice groups a browser session may hear. Registered by LearnConfig.ready."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from core.practice import on_practice_code_refused, practice_token
from learn.models import PracticeBill, PracticeSession
from learn.selectors import bill_with_session, live_counter_ids, live_seat_ids, practice_by_code_token, seats_of
from live import Event, publish, register_fragment
from live.practice import (
    practice_counter_group,
    practice_group,
    register_practice_access,
    to_practice,
    to_practice_counter,
)
from live.publish import send_now

RESULT = "learn.practice_result"
REFUSED = "learn.practice_refused"
SEATS = "learn.practice_seats"


def result_context(bill: PracticeBill) -> dict[str, Any]:
    return {"bill": bill, "practice": bill.session,
            "spoken": translation.gettext("练习结算好了。医保付%(fund)s元，您自己付%(own)s元。") % {
                "fund": bill.fund_pay, "own": bill.self_pay}}


def _render_result(ref: Any, language: str) -> str | None:
    bill = ref if isinstance(ref, PracticeBill) else bill_with_session(ref)
    if bill is None:
        return None
    return render_to_string("learn/_practice_result.html", {**result_context(bill), "oob": True})


def _render_refused(ref: Any, language: str) -> str | None:
    return render_to_string("learn/_practice_refused.html", {"oob": True})


def seats_context(room: PracticeSession) -> dict[str, Any]:
    seats = seats_of(room)
    return {"room": room, "seats": seats, "settled": {seat.pk for seat in seats if seat.bills.all()}}


def _render_seats(ref: Any, language: str) -> str | None:
    room = ref if isinstance(ref, PracticeSession) else PracticeSession.objects.filter(pk=ref).first()
    if room is None or not room.is_class:
        return None
    return render_to_string("learn/_practice_seats.html", {**seats_context(room), "oob": True})


def push_practice_result(bill: PracticeBill) -> None:
    publish(RESULT, to_practice(bill.session_id), bill.pk)


def push_seats(room_id: int) -> None:
    publish(SEATS, to_practice_counter(room_id), room_id)


def _access(data: dict[str, Any]) -> list[str]:
    return ([practice_group(pk) for pk in live_seat_ids(data)]
            + [practice_counter_group(pk) for pk in live_counter_ids(data)])


def _current(data: dict[str, Any], query: dict[str, str]) -> list[tuple[str, Any]]:
    """A page opening (or reconnecting) now: a class counter's current list of phones, and her newest pretend
    result when it is newer than what her page was drawn with (`?seen=<bill id>`), so nothing is missed."""
    events: list[tuple[str, Any]] = [(SEATS, pk) for pk in live_counter_ids(data)]
    seen = query.get("seen", "")
    seen_id = int(seen) if seen.isdigit() else 0
    for pk in live_seat_ids(data):
        newest = PracticeBill.objects.filter(session_id=pk, pk__gt=seen_id).order_by("-pk").first()
        if newest is not None:
            events.append((RESULT, newest.pk))
    return events


def tell_her_page_it_was_refused(text: str) -> None:
    """A real counter refused her practice QR. Sent at once, not on commit: the counter's transaction is the one
    being rolled back, and nothing is written here anyway."""
    practice = practice_by_code_token(practice_token(text)[:64])
    if practice is not None:
        send_now([Event(REFUSED, to_practice(practice.pk), practice.pk)])


def register_practice_live() -> None:
    register_fragment(RESULT, "practice-result", _render_result)
    register_fragment(REFUSED, "practice-notice", _render_refused)
    register_fragment(SEATS, "practice-seats", _render_seats)
    register_practice_access(_access, _current)
    on_practice_code_refused(tell_her_page_it_was_refused)
