"""`python manage.py build_voice_guides`: make the audio of every fixed voice guide (run by `make run`)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from elder_mode.voice.engines import get_chain
from elder_mode.voice.prebuild import GuideResult, build_guides


class Command(BaseCommand):
    help = "Pre-generate the spoken guides of every step (Mandarin and Cantonese, normal and slow) into the cache."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=4, help="guides made at once (default 4)")

    def handle(self, *args, **options) -> None:
        chain = get_chain()
        for engine in chain.engines:
            if not engine.available():
                self.stdout.write(self.style.WARNING(
                    f"voice engine {engine.name} is not available here (espeak-ng, SoX with MP3, gTTS?); skipped"))
        self.stdout.write(f"voice engines in order: {', '.join(chain.names) or 'none'}; cache {settings.VOICE_CACHE_DIR}")

        def show(result: GuideResult) -> None:
            line = result.describe()
            self.stdout.write(self.style.WARNING(line) if result.engine is None else line)

        results = build_guides(workers=options["workers"], on_result=show)
        made = sum(1 for r in results if r.engine and not r.cached)
        cached = sum(1 for r in results if r.engine and r.cached)
        missing = sum(1 for r in results if r.engine is None)
        summary = f"voice guides: {made} new, {cached} already cached, {missing} without audio"
        if missing:
            summary += " — pages still show the text; install espeak-ng and sox (make system-deps) for voice"
            self.stdout.write(self.style.WARNING(summary))
        else:
            self.stdout.write(self.style.SUCCESS(summary))
