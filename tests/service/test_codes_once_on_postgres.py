"""On PostgreSQL, at the same instant: one code shown to ten counters pays one bill. The unique nonce of the used
code decides, inside each settlement's transaction, with no question asked first and no savepoint
(vouchers/actions.py `consume_code`): the other nine are told the code was used and leave nothing behind."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from audit.kinds import Kind
from audit.models import AuditEvent
from service.at_once import all_at_once
from settlement.actions import ItemIn, SettlementError, submit_settlement
from settlement.models import Settlement
from vouchers.codes import issue_code_token
from vouchers.models import UsedCodeToken
from vouchers.selectors import voucher_of

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


def test_one_code_at_ten_counters_at_once_pays_one_bill(services, mother, mother_user, institution):
    assert connection.vendor == "postgresql"
    token = issue_code_token(voucher_of(mother).public_id)

    def counter(n: int) -> Settlement:  # each counter its own bill
        bill = [ItemIn("X01", "阿莫西林胶囊", "A", Decimal(n + 1), Decimal("25.00"))]
        return submit_settlement(institution=institution, code=token, visit_type="outpatient", items=bill)

    results = all_at_once(10, counter)

    paid = [r for r in results if isinstance(r, Settlement)]
    refused = [r for r in results if isinstance(r, SettlementError)]
    assert len(paid) == 1 and len(refused) == 9, results
    assert {(r.status, r.error) for r in refused} == {(409, "code_used")}
    assert all("用过" in r.message for r in refused)
    assert Settlement.objects.filter(person=mother).count() == 1
    assert UsedCodeToken.objects.filter(voucher__person=mother).count() == 1
    assert AuditEvent.objects.filter(subject=mother, action=Kind.CODE_USED).count() == 1
    assert AuditEvent.objects.filter(subject=mother, action=Kind.SETTLEMENT_RECEIVED).count() == 1
