"""On PostgreSQL, at the same instant: two staff approving one claim make one decision, book her year's
accumulators once and ask for one payout; the other is told it was already decided."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from conftest import document_photo, make_staff
from insurance.policy import Accumulator
from payments.models import Payout
from service.at_once import all_at_once
from services.actions import ServiceError, decide_claim, submit_claim
from services.claims import ClaimBill
from services.models import Claim, ClaimStatus

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"




def test_a_claim_approved_twice_at_once_books_once(services, mother, mother_user, institution):
    assert connection.vendor == "postgresql"
    bill = ClaimBill(institution_name=institution.name, institution_level=institution.level,
                     region_code=institution.region_code, visit_date=timezone.localdate() - dt.timedelta(days=3),
                     visit_type="outpatient", institution=institution,
                     items=[{"code": "", "name": "阿莫西林", "category": "A", "quantity": "1", "unit_price": "2000.00"}])
    claim = submit_claim(actor=mother_user, person=mother, via="self", bill=bill, invoice_total=Decimal("2000.00"),
                         destination="account", invoice_photo=document_photo(), slip_photo=document_photo())
    staff = [make_staff(f"+861330013310{n}", f"审核员{n}") for n in range(4)]
    results = all_at_once(4, lambda i: decide_claim(claim.pk, staff=staff[i], decision="approve"))
    won = [r for r in results if isinstance(r, Claim)]
    lost = [r for r in results if isinstance(r, ServiceError)]
    assert len(won) == 1 and len(lost) == 3, results
    claim.refresh_from_db()
    assert claim.booked and claim.status in (ClaimStatus.APPROVED, ClaimStatus.PAID)
    assert Payout.objects.filter(key=f"claim:{claim.public_id}").count() == 1
    assert Accumulator.objects.get(person=mother, year=claim.visit_date.year).fund_paid == claim.fund_pay
    assert AuditEvent.objects.filter(action="services.claim_approved").count() == 1
