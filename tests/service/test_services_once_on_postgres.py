"""On PostgreSQL, at the same instant: two staff deciding one filing (or one application) make one decision,
one audit row and one SMS to her; six presses of "提交" for one chronic-disease application make one
application; her and her son filing the same trip at once make one filing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import OutboundMessage
from audit.kinds import Kind
from audit.models import AuditEvent
from conftest import document_photo, make_staff
from core import crypto
from family.actions import invite_proxy
from insurance.filings import ChronicCondition, Entitlement, Filing, ReviewStatus, Via
from service.at_once import all_at_once
from services.actions import ServiceError, apply_entitlement, decide_entitlement, decide_filing, submit_filing

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

SHANGHAI = "310000"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"




def referral(mother, mother_user) -> Filing:
    start = timezone.localdate() + dt.timedelta(days=2)
    return submit_filing(actor=mother_user, person=mother, via=Via.SELF, filing_type="referral", region_code=SHANGHAI,
                         valid_from=start, valid_until=start + dt.timedelta(days=30), hospital="中山医院",
                         photos=[("转诊转院证明", document_photo())], promised=True)


def test_two_staff_deciding_one_filing_at_once_make_one_decision(services, mother, mother_user):
    assert connection.vendor == "postgresql"
    filing = referral(mother, mother_user)
    approver, refuser = make_staff("+8613300133001", "审核员1"), make_staff("+8613300133002", "审核员2")
    to_her = OutboundMessage.objects.filter(phone_index=crypto.blind_index("phone", mother.phone))
    texts_before = to_her.count()

    def decide(i: int):
        if i == 0:
            return decide_filing(filing.pk, staff=approver, decision="approve")
        return decide_filing(filing.pk, staff=refuser, decision="refuse", reason="转诊证明不全")

    results = all_at_once(2, decide)
    won = [r for r in results if isinstance(r, Filing)]
    lost = [r for r in results if isinstance(r, ServiceError)]
    assert len(won) == 1 and len(lost) == 1, results
    filing.refresh_from_db()
    assert filing.status == won[0].status and filing.decided_by == won[0].decided_by
    decisions = AuditEvent.objects.filter(action__in=[Kind.FILING_APPROVED, Kind.FILING_REFUSED])
    assert decisions.count() == 1
    assert to_her.count() == texts_before + 1


def test_two_staff_deciding_one_application_at_once_make_one_decision(services, mother, mother_user):
    application = apply_entitlement(actor=mother_user, person=mother, via=Via.SELF,
                                    condition=ChronicCondition.objects.get(code="M03900"), hospital="浙大一院",
                                    photo=document_photo())
    first, second = make_staff("+8613300133001", "审核员1"), make_staff("+8613300133002", "审核员2")
    results = all_at_once(2, lambda i: decide_entitlement(application.pk, staff=(first, second)[i],
                                                          decision="approve"))
    assert sum(isinstance(r, Entitlement) for r in results) == 1, results
    assert sum(isinstance(r, ServiceError) for r in results) == 1, results
    assert AuditEvent.objects.filter(action=Kind.ENTITLEMENT_APPROVED).count() == 1


def test_six_presses_of_apply_at_once_make_one_application(services, mother, mother_user):
    condition = ChronicCondition.objects.get(code="M01600")
    results = all_at_once(6, lambda i: apply_entitlement(actor=mother_user, person=mother, via=Via.SELF,
                                                         condition=condition, hospital="浙大一院", photo=document_photo()))
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, ServiceError)], results
    assert Entitlement.objects.filter(person=mother, condition=condition).count() == 1
    assert {r.pk for r in results if isinstance(r, Entitlement)} <= {Entitlement.objects.get().pk}


def test_her_and_her_son_filing_the_same_trip_at_once_make_one_filing(services, mother, mother_user, son):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["act"])
    start = timezone.localdate()

    def file(i: int):
        actor, via = ((mother_user, Via.SELF), (son, Via.PROXY))[i]
        return submit_filing(actor=actor, person=mother, via=via, filing_type="temporary", region_code=SHANGHAI,
                             valid_from=start, valid_until=start + dt.timedelta(days=20), photos=[], promised=True,
                             grant_id=grant.pk if via == Via.PROXY else None)

    results = all_at_once(2, file)
    assert sum(isinstance(r, Filing) for r in results) == 1, results
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(refused) == 1 and "上海" in refused[0].message
    assert Filing.objects.filter(person=mother, status=ReviewStatus.APPROVED).count() == 1
