"""Staff review of 手工报销 in the one queue: the invoice photos and the items, approve / return / refuse.
Approval books the visit day's split once and asks payments (the real payouts module) for the fund's share;
when the payout is paid, she sees the money and why, live and by SMS."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import OutboundMessage
from audit.models import AuditEvent
from conftest import client_for, document_photo, make_staff, worker_client
from family.actions import invite_proxy
from insurance.policy import Accumulator
from live.fragments import render
from live.publish import to_person, to_user
from payments import payouts
from payments.models import Payout
from services import actions, push
from services.claims import ClaimBill
from services.models import Claim, ClaimStatus


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def staff_client(staff):
    return worker_client(staff)



def her_claim(person, user, institution, destination="account") -> Claim:
    bill = ClaimBill(institution_name=institution.name, institution_level=institution.level,
                     region_code=institution.region_code, visit_date=timezone.localdate() - dt.timedelta(days=5),
                     visit_type="outpatient", institution=institution,
                     items=[{"code": "", "name": "阿莫西林", "category": "A", "quantity": "1", "unit_price": "2000.00"}])
    return actions.submit_claim(actor=user, person=person, via="self", bill=bill, invoice_total=Decimal("2000.00"),
                                destination=destination, invoice_photo=document_photo(), slip_photo=document_photo())


def test_claims_wait_in_the_one_queue_with_their_clock(staff_client, mother, mother_user, institution):
    claim = her_claim(mother, mother_user, institution)
    page = staff_client.get("/staff/services/?kind=claim").content.decode()
    assert "手工报销" in page and "还剩" in page and f"/staff/services/claims/{claim.public_id}/" in page
    detail = staff_client.get(f"/staff/services/claims/{claim.public_id}/").content.decode()
    assert "阿莫西林" in detail and "发票" in detail and "付款凭证" in detail and 'data-testid="decision-form"' in detail


def test_citizens_may_not_open_the_staff_review(mother_client, mother, mother_user, institution):
    claim = her_claim(mother, mother_user, institution)
    assert mother_client.get(f"/staff/services/claims/{claim.public_id}/").status_code in (302, 403, 404)


def test_approval_books_once_pays_the_fund_share_and_she_sees_why(staff_client, staff, mother, mother_user,
                                                                  institution, django_capture_on_commit_callbacks):
    claim = her_claim(mother, mother_user, institution)
    balance = mother.account_balance
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/staff/services/claims/{claim.public_id}/", {"decision": "approve"})
    assert response.status_code == 302
    claim.refresh_from_db()
    mother.refresh_from_db()
    assert claim.booked and claim.fund_pay > 0 and claim.account_pay == 0
    assert claim.fund_pay + claim.self_pay == claim.total
    payout = Payout.objects.get(key=f"claim:{claim.public_id}")
    assert payout.amount == claim.fund_pay and claim.payout == payout
    # "account": paid at once by the payouts task on commit (eager in tests), her balance credited once
    assert claim.status == ClaimStatus.PAID, claim.status
    assert mother.account_balance == balance + claim.fund_pay
    acc = Accumulator.objects.get(person=mother, year=claim.visit_date.year)
    assert acc.fund_paid == claim.fund_pay
    assert AuditEvent.objects.filter(action="services.claim_approved").count() == 1
    assert AuditEvent.objects.filter(action="services.claim_paid").count() == 1
    texts = [m.body for m in OutboundMessage.objects.filter(phone_index=mother.phone_index)]
    assert any("已通过" in t for t in texts) and any("已经打到" in t for t in texts)
    page = client_for(mother_user).get(f"/services/claims/{claim.public_id}/").content.decode()
    assert "已经存进您的医保个人账户" in page and str(claim.fund_pay) in page and 'data-testid="why-paid"' in page
    # deciding again changes nothing
    again = staff_client.post(f"/staff/services/claims/{claim.public_id}/", {"decision": "approve"})
    assert again.status_code == 409
    acc.refresh_from_db()
    assert acc.fund_paid == claim.fund_pay and Payout.objects.count() == 1


def test_a_bank_payout_waits_until_the_provider_says_paid(staff, mother, mother_user, institution,
                                                          django_capture_on_commit_callbacks):
    mother.bank_name, mother.bank_account = "工商银行", "6222020202021234"
    mother.save()
    claim = her_claim(mother, mother_user, institution, destination="bank")
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_claim(claim.pk, staff=staff, decision="approve")
    claim.refresh_from_db()
    assert claim.status in (ClaimStatus.APPROVED, ClaimStatus.PAID)
    if claim.status == ClaimStatus.APPROVED:
        with django_capture_on_commit_callbacks(execute=True):
            payouts.mark_paid(claim.payout_id, provider_ref="T1")
        claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_the_pushed_fragment_fills_its_own_place(mother, mother_user, institution):
    claim = her_claim(mother, mother_user, institution)
    html = render(push.CLAIM, claim, "zh-hans")
    assert f'id="claim-{claim.public_id}"' in html and "正在审核" in html


@pytest.mark.parametrize("decision", ["return", "refuse"])
def test_a_return_or_refusal_needs_a_reason_and_tells_her(staff_client, mother, mother_user, institution, decision,
                                                          django_capture_on_commit_callbacks):
    claim = her_claim(mother, mother_user, institution)
    assert staff_client.post(f"/staff/services/claims/{claim.public_id}/", {"decision": decision}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/staff/services/claims/{claim.public_id}/",
                          {"decision": decision, "reason": "发票照片看不清楚"})
    claim.refresh_from_db()
    assert claim.status == (ClaimStatus.RETURNED if decision == "return" else ClaimStatus.REFUSED)
    assert not claim.booked and not Payout.objects.exists()
    assert "发票照片看不清楚" in OutboundMessage.objects.filter(phone_index=mother.phone_index).latest("id").body


def test_only_staff_may_decide_even_through_the_action(mother, mother_user, institution, helper):
    claim = her_claim(mother, mother_user, institution)
    with pytest.raises(actions.ServiceError):
        actions.decide_claim(claim.pk, staff=helper, decision="approve")


def test_every_state_reaches_her_and_her_son_live_and_by_sms(staff, mother, mother_user, son, institution, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["view_records"])
    pushed = []
    monkeypatch.setattr(push, "publish_all", lambda events: pushed.extend(events))
    with django_capture_on_commit_callbacks(execute=True):
        claim = her_claim(mother, mother_user, institution)
    his = OutboundMessage.objects.filter(phone_index=son.phone_index)
    assert "您的家人王**" in his.latest("id").body and "报销申请已提交" in his.latest("id").body
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_claim(claim.pk, staff=staff, decision="return", reason="付款凭证看不清")
    assert "付款凭证看不清" in his.latest("id").body
    audiences = {event.audience for event in pushed if event.kind == push.CLAIM}
    assert audiences == {to_person(mother.pk), to_user(son.pk)}
    assert any(event.kind == push.CLAIM_ADDED for event in pushed)
