"""`python manage.py prepare_stack`: what `make run-prod` does before it starts the processes: the database
(created if missing), migrations, static files (compressed, with hashed names served as immutable), the
pre-built voice guides and, with `--demo`, the demo people (docs/scale.md, README "Production")."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from psycopg import sql


def ensure_database(database_url: str) -> bool:
    """CREATE DATABASE when it is not there yet. True if it was created."""
    parts = urlsplit(database_url)
    name = unquote(parts.path.lstrip("/"))
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


class Command(BaseCommand):
    help = "Create the database if missing, migrate, collect static files and build the voice guides."
    requires_system_checks: list[str] = []  # the database may not exist yet

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="also seed the demo people and institution")

    def handle(self, *args, demo: bool = False, **options) -> None:
        url = settings.DATABASE_URL
        if not url or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("The production stack runs on PostgreSQL: set DATABASE_URL=postgres://…")
        if not settings.REDIS_URL:
            raise CommandError("The production stack needs Redis: set REDIS_URL=redis://…")
        try:
            if ensure_database(url):
                self.stdout.write(f"created database {urlsplit(url).path.lstrip('/')}")
        except psycopg.Error as exc:
            raise CommandError(f"PostgreSQL at {urlsplit(url).hostname}:{urlsplit(url).port} did not answer: {exc}") from None
        call_command("migrate", interactive=False, verbosity=0)
        if demo:
            call_command("seed_demo")
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("build_voice_guides")
        self.stdout.write("ready")
