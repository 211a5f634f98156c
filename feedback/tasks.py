"""Periodic jobs for feedback. Tasks take ids, never objects or personal data, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from feedback.actions import watch_the_clock


@shared_task
def watch_complaint_clocks() -> tuple[int, int]:
    """Every minute from beat: escalate at 20 hours, mark breaches after 24 (feedback/actions.py)."""
    return watch_the_clock()
