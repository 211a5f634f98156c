"""What the staff dashboard reads from feedback's tables, registered in core/insight_sources.py at start-up
(insights may not import feedback: docs/design.md §2). Plain numbers only; the dashboard does the rest."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from feedback.models import Complaint, Rating, SurveyResponse

DIMENSIONS = ("convenience", "negative", "service", "publicity", "standard", "recommend")


def satisfaction(start: dt.datetime, end: dt.datetime, region: str) -> dict:
    rows = SurveyResponse.objects.filter(created_at__gte=start, created_at__lt=end)
    if region:
        rows = rows.filter(person__region_code=region)
    aggregates = {"answers": Count("pk")}
    for rating in Rating:
        aggregates[rating.value] = Count("pk", filter=Q(rating=rating))
    for name in DIMENSIONS:
        aggregates[f"{name}_n"] = Count(name)
        aggregates[f"{name}_sum"] = Sum(name)
    got = rows.aggregate(**aggregates)
    return {"answers": got["answers"], "satisfied": got[Rating.SATISFIED.value], "okay": got[Rating.OKAY.value],
            "unsatisfied": got[Rating.UNSATISFIED.value],
            "dimensions": {name: (got[f"{name}_n"], got[f"{name}_sum"] or 0) for name in DIMENSIONS}}


def complaints(start: dt.datetime, end: dt.datetime, region: str) -> dict:
    """Complaints made in the period whose clock has run out or that were answered: was the answer in 24 h?
    One still inside its 24 hours and unanswered is not counted yet."""
    rows = Complaint.objects.filter(created_at__gte=start, created_at__lt=end).filter(
        Q(answered_at__isnull=False) | Q(due_by__lt=timezone.now()))
    if region:
        rows = rows.filter(person__region_code=region)
    got = rows.aggregate(due=Count("pk"), answered_in_time=Count("pk", filter=Q(answered_at__lte=F("due_by"))),
                         breached=Count("pk", filter=Q(breached=True)))
    return {"due": got["due"], "answered_in_time": got["answered_in_time"], "breached": got["breached"]}
