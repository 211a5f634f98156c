"""Noticing that someone is about to give up, so the page can offer help at once ("请家人帮我" /
"请帮办员打电话给我", docs/architecture.md "Give-up rescue").

Counts live in her session, per step ("activation", "sign_in"): three failures of the same step, running out of
code attempts, or leaving activation halfway and coming back. What is kept is only which step and which field
went wrong ("id_number", "code"), never what was typed: the call-back request copies it into plain words
(feedback/rescue.py), so nothing secret can reach a helper's queue.
"""

from __future__ import annotations

from typing import TypedDict

from django.http import HttpRequest

SESSION_KEY = "rescue"
# The third failure of the same step is when people give up (docs/architecture.md "Give-up rescue").
FAILURES_BEFORE_OFFER = 3

REPEATED = "repeated"  # the same step failed three times
OUT_OF_CODES = "out_of_codes"  # no code attempts left (budget spent, code void, phone locked)
ABANDONED = "abandoned"  # activation started, left, and the home page opened again


class Offer(TypedDict):
    step: str
    reason: str
    field: str
    failures: int


def _state(request: HttpRequest) -> dict:
    state = request.session.get(SESSION_KEY)
    return state if isinstance(state, dict) else {}


def _save(request: HttpRequest, state: dict) -> None:
    request.session[SESSION_KEY] = state


def note_failure(request: HttpRequest, step: str, *, field: str = "", out_of_attempts: bool = False) -> None:
    """One more failure of `step`; `field` names which box was wrong. Out of attempts offers help at once."""
    state = _state(request)
    failures = dict(state.get("failures") or {})
    failures[step] = int(failures.get(step, 0)) + 1
    state["failures"] = failures
    if out_of_attempts or failures[step] >= FAILURES_BEFORE_OFFER:
        state["offer"] = Offer(step=step, reason=OUT_OF_CODES if out_of_attempts else REPEATED, field=field,
                               failures=failures[step])
    _save(request, state)


def note_success(request: HttpRequest, step: str) -> None:
    """The step went through: its count starts again and any offer for it is withdrawn."""
    state = _state(request)
    failures = dict(state.get("failures") or {})
    failures.pop(step, None)
    state["failures"] = failures
    if (state.get("offer") or {}).get("step") == step:
        state.pop("offer", None)
    _save(request, state)


def note_started(request: HttpRequest, step: str) -> None:
    """She is part-way through `step` (e.g. activation): leaving now is giving up halfway."""
    state = _state(request)
    started = set(state.get("started") or [])
    if step not in started:
        state["started"] = sorted(started | {step})
        _save(request, state)


def note_finished(request: HttpRequest, step: str) -> None:
    """The whole of `step` is done: nothing to rescue any more."""
    state = _state(request)
    state["started"] = [s for s in state.get("started") or [] if s != step]
    _save(request, state)
    note_success(request, step)


def note_came_back(request: HttpRequest, step: str) -> bool:
    """She opened the home page again with `step` unfinished: that is giving up halfway. True once, then the
    step counts as left (the offer stays for the call-back page until she asks or finishes)."""
    state = _state(request)
    if step not in (state.get("started") or []):
        return False
    state["started"] = [s for s in state["started"] if s != step]
    state["offer"] = Offer(step=step, reason=ABANDONED, field="", failures=0)
    _save(request, state)
    return True


def should_offer(request: HttpRequest, step: str | None = None) -> Offer | None:
    """The offer to show on this page (for `step`, or any step when None), if she is giving up."""
    offer = _state(request).get("offer")
    if not isinstance(offer, dict) or (step is not None and offer.get("step") != step):
        return None
    return Offer(step=str(offer.get("step", "")), reason=str(offer.get("reason", "")),
                 field=str(offer.get("field", "")), failures=int(offer.get("failures", 0) or 0))


def last_offer(request: HttpRequest) -> Offer | None:
    """What the call-back page records as "what went wrong": the latest offer, whichever step."""
    return should_offer(request)


def clear_offer(request: HttpRequest) -> None:
    """Help was asked for: the offer has done its job, and that step's count starts again."""
    state = _state(request)
    offer = state.pop("offer", None)
    if isinstance(offer, dict):
        state["failures"] = {k: v for k, v in (state.get("failures") or {}).items() if k != offer.get("step")}
        _save(request, state)
