"""`python manage.py seed_demo [--json]`: idempotent demo data, and the logins to try it with."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from insurance import demo
from portal.demo import seed_users


class Command(BaseCommand):
    help = "Create or refresh the demo people, family, workers and institutions; print the demo logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print the logins as JSON")

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            people = demo.seed_people()
            institutions = demo.seed_institutions()
            rules = demo.seed_policy_rules()
            demo.seed_service_rules()
            users = seed_users(people, institutions)
            staff = next(User.objects.get_by_phone(phone) for role, _name, phone in demo.WORKERS if role == "staff")
            terminals = demo.seed_offline_terminals(created_by=staff)
        info = {
            "people": len(demo.demo_people()),
            "policy_rules": rules,
            "citizens": [
                {"who": "82-year-old mother (never signed in)", "name": people["mother"].name,
                 "id_number": people["mother"].id_number, "phone": people["mother"].phone},
                {"who": "her son, in Shanghai", "name": people["son"].name,
                 "id_number": people["son"].id_number, "phone": people["son"].phone},
                {"who": "her daughter", "name": people["daughter"].name,
                 "id_number": people["daughter"].id_number, "phone": people["daughter"].phone},
            ],
            "workers": [
                {"role": role, "name": name, "phone": phone, "password": demo.DEMO_PASSWORD,
                 "totp_secret_base32": demo.demo_totp_base32()}
                for role, name, phone in demo.WORKERS
            ],
            "institution_api": {"name": institutions[0].name, "key_id": demo.DEMO_API_KEY_ID,
                                "secret": demo.DEMO_API_SECRET},
            "offline_terminals": [
                {"institution": t.institution.name, "name": t.name, "key_id": t.key_id, "secret": t.secret,
                 "floor_limit_yuan": str(settings.OFFLINE_FLOOR_LIMIT_YUAN)}
                for t in terminals
            ],
            "sms_codes": "/dev/outbox/ (DEBUG only)",
            "users": users,
        }
        if options["json"]:
            self.stdout.write(json.dumps(info, ensure_ascii=False, indent=2))
            return
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {info['people']} insured people, {rules} reimbursement rules."))
        self.stdout.write("Citizens (sign in with the phone; SMS codes appear at /dev/outbox/):")
        for c in info["citizens"]:
            self.stdout.write(f"  {c['who']}: {c['name']}  ID {c['id_number']}  phone {c['phone']}")
        self.stdout.write("Workers (phone + password, then the TOTP code from an authenticator app):")
        for w in info["workers"]:
            self.stdout.write(f"  {w['role']}: {w['name']}  phone {w['phone']}  password {w['password']}")
        self.stdout.write(f"  TOTP secret for all demo workers (base32): {demo.demo_totp_base32()}")
        api = info["institution_api"]
        self.stdout.write(f"Institution API ({api['name']}): key id {api['key_id']}  secret {api['secret']}")
        for t in info["offline_terminals"]:
            self.stdout.write(f"Offline terminal ({t['institution']}, {t['name']}): key id {t['key_id']}  "
                              f"secret {t['secret']}  (signs /api/v1/settlements/batch, or enrol a counter browser "
                              f"at /counter/offline/; at most {t['floor_limit_yuan']} yuan per offline settlement)")
