"""Mark dialect clips stale whose guide's Mandarin words changed since they were recorded (run after a deploy
that changes guides; the pages compute staleness on read anyway)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from elder_mode.packs.actions import mark_stale_clips


class Command(BaseCommand):
    help = "Mark dialect voice clips stale when their guide's text changed."

    def handle(self, *args, **options) -> None:
        count = mark_stale_clips()
        self.stdout.write(f"{count} clip(s) marked stale")
