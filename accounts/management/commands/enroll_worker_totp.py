"""`manage.py enroll_worker_totp --phone 13600136004 [--replace]`: give a helper, operator or staff member
the authenticator (TOTP) they need for the worker sign-in, and show its QR code once, on this terminal.

TOTP devices are not in the admin (their secrets would be on a web page), so a superuser or operator of
the servers enrols workers here and the worker scans the code on the spot (docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actions import AuthenticatorExists, enroll_worker_totp
from accounts.models import User
from core.qr import qr_text
from insurance.identity import InvalidIdentifier, normalize_mobile


class Command(BaseCommand):
    help = "Enrol a worker's authenticator app (TOTP) and print its QR code once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", required=True, help="the worker's mobile number")
        parser.add_argument("--replace", action="store_true", help="remove the worker's existing authenticator")

    def handle(self, *args: Any, phone: str, replace: bool, **options: Any) -> None:
        try:
            phone_e164 = normalize_mobile(phone)
        except InvalidIdentifier as exc:
            raise CommandError("not a mobile number") from exc
        user = User.objects.get_by_phone(phone_e164)
        if user is None or not (user.is_worker or user.is_superuser):
            raise CommandError("no helper, operator or staff account has this number")
        try:
            device = enroll_worker_totp(user, replace=replace)
        except AuthenticatorExists:
            raise CommandError("this worker already has an authenticator; add --replace to change it") from None
        picture = qr_text(device.config_url)
        self.stdout.write(f"Authenticator for {user.audit_label}: scan this with the worker's app now.")
        self.stdout.write(picture)
        self.stdout.write("It is shown only this once.")
