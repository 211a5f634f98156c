"""Celery tasks of elder mode. They take keys, never personal data, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from elder_mode.voice.prebuild import build_guides


@shared_task(ignore_result=True)
def build_voice_guides() -> dict[str, int]:
    """Pre-generate every fixed voice guide (all languages and rates) into the disk cache."""

    results = build_guides()
    return {
        "new": sum(1 for r in results if r.engine and not r.cached),
        "cached": sum(1 for r in results if r.engine and r.cached),
        "missing": sum(1 for r in results if r.engine is None),
    }
