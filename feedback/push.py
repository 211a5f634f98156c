"""Live status and SMS for complaints and reports: on commit, the complaint's status card goes to her open pages
and to the pages of the proxies who may see her requests (`core.acting_for.people_to_tell`), in the element
`#complaint-<public_id>` (hx-swap-oob), so her page shows the bureau's answer the moment it is sent.
Registered at start-up by FeedbackConfig.ready (fragments render once per language, not once per page)."""

from __future__ import annotations

import math
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.actions import send_notice
from core.acting_for import people_to_tell
from feedback.models import Complaint, ComplaintStatus, Rating
from live import Event, publish_all, register_fragment, to_person, to_user

COMPLAINT = "feedback.complaint"
TEMPLATE = "feedback/_complaint_status.html"


def clock_text(complaint: Complaint, now=None) -> str:
    """"还有X小时答复" in words for her and her son (never colour alone)."""
    if complaint.answered_at is not None:
        return _("已答复") if complaint.status != ComplaintStatus.CLOSED else _("已办结")
    now = now or timezone.now()
    if complaint.due_by <= now:
        return _("已超过24小时还没有答复，已交上级督办。")
    hours = max(1, math.ceil((complaint.due_by - now).total_seconds() / 3600))
    return _("还有%(n)d小时答复") % {"n": hours}


def status_context(complaint: Complaint) -> dict[str, Any]:
    return {"c": complaint, "clock": clock_text(complaint), "replies": list(complaint.replies.all()),
            "ratings": Rating.choices, "message": "", "live": False}


def _load(ref: Any) -> Complaint | None:
    if isinstance(ref, Complaint):
        return ref
    return Complaint.objects.select_related("person").filter(pk=ref).first()


def _render(ref: Any, language: str) -> str | None:
    complaint = _load(ref)
    if complaint is None:
        return None
    with translation.override(language):
        return render_to_string(TEMPLATE, {**status_context(complaint), "live": True})


def push_complaint(complaint_id: int) -> None:
    complaint = _load(complaint_id)
    if complaint is None:
        return
    events = [Event(COMPLAINT, to_person(complaint.person_id), complaint.pk)]
    events += [Event(COMPLAINT, to_user(user.pk), complaint.pk) for user in people_to_tell(complaint.person)]
    publish_all(events)


def tell_her_and_family(person, for_her: str, for_family: str = "") -> None:
    """One SMS to her and one to each proxy who may see her requests; `for_family` has %(name)s for her masked
    name. Sent on commit (accounts outbox)."""
    send_notice(person.phone, for_her)
    if not for_family:
        return
    for user in people_to_tell(person):
        if user.phone != person.phone:
            send_notice(user.phone, for_family % {"name": person.masked_name})


def register_feedback_live() -> None:
    register_fragment(COMPLAINT, "complaint-status", _render)
