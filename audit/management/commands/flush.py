"""`manage.py flush`, which would erase the audit trail, refused unless the settings allow it (tests only).

The database refuses to delete audit events (audit/migrations/0002, 0003), so Django's own flush would fail
half-way. The test suite empties the database after every test that commits (pytest-django calls
`flush`): with ``AUDIT_TRAIL_FLUSHABLE = True`` (portal/settings/test.py only) this command lifts the
audit table's triggers, empties every table and puts the triggers back, all in one transaction.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import OperationalError, connections, transaction

AUDIT_TABLE = "audit_auditevent"


class Command(flush.Command):
    help = flush.Command.help + " Refused unless settings.AUDIT_TRAIL_FLUSHABLE (the test settings): " \
        "the audit trail is append-only."

    def handle(self, **options: Any) -> None:
        if not getattr(settings, "AUDIT_TRAIL_FLUSHABLE", False):
            raise CommandError(
                "flush would erase the audit trail, which is append-only. To start again from nothing, drop "
                "the database (or delete the SQLite file) and run migrate.")
        alias = options["database"]
        # Lifting the trigger locks the audit table before TRUNCATE locks the rest; a live server (the
        # service suite runs one) that holds another table and writes an audit row can then deadlock with
        # us. PostgreSQL picks one side to fail: when it is us, everything rolled back, so try again.
        for attempt in range(1, 6):
            try:
                self._flush(alias, **options)
                return
            except (OperationalError, CommandError) as exc:
                if attempt == 5 or "deadlock" not in str(exc.__cause__ or exc).lower():
                    raise
                time.sleep(0.2 * attempt)

    def _flush(self, alias: str, **options: Any) -> None:
        connection = connections[alias]
        with transaction.atomic(using=alias):
            if AUDIT_TABLE not in connection.introspection.table_names():
                super().handle(**options)
                return
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER USER")
                    super().handle(**options)
                    cursor.execute(f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER USER")
                elif connection.vendor == "sqlite":
                    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                                   [AUDIT_TABLE])
                    triggers = cursor.fetchall()
                    for name, _sql in triggers:
                        cursor.execute(f'DROP TRIGGER "{name}"')
                    super().handle(**options)
                    for _name, sql in triggers:
                        cursor.execute(sql)
                else:
                    super().handle(**options)
