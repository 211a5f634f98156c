"""待遇查询 and 看病前算一算: hers, or hers for a proxy with view_records; plain sentences; bad input answered
under the field, never a 500; the estimate books nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.kinds import Kind
from audit.models import AuditEvent
from conftest import client_for
from family.actions import invite_proxy
from insurance.filings import ChronicCondition, Entitlement, Filing, FilingType, ReviewStatus
from insurance.policy import Accumulator

D = Decimal


@pytest.fixture
def day() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def her_year(mother, day):
    """奶奶 has paid 120.00 of the deductible; the fund has paid 1,500.00 for her this year."""
    return Accumulator.objects.create(person=mother, year=day.year, deductible_used=D("120.00"),
                                      fund_paid=D("1500.00"))


def son_acting_for(mother_user, son, scopes):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=scopes)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


def test_she_sees_this_years_benefits_in_plain_sentences(mother_client, mother, her_year, day):
    Filing.objects.create(person=mother, region_code="310000", filing_type=FilingType.TEMPORARY,
                          valid_from=day, valid_until=day + dt.timedelta(days=60), status=ReviewStatus.APPROVED)
    Entitlement.objects.create(person=mother, condition=ChronicCondition.objects.get(code="M01600"),
                               status=ReviewStatus.APPROVED, valid_from=day - dt.timedelta(days=10),
                               valid_until=dt.date(day.year + 2, 3, 31))
    response = mother_client.get("/services/benefits/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "今年医保统筹已经帮您付了1500.00元。" in body
    # Employee, Hangzhou, tertiary outpatient: deductible 300, cap 10,000.
    assert "看门诊的起付线300元，已经用了120.00元，还差180.00元。" in body
    assert "门诊一年最多报10000元，今年还剩8500.00元。" in body
    assert "个人账户里还有2380.50元。" in body
    assert "上海市（临时外出就医）" in body and str(day + dt.timedelta(days=60)) in body
    assert f"糖尿病：认定到 {dt.date(day.year + 2, 3, 31)}" in body and "今年还剩4000.00元" in body
    assert 'data-testid="voice-guide"' in body and "/benefits.audio" in body


def test_with_nothing_used_yet_she_is_told_so_plainly(mother_client, mother):
    body = mother_client.get("/services/benefits/").content.decode()
    assert "今年医保统筹已经帮您付了0.00元。" in body
    assert "现在没有备案" in body and "现在没有门诊慢特病认定" in body


def test_a_deductible_met_says_so(mother_client, mother, day):
    Accumulator.objects.create(person=mother, year=day.year, deductible_used=D("900.00"), fund_paid=D("0"))
    body = mother_client.get("/services/benefits/").content.decode()
    assert "看门诊的起付线300元，今年已经付满了" in body and "住院的起付线800元，今年已经付满了" in body


def test_a_resident_has_no_personal_account_line(stranger_client, stranger):
    stranger.person.scheme = "resident"
    stranger.person.save()
    body = stranger_client.get("/services/benefits/").content.decode()
    assert "个人账户" not in body


def test_her_son_with_view_records_sees_her_benefits_and_the_look_is_remembered(mother_user, mother, son,
                                                                                her_year):
    client, _grant = son_acting_for(mother_user, son, ["view_records"])
    body = client.get("/services/benefits/").content.decode()
    assert "1500.00元" in body
    assert AuditEvent.objects.filter(action=Kind.RECORDS_VIEWED, subject_id=mother.pk).exists()


def test_her_son_without_view_records_is_not_allowed(mother_user, mother, son, her_year):
    client, _grant = son_acting_for(mother_user, son, ["show_code"])
    for address in ("/services/benefits/", "/services/estimate/"):
        response = client.get(address)
        assert response.status_code == 403, address
        assert "1500.00" not in response.content.decode()


def test_a_stranger_sees_only_his_own(stranger_client, mother, her_year):
    body = stranger_client.get("/services/benefits/").content.decode()
    assert "1500.00" not in body and "2380.50" not in body


def test_signed_out_she_is_asked_to_sign_in(client):
    for address in ("/services/benefits/", "/services/estimate/"):
        response = client.get(address)
        assert response.status_code == 302 and "login" in response.url


# --- 看病前算一算 ------------------------------------------------------------------------------------------------


def ask(client, **values):
    return client.get("/services/estimate/", values)


def test_the_estimate_form_opens_without_answers(mother_client, institution):
    body = mother_client.get("/services/estimate/").content.decode()
    assert 'method="get"' in body and institution.name in body and "外地医院" in body
    assert 'data-testid="estimate-result"' not in body
    assert "/estimate.audio" in body


def test_an_estimate_at_her_hospital_is_the_engines_quote_and_books_nothing(mother_client, mother, institution,
                                                                          her_year):
    # Tertiary outpatient, employee: A 600, B 300, C 100. B share 30; eligible 870; deductible left 180;
    # 690 x 80% = 552.00; account min(2380.50, 1000 - 552 - 100) = 348.00; she pays 100.00.
    response = ask(mother_client, where=str(institution.public_id), visit_type="outpatient",
                   a_amount="600", b_amount="300", c_amount="100")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="estimate-fund">552.00' in body
    assert 'data-testid="estimate-account">348.00' in body
    assert 'data-testid="estimate-self">100.00' in body
    assert "今年的起付线还差180.00元，这次先由您自己付。" in body and 'data-testid="why-paid-voice"' in body
    her_year.refresh_from_db()
    mother.refresh_from_db()
    assert (her_year.deductible_used, her_year.fund_paid, mother.account_balance) == (
        D("120.00"), D("1500.00"), D("2380.50"))


def test_an_estimate_away_without_a_filing_shows_the_lower_rate_and_offers_to_file(mother_client, mother):
    # Shanghai, tertiary, unfiled: deductible 450, ratio 60%. One total of 1,000 counted as 甲类:
    # 1000 - 450 = 550 x 60% = 330.00.
    body = ask(mother_client, where="away", city="310000", level="tertiary", visit_type="outpatient",
               total="1000").content.decode()
    assert 'data-testid="estimate-fund">330.00' in body
    assert "您在上海市看病，没有备案" in body and 'href="/services/filing/"' in body
    assert "只填了总数" in body


def test_an_estimate_for_a_condition_she_holds_uses_its_terms(mother_client, mother, institution, day):
    condition = ChronicCondition.objects.get(code="M03900")
    Entitlement.objects.create(person=mother, condition=condition, status=ReviewStatus.APPROVED,
                               valid_from=day - dt.timedelta(days=10), valid_until=day + dt.timedelta(days=300))
    page = mother_client.get("/services/estimate/").content.decode()
    assert 'name="condition"' in page and "高血压" in page
    body = ask(mother_client, where=str(institution.public_id), visit_type="outpatient", total="200",
               condition="M03900").content.decode()
    # No deductible, 85%: 170.00.
    assert 'data-testid="estimate-fund">170.00' in body
    assert "门诊慢特病（高血压）：按慢特病待遇报销85%。" in body


def test_a_condition_she_does_not_hold_cannot_be_picked(mother_client, institution):
    body = ask(mother_client, where=str(institution.public_id), visit_type="outpatient", total="200",
               condition="M03900").content.decode()
    assert "请从列表里选病种。" in body and 'data-testid="estimate-result"' not in body


@pytest.mark.parametrize(("values", "message"), [
    ({"total": "-5"}, "金额不能是负数。"),
    ({"total": "1000001"}, "金额太大了，最多填1000000元。"),
    ({"total": "abc"}, "请填数字"),
    ({"total": "1e5"}, "请填数字"),
    ({"total": "NaN"}, "请填数字"),
    ({"total": "12.345"}, "金额最多精确到分"),
    ({"a_amount": "600000", "b_amount": "600000"}, "加起来最多1000000元"),
    ({}, "请填大概要花多少钱"),
    ({"total": "100", "a_amount": "50"}, "不要两样都填"),
    ({"total": "100", "where": "away"}, "选了外地医院，请选城市。"),
    ({"total": "100", "where": "away", "city": "999999"}, "请从列表里选城市。"),
    ({"total": "100", "where": "away", "city": "330100"}, "请从列表里选城市。"),  # her own city is not away
    ({"total": "100", "where": "not-a-hospital"}, "请从列表里选去哪里看病。"),
    ({"total": "100", "visit_type": "dentist"}, "请选看门诊、住院还是买药。"),
    ({"total": "100", "visit_type": "pharmacy"}, "不能用医保直接结算"),  # a hospital is not a pharmacy
    ({"total": "1" * 500}, None),
])
def test_bad_input_gets_a_plain_message_and_never_a_500(mother_client, institution, values, message):
    query = {"where": str(institution.public_id), "visit_type": "outpatient", **values}
    response = ask(mother_client, **query)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="estimate-result"' not in body
    if message:
        assert message in body, body[:3000]
    assert "field-error" in body or 'data-testid="form-error"' in body


def test_amounts_typed_the_way_she_types_them_are_understood(mother_client, institution):
    body = ask(mother_client, where=str(institution.public_id), visit_type="outpatient", total="１,２００元"
               ).content.decode()
    assert 'data-testid="estimate-result"' in body and "1200.00 元" in body
