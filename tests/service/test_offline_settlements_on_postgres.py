"""On PostgreSQL, at the same instant: eight presses of "不是我本人" open one dispute, and two institutions
uploading the same voucher's offline captures together still flag each other."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from conftest import register_offline_counter
from insurance.models import Institution
from service.at_once import all_at_once
from settlement.actions import ItemIn, report_not_me, submit_settlement
from settlement.models import Reporter, Settlement, SettlementDispute
from vouchers.codes import issue_code_token

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

PILLS = ItemIn("Y0001", "阿莫西林胶囊", "A", Decimal("2"), Decimal("25.00"))


def offline_capture(institution, person, minutes_ago: float):
    counter = register_offline_counter(institution, name=f"窗口{uuid.uuid4().hex[:4]}")
    captured_at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    code = issue_code_token(person.voucher.public_id, now=int(captured_at.timestamp()) - 5)
    return dict(institution=institution, code=code, visit_type="outpatient", items=[PILLS], captured_at=captured_at,
                client_id=str(uuid.uuid4()), terminal=counter.terminal)


def test_eight_presses_of_not_me_at_the_same_instant_open_one_dispute(services, institution, mother_user, mother):
    assert connection.vendor == "postgresql"
    settlement = submit_settlement(**offline_capture(institution, mother, minutes_ago=3))
    outcomes = all_at_once(8, lambda i: report_not_me(settlement, reporter=Reporter.PRINCIPAL, user=mother_user))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert SettlementDispute.objects.count() == 1
    assert sum(1 for _dispute, opened in outcomes if opened) == 1
    assert len({dispute.pk for dispute, _opened in outcomes}) == 1
    assert AuditEvent.objects.filter(action="settlement.disputed").count() == 1


def test_two_institutions_uploading_the_same_vouchers_captures_together_flag_each_other(
        services, institution, mother_user, mother):
    pharmacy = Institution.objects.create(code="P8", name="街口药房", level="pharmacy", region_code="330100",
                                          api_key_id="p8", api_secret="p8-secret-0123456789")
    captures = [offline_capture(institution, mother, minutes_ago=6), offline_capture(pharmacy, mother, minutes_ago=2)]
    started = time.monotonic()
    outcomes = all_at_once(2, lambda i: submit_settlement(**captures[i]))
    assert time.monotonic() - started < 20
    assert all(isinstance(o, Settlement) for o in outcomes), outcomes
    assert list(Settlement.objects.values_list("flagged", flat=True)) == [True, True]
    assert AuditEvent.objects.filter(action="settlement.offline_flagged").count() == 1
