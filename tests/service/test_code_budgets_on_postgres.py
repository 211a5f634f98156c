"""A real family's hour on PostgreSQL with the identity-check counts in Redis: activation, her
son's consent and a helper's consent for the same mother, each resent, at a busy help point, and none is
refused; the purposes are told apart on PostgreSQL as on SQLite."""

from __future__ import annotations

import pytest

from accounts.actions import OtpError, match_person, send_one_time_code
from accounts.models import OneTimeCode, Purpose
from conftest import make_person

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

HELP_POINT = "203.0.113.40"


def test_a_mothers_busy_hour_is_not_refused_for_the_code_budget_on_postgres(services, settings, monkeypatch):
    monkeypatch.setattr("accounts.actions.queue_delivery", lambda pk: None)  # this test is about the counts
    settings.OTP_RESEND_AFTER_SECONDS = 0
    settings.OTP_MAX_PER_IP_PER_HOUR = 2
    mother = make_person(name="王秀英")
    for n in range(2):  # her neighbours use up the help point's address
        send_one_time_code(phone_e164=f"+8613912345{600 + n}", purpose=Purpose.SIGN_IN, ip=HELP_POINT)

    for n in range(3):  # her phone, on the mobile network's changing addresses
        send_one_time_code(phone_e164=mother.phone, purpose=Purpose.IDENTITY, ip=f"198.51.100.{10 + n}")
    for n in range(3):  # her son's phone, far away
        send_one_time_code(phone_e164=mother.phone, purpose="c41", ip=f"198.51.100.{20 + n}")
    assert match_person(name="王秀英", id_number=mother.id_number, ip=HELP_POINT, kiosk_id=7) == mother
    for _ in range(2):
        send_one_time_code(phone_e164=mother.phone, purpose="a17", ip=HELP_POINT, kiosk_id=7)

    assert OneTimeCode.objects.filter(phone_index=mother.phone_index).count() == 8
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 3
    with pytest.raises(OtpError, match="分钟后再试"):
        send_one_time_code(phone_e164=mother.phone, purpose="c41", ip="198.51.100.30")
    send_one_time_code(phone_e164=mother.phone, purpose="a17", ip=HELP_POINT, kiosk_id=7)  # its own budget
