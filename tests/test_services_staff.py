"""The staff review queue (办事审核): staff only (password + TOTP), ordered by the promised time limit, with
every field and the photos of each request, and one decision per request: approve, return with a reason,
refuse with a reason. A second decision (two tabs, two colleagues) changes nothing and says who was first.

Two staff deciding at the same instant is held by the row lock in services.actions (select_for_update and a
status compare); that needs a database that locks rows, so its test belongs to the PostgreSQL suite
(tests/service/), which the lead writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import OutboundMessage, User
from audit.models import AuditEvent, Via
from conftest import client_for, document_photo, make_staff, worker_client
from family.actions import invite_proxy
from insurance.filings import ChronicCondition, Entitlement, Filing, ReviewStatus
from live.fragments import render
from services import actions, push
from services.chronic import grant_ends_on


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")



@pytest.fixture
def staff(db) -> User:
    return make_staff()


@pytest.fixture
def staff_client(staff):
    return worker_client(staff)



def application(person, user, code="M03900") -> Entitlement:
    return actions.apply_entitlement(actor=user, person=person, via="self", hospital="杭州市第一人民医院",
                                     condition=ChronicCondition.objects.get(code=code), photo=document_photo())


def pending_filing(person, user, due_by, region="310000") -> Filing:
    return Filing.objects.create(person=person, filing_type="residence", region_code=region, status=ReviewStatus.PENDING,
                                 valid_from=timezone.localdate(), submitted_by=user, due_by=due_by)


# --- who may ------------------------------------------------------------------------------------------


def test_citizens_helpers_and_staff_without_totp_are_kept_out(client, mother, mother_user, mother_client, helper,
                                                              staff):
    entitlement = application(mother, mother_user)
    pages = ["/staff/services/", f"/staff/services/chronic/{entitlement.public_id}/"]
    for someone in (client, mother_client, worker_client(helper), client_for(staff)):
        for page in pages:
            response = someone.get(page)
            assert response.status_code == 302 and response.url.startswith("/accounts/worker/login/"), page
        refused = someone.post(pages[1], {"decision": "approve"})
        assert refused.status_code in (302, 403)
    entitlement.refresh_from_db()
    assert entitlement.status == ReviewStatus.PENDING
    assert not AuditEvent.objects.filter(action="services.entitlement_approved").exists()


def test_an_unknown_request_is_a_plain_404(staff_client):
    assert staff_client.get("/staff/services/chronic/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert staff_client.get("/staff/services/filings/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_offline_queue_and_the_service_queue_link_to_each_other(staff_client):
    assert "/staff/services/" in staff_client.get("/staff/offline/").content.decode()
    assert "/staff/offline/" in staff_client.get("/staff/services/").content.decode()


# --- the queue ----------------------------------------------------------------------------------------


def test_the_queue_puts_the_request_due_first_at_the_top_and_says_how_late_in_words(staff_client, mother,
                                                                                    mother_user, son):
    now = timezone.now()
    late = pending_filing(mother, mother_user, now - dt.timedelta(days=9), region="310000")
    soon = application(mother, mother_user)  # due in 5 working days
    Entitlement.objects.filter(pk=soon.pk).update(due_by=now + dt.timedelta(days=1))
    later = pending_filing(son.person, son, now + dt.timedelta(days=20), region="110000")
    page = staff_client.get("/staff/services/").content.decode()
    positions = [page.index(str(obj.public_id)) for obj in (late, soon, later)]
    assert positions == sorted(positions)
    assert "已超时" in page and 'data-testid="clock-overdue"' in page and "⚠" in page
    assert "还剩" in page or "今天到期" in page
    only = staff_client.get("/staff/services/?kind=entitlement").content.decode()
    assert str(soon.public_id) in only and str(late.public_id) not in only
    filings = staff_client.get("/staff/services/?kind=filing").content.decode()
    assert str(late.public_id) in filings and str(soon.public_id) not in filings
    assert staff_client.get("/staff/services/?kind=nonsense").status_code == 200


def test_decided_requests_leave_the_queue(staff_client, mother, mother_user, staff):
    entitlement = application(mother, mother_user)
    actions.decide_entitlement(entitlement.pk, staff=staff, decision="refuse", reason="不是二级以上医院开的证明")
    assert 'data-testid="staff-queue-empty"' in staff_client.get("/staff/services/").content.decode()


# --- deciding an entitlement --------------------------------------------------------------------------


def test_staff_see_every_field_and_the_photo_large(staff_client, mother, mother_user):
    entitlement = application(mother, mother_user)
    page = staff_client.get(f"/staff/services/chronic/{entitlement.public_id}/").content.decode()
    assert "高血压" in page and "杭州市第一人民医院" in page and mother.masked_name in page
    attachment = entitlement.attachments.get()
    assert f"/services/attachments/{attachment.public_id}/" in page
    assert '<label for="id_reason">' in page and "<h1>" in page
    image = staff_client.get(f"/services/attachments/{attachment.public_id}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert AuditEvent.objects.filter(action="services.attachment_viewed", via=Via.STAFF).exists()


def test_approving_grants_it_tells_her_and_her_family_and_pushes(staff_client, staff, mother, mother_user, son,
                                                                   monkeypatch, django_capture_on_commit_callbacks):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["view_records"])
    entitlement = application(mother, mother_user)
    pushed = []
    monkeypatch.setattr(push, "publish_all", lambda events: pushed.extend(events))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/staff/services/chronic/{entitlement.public_id}/", {"decision": "approve"})
    assert response.url == "/staff/services/"
    assert "已处理" in staff_client.get(response.url).content.decode()
    entitlement.refresh_from_db()
    today = timezone.localdate()
    assert entitlement.status == ReviewStatus.APPROVED and entitlement.decided_by == staff
    assert (entitlement.valid_from, entitlement.valid_until) == (today, grant_ends_on(today, 2))
    event = AuditEvent.objects.get(action="services.entitlement_approved")
    assert event.via == Via.STAFF and event.actor == staff and event.subject == mother
    until = entitlement.valid_until
    her_text = OutboundMessage.objects.filter(phone_index=mother.phone_index).latest("id").body
    assert "已通过" in her_text and f"有效期到{until.year}年{until.month}月{until.day}日" in her_text
    his_text = OutboundMessage.objects.filter(phone_index=son.phone_index).latest("id").body
    assert "您的家人王**" in his_text and "已通过" in his_text
    assert {event.kind for event in pushed} == {push.ENTITLEMENT}
    assert any(event.ref == entitlement.pk for event in pushed)
    she_sees = client_for(mother_user).get("/services/chronic/").content.decode()
    assert f"有效期到{until.year}年{until.month}月{until.day}日" in she_sees


def test_the_pushed_fragment_fills_its_own_place_with_the_end_date(mother, mother_user, staff):
    entitlement = application(mother, mother_user)
    actions.decide_entitlement(entitlement.pk, staff=staff, decision="approve")
    html = render(push.ENTITLEMENT, entitlement.pk, "zh-hans")
    assert f'id="entitlement-{entitlement.public_id}"' in html and 'hx-swap-oob="innerHTML"' in html
    assert "有效期到" in html and "医保报销85%" in html


@pytest.mark.parametrize(("decision", "says"), [("return", "请写上退回的原因"), ("refuse", "请写上不通过的原因"),
                                                ("", "请点“通过”“退回补充”或“不通过”"),
                                                ("maybe", "请点“通过”“退回补充”或“不通过”")])
def test_a_return_or_refusal_needs_a_reason(staff_client, mother, mother_user, decision, says):
    entitlement = application(mother, mother_user)
    response = staff_client.post(f"/staff/services/chronic/{entitlement.public_id}/",
                                 {"decision": decision, "reason": "   "})
    assert response.status_code == 200 and says in response.content.decode()
    entitlement.refresh_from_db()
    assert entitlement.status == ReviewStatus.PENDING
    assert not AuditEvent.objects.filter(action__startswith="services.entitlement_r").exists()


def test_a_too_short_reason_is_explained(staff_client, mother, mother_user):
    entitlement = application(mother, mother_user)
    response = staff_client.post(f"/staff/services/chronic/{entitlement.public_id}/",
                                 {"decision": "return", "reason": "不行"})
    assert "请写清楚原因" in response.content.decode()
    entitlement.refresh_from_db()
    assert entitlement.status == ReviewStatus.PENDING


def test_returning_tells_her_what_to_fix(staff_client, mother, mother_user, django_capture_on_commit_callbacks):
    entitlement = application(mother, mother_user)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/staff/services/chronic/{entitlement.public_id}/",
                          {"decision": "return", "reason": "证明没有盖章，请补拍盖章的那一页"})
    entitlement.refresh_from_db()
    assert entitlement.status == ReviewStatus.RETURNED and "没有盖章" in entitlement.reason
    assert AuditEvent.objects.get(action="services.entitlement_returned").detail["reason"] == entitlement.reason
    text = OutboundMessage.objects.filter(phone_index=mother.phone_index).latest("id").body
    assert "需要补充" in text and "没有盖章" in text


def test_deciding_twice_says_who_was_first_and_changes_nothing(staff_client, staff, mother, mother_user):
    entitlement = application(mother, mother_user)
    first = staff_client.post(f"/staff/services/chronic/{entitlement.public_id}/", {"decision": "approve"})
    assert first.status_code == 302
    colleague = worker_client(make_staff("+8613300133007", "钱进"))
    second = colleague.post(f"/staff/services/chronic/{entitlement.public_id}/",
                            {"decision": "refuse", "reason": "不是二级以上医院开的证明"})
    assert second.status_code == 409
    assert "已经由赵敏处理过了" in second.content.decode()
    entitlement.refresh_from_db()
    assert entitlement.status == ReviewStatus.APPROVED and entitlement.decided_by == staff
    assert AuditEvent.objects.filter(action__startswith="services.entitlement_").exclude(
        action="services.entitlement_applied").count() == 1
    again = colleague.get(f"/staff/services/chronic/{entitlement.public_id}/").content.decode()
    assert 'data-testid="already-decided"' in again and 'data-testid="decision-form"' not in again
    with pytest.raises(actions.ServiceError):
        actions.decide_entitlement(entitlement.pk, staff=staff, decision="approve")


def test_only_staff_may_decide_even_through_the_action(mother, mother_user, helper):
    entitlement = application(mother, mother_user)
    with pytest.raises(actions.ServiceError):
        actions.decide_entitlement(entitlement.pk, staff=helper, decision="approve")


# --- deciding a filing --------------------------------------------------------------------------------


def test_staff_approve_a_filing_from_its_page(staff_client, staff, mother, mother_user):
    filing = pending_filing(mother, mother_user, timezone.now() + dt.timedelta(days=2))
    page = staff_client.get(f"/staff/services/filings/{filing.public_id}/").content.decode()
    assert "异地长期居住" in page and "上海" in page and 'data-testid="decision-form"' in page
    response = staff_client.post(f"/staff/services/filings/{filing.public_id}/", {"decision": "approve"})
    assert response.url == "/staff/services/"
    filing.refresh_from_db()
    assert filing.status == ReviewStatus.APPROVED and filing.decided_by == staff
    twice = staff_client.post(f"/staff/services/filings/{filing.public_id}/", {"decision": "refuse", "reason": "重复的备案"})
    assert twice.status_code == 409 and "已经由赵敏处理过了" in twice.content.decode()
    filing.refresh_from_db()
    assert filing.status == ReviewStatus.APPROVED
