"""`manage.py create_app_role [--role yibaotong_app] [--execute]`: the PostgreSQL role the app runs as.

Run it as the role that owns the tables (the one that runs `migrate`). The role it creates may read and
write every table, but on the audit trail only SELECT and INSERT; it owns nothing, so it can neither
TRUNCATE, DISABLE TRIGGER, ALTER nor DROP the audit table. Default privileges give it the same rights on
tables that later migrations create. Without --execute it prints the SQL for a DBA to review and run.
Running it again is harmless (README, "Production setup").
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

AUDIT_TABLES = ("audit_auditevent",)
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def role_sql(*, role: str, database: str, schema: str, quote: Any) -> list[str]:
    """The statements, in order. `role` must already match ROLE_NAME (it also appears as a literal)."""
    r, s = quote(role), quote(schema)
    statements = [
        # CREATE ROLE has no IF NOT EXISTS.
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; END $$",
        f"GRANT CONNECT ON DATABASE {quote(database)} TO {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        # Tables the owner creates later (migrations) get the same rights.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    for table in AUDIT_TABLES:
        statements.append(f"REVOKE ALL ON {s}.{quote(table)} FROM {r}")
        statements.append(f"GRANT SELECT, INSERT ON {s}.{quote(table)} TO {r}")
    return statements


class Command(BaseCommand):
    help = "Create (or print the SQL for) the PostgreSQL role the app runs as: it cannot rewrite the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default="yibaotong_app", help="role name (default: yibaotong_app)")
        parser.add_argument("--schema", default="public", help="schema holding the tables (default: public)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias to connect with")
        parser.add_argument("--execute", action="store_true",
                            help="run the SQL now (as the owner of the tables); without it, only print it")

    def handle(self, *args: Any, role: str, schema: str, database: str, execute: bool, **options: Any) -> None:
        if not ROLE_NAME.match(role) or not ROLE_NAME.match(schema):
            raise CommandError("--role and --schema take lower-case letters, digits and _ (up to 63, not first a digit)")
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("create_app_role is for PostgreSQL. The embedded SQLite database has no roles; "
                               "there the audit table is protected by triggers only.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            current_user, database_name = cursor.fetchone()
            if role == current_user:
                raise CommandError(f"{role} is the role running this command: the app role must be another role, "
                                   "one that owns nothing.")
            for table in AUDIT_TABLES:
                cursor.execute(
                    "SELECT tableowner, pg_has_role(%s, tableowner, 'MEMBER') FROM pg_tables "
                    "WHERE schemaname = %s AND tablename = %s",
                    [current_user, schema, table])
                row = cursor.fetchone()
                if row is None:
                    raise CommandError(f"{schema}.{table} does not exist yet: run `manage.py migrate` first.")
                owner, may_act_as_owner = row
                if not may_act_as_owner:
                    raise CommandError(f"Run this as the owner of {schema}.{table} ({owner}), the role that "
                                       "runs migrate.")
                cursor.execute("SELECT 1 FROM pg_roles r JOIN pg_roles o ON o.rolname = %s "
                               "WHERE r.rolname = %s AND (r.rolsuper OR pg_has_role(r.oid, o.oid, 'MEMBER'))",
                               [owner, role])
                if cursor.fetchone() is not None:
                    raise CommandError(f"{role} is a superuser or (a member of) {owner}, the owner of the audit "
                                       "trail: it could disable its triggers. Choose a role that owns nothing.")
        statements = role_sql(role=role, database=database_name, schema=schema, quote=connection.ops.quote_name)
        if not execute:
            self.stdout.write("-- Run as the owner of the tables (the role that runs migrate):")
            for statement in statements:
                self.stdout.write(statement + ";")
            self.stdout.write(f"-- Then give {role} a password (psql: \\password {role}) and run the app with "
                              f"DATABASE_URL=postgres://{role}:...@host/{database_name}")
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(self.style.SUCCESS(
            f"Role {role} can use every table of {database_name}; on the audit trail it may only read and add. "
            f"Give it a password (psql: \\password {role}) and run the app with it."))
