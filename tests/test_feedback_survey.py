"""The three-button survey after a settlement or a finished service: one tap, once per event, only by her, never
blocking anything; an optional short form on the five dimensions. Someone else's event is not found, her son
acting for her is told only she may answer."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from conftest import client_for
from core.feedback_events import event_owner
from family.actions import invite_proxy
from family.models import ProxyGrant
from feedback.models import SurveyResponse
from services.models import Claim
from settlement.models import Settlement
from settlement.push import render_status


def a_settlement(person, institution, status="settled") -> Settlement:
    return Settlement.objects.create(institution=institution, person=person, voucher=person.voucher,
                                     code_nonce=uuid.uuid4().hex, visit_type="outpatient", status=status,
                                     total=Decimal("120.00"), fund_pay=Decimal("80.00"),
                                     account_pay=Decimal("20.00"), self_pay=Decimal("20.00"))


def key(s: Settlement) -> str:
    return f"settlement:{s.public_id}"


def son_acting_with(son, mother_user, scopes):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=list(scopes))
    grant = ProxyGrant.objects.get(proxy=son)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


def test_her_receipt_shows_three_big_buttons_read_aloud(mother_client, mother_user, institution):
    s = a_settlement(mother_user.person, institution)
    page = mother_client.get(f"/records/{s.public_id}/").content.decode()
    assert 'data-testid="survey"' in page
    for label in ("满意", "一般", "不满意"):
        assert f">{label}</button>" in page or f"</span>{label}</button>" in page
    assert "/elder/voice/" in page and "survey" in page


def test_one_tap_answers_and_the_receipt_then_says_thank_you(mother_client, mother_user, institution):
    s = a_settlement(mother_user.person, institution)
    response = mother_client.post("/feedback/survey/", {"event": key(s), "rating": "satisfied",
                                                        "next": f"/records/{s.public_id}/"})
    assert response.status_code == 302 and response.url == f"/records/{s.public_id}/"
    answer = SurveyResponse.objects.get(person=mother_user.person)
    assert answer.rating == "satisfied" and answer.event_key == key(s)
    assert AuditEvent.objects.filter(action="feedback.survey_answered", subject=mother_user.person).count() == 1
    page = mother_client.get(f"/records/{s.public_id}/").content.decode()
    assert 'data-testid="survey-done"' in page and "谢谢您的评价" in page and 'data-testid="survey-satisfied"' not in page


def test_with_htmx_the_block_is_swapped_for_thanks(mother_client, mother_user, institution):
    s = a_settlement(mother_user.person, institution, status="failed")
    response = mother_client.post("/feedback/survey/", {"event": key(s), "rating": "unsatisfied"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "谢谢您的评价" in body and f'id="survey-settlement-{s.public_id}"' in body


def test_a_second_tap_says_it_was_already_answered_and_changes_nothing(mother_client, mother_user, institution):
    s = a_settlement(mother_user.person, institution)
    mother_client.post("/feedback/survey/", {"event": key(s), "rating": "satisfied"})
    response = mother_client.post("/feedback/survey/", {"event": key(s), "rating": "unsatisfied"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "已经评价过了" in response.content.decode()
    assert list(SurveyResponse.objects.values_list("rating", flat=True)) == ["satisfied"]


def test_someone_elses_settlement_is_not_found(stranger_client, mother_user, institution):
    s = a_settlement(mother_user.person, institution)
    assert stranger_client.post("/feedback/survey/", {"event": key(s), "rating": "satisfied"}).status_code == 404
    assert stranger_client.get(f"/feedback/survey/block/?event={key(s)}").content == b""
    assert not SurveyResponse.objects.exists()


def test_a_made_up_or_unfinished_event_is_not_found(mother_client, mother_user, institution):
    running = a_settlement(mother_user.person, institution, status="received")
    for event in (key(running), "settlement:not-a-uuid", f"payment:{uuid.uuid4()}", "", f"settlement:{uuid.uuid4()}"):
        assert mother_client.post("/feedback/survey/", {"event": event, "rating": "okay"}).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_a_bad_rating_gets_a_message_and_saves_nothing(mother_client, mother_user, institution):
    s = a_settlement(mother_user.person, institution)
    response = mother_client.post("/feedback/survey/", {"event": key(s), "rating": "great"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "请点“满意”“一般”或“不满意”中的一个" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_her_son_may_not_answer_for_her(son, mother_user, institution):
    s = a_settlement(mother_user.person, institution)
    client, _grant = son_acting_with(son, mother_user, ["view_records", "act"])
    page = client.get(f"/records/{s.public_id}/").content.decode()
    assert 'data-testid="survey"' not in page  # no buttons on his screen
    response = client.post("/feedback/survey/", {"event": key(s), "rating": "satisfied"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and "本人" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_the_live_status_card_fetches_the_block_for_whoever_is_looking(mother_client, mother_user, institution):
    s = a_settlement(mother_user.person, institution)
    html = render_status(s, "settlement/_status.html", "zh-hans")  # what a push draws
    assert f"/feedback/survey/block/?event=settlement%3A{s.public_id}" in html and "survey-satisfied" not in html
    block = mother_client.get(f"/feedback/survey/block/?event={key(s)}").content.decode()
    assert 'data-testid="survey-okay"' in block


def test_a_decided_claim_filing_or_entitlement_is_hers_to_rate_only_once_decided(mother_user, institution):
    s = a_settlement(mother_user.person, institution, status="failed")
    claim = Claim.objects.create(person=mother_user.person, settlement=s, status="pending", total=Decimal("120.00"), invoice_total=Decimal("120.00"),
                                 institution_name="测试第一医院", visit_date=s.created_at.date())
    assert event_owner(f"claim:{claim.public_id}") is None
    assert 'data-testid="survey"' not in client_for(mother_user).get(f"/services/claims/{claim.public_id}/").content.decode()
    Claim.objects.filter(pk=claim.pk).update(status="approved")
    assert event_owner(f"claim:{claim.public_id}") == mother_user.person.pk
    page = client_for(mother_user).get(f"/services/claims/{claim.public_id}/").content.decode()
    assert 'data-testid="survey"' in page and f'value="claim:{claim.public_id}"' in page


def test_the_optional_short_form_keeps_the_five_dimensions(mother_client, mother_user, institution):
    s = a_settlement(mother_user.person, institution)
    mother_client.post("/feedback/survey/", {"event": key(s), "rating": "okay"})
    answer = SurveyResponse.objects.get()
    page = mother_client.get(f"/feedback/survey/{answer.public_id}/more/").content.decode()
    assert "便捷" in page and "愿意推荐" in page
    bad = mother_client.post(f"/feedback/survey/{answer.public_id}/more/", {"convenience": "9"})
    assert bad.status_code == 400
    response = mother_client.post(f"/feedback/survey/{answer.public_id}/more/",
                                  {"convenience": "5", "negative": "4", "service": "5", "publicity": "3",
                                   "standard": "", "recommend": "5", "next": "/records/"})
    assert response.status_code == 302 and response.url == "/records/"
    answer.refresh_from_db()
    assert (answer.convenience, answer.standard, answer.recommend, answer.rating) == (5, None, 5, "okay")


@pytest.mark.parametrize("who", ["stranger", "son"])
def test_nobody_else_opens_her_short_form(who, stranger_client, son, mother_client, mother_user, institution):
    s = a_settlement(mother_user.person, institution)
    mother_client.post("/feedback/survey/", {"event": key(s), "rating": "okay"})
    answer = SurveyResponse.objects.get()
    client = stranger_client if who == "stranger" else son_acting_with(son, mother_user, ["act"])[0]
    assert client.post(f"/feedback/survey/{answer.public_id}/more/", {"convenience": "1"}).status_code in (403, 404)
    answer.refresh_from_db()
    assert answer.convenience is None
