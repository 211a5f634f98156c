"""Periodic jobs for learn. Safe to run twice: deleting what has already gone deletes nothing."""

from __future__ import annotations

from celery import shared_task

from learn.actions import delete_expired_practices


@shared_task
def delete_expired_practice_sessions() -> int:
    """Every 10 minutes from beat: practices are kept PRACTICE_HOURS (learn/models.py), then removed."""
    return delete_expired_practices()
