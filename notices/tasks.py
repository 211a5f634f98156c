"""Beat jobs of notices. Safe to run twice or on two workers at once."""

from __future__ import annotations

from celery import shared_task

from notices import actions


@shared_task(acks_late=True)
def release_held_notices() -> int:
    """Every few minutes: the notices held back by quiet hours whose hours have ended."""
    return actions.release_held()


@shared_task(acks_late=True)
def send_weekly_digests() -> int:
    """Monday 09:00: the weekly digest to each proxy (one per proxy and week)."""
    return actions.send_weekly_digests()
