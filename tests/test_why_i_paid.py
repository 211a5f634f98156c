""""Why I paid this": plain sentences from the stored breakdown, on her receipt, her live status and the
counter's result, read aloud in elder mode; old breakdowns still render.

The bill and the numbers are those of tests/test_engine_chronic_and_filings.py (1,000.00 yuan: 甲 600, 乙 300,
丙 100, an employee with 100.00 in her account and 200.00 of the deductible already paid)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from conftest import INSTITUTION_SECRET, SignedApi, client_for, make_person
from elder_mode.voice.text import clean_spoken_text
from family.actions import invite_proxy
from insurance.engine import NOTE_NO_ENTITLEMENT, BillItem, quote
from insurance.explain import explain
from insurance.filings import ChronicCondition, Entitlement, Filing, ReviewStatus
from insurance.models import Institution, InstitutionLevel
from insurance.policy import Accumulator
from settlement.models import Settlement
from vouchers.codes import issue_code_token

D = Decimal
BILL = [BillItem("A1", "降压药", "A", D("1"), D("600.00")), BillItem("B1", "乙类药", "B", D("1"), D("300.00")),
        BillItem("C1", "保健品", "C", D("1"), D("100.00"))]
ITEMS = [{"code": "A1", "name": "降压药", "category": "A", "quantity": "1", "unit_price": "600.00"},
         {"code": "B1", "name": "乙类药", "category": "B", "quantity": "1", "unit_price": "300.00"},
         {"code": "C1", "name": "保健品", "category": "C", "quantity": "1", "unit_price": "100.00"}]


@pytest.fixture
def day() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def her(db, day):
    person = make_person(name="王秀英", account_balance=D("100.00"))
    Accumulator.objects.create(person=person, year=day.year, deductible_used=D("200.00"))
    return person


def hospital(region: str = "330100") -> Institution:
    return Institution.objects.create(code=f"H-{region}", name="第一医院", level=InstitutionLevel.TERTIARY,
                                      region_code=region, api_key_id=f"k-{region}", api_secret="s" * 32)


def test_in_her_region_every_step_of_the_sum_is_one_plain_sentence(her, day):
    why = explain(quote(her, hospital(), "outpatient", BILL, day).as_dict())
    assert why.sentences == [
        "这次看病一共花了1000.00元。",
        "丙类（医保不报）的东西100.00元，要自己付。",
        "乙类药先自付一成：30.00元。",
        "今年的起付线还差100.00元，这次先由您自己付。",
        "超过起付线的部分，医保按80%报销。",
        "个人账户付了100.00元。",
        "医保统筹付了616.00元，您自己付284.00元。",
    ]
    assert not why.file_first


def test_out_of_region_without_a_filing_she_is_told_to_file_first(her, day):
    why = explain(quote(her, hospital("310000"), "outpatient", BILL, day).as_dict())
    assert "您在上海市看病，没有备案，报销比例低一些；去外地看病前先备案，能多报一些。" in why.sentences
    assert "今年的起付线还差250.00元，这次先由您自己付。" in why.sentences
    assert "超过起付线的部分，医保按60%报销。" in why.sentences
    assert why.file_first


def test_out_of_region_with_a_filing_she_is_told_the_filed_rate_applies(her, day):
    Filing.objects.create(person=her, region_code="310000", valid_from=day - dt.timedelta(days=1),
                          valid_until=day + dt.timedelta(days=30), status=ReviewStatus.APPROVED)
    why = explain(quote(her, hospital("310000"), "outpatient", BILL, day).as_dict())
    assert "您在上海市看病，已经备案，按异地备案的比例报销。" in why.sentences
    assert "超过起付线的部分，医保按75%报销。" in why.sentences
    assert not why.file_first


def test_with_a_chronic_entitlement_the_conditions_terms_are_named(her, day):
    condition = ChronicCondition.objects.get(code="M03900")
    Entitlement.objects.create(person=her, condition=condition, status=ReviewStatus.APPROVED,
                               valid_from=day - dt.timedelta(days=10), valid_until=day + dt.timedelta(days=300))
    why = explain(quote(her, hospital(), "outpatient", BILL, day, condition).as_dict())
    assert "门诊慢特病（高血压）：按慢特病待遇报销85%。" in why.sentences
    assert not any("起付线" in s for s in why.sentences)
    assert why.sentences[-1] == "医保统筹付了739.50元，您自己付160.50元。"


def test_a_condition_without_an_entitlement_says_why_it_was_paid_as_usual(her, day):
    condition = ChronicCondition.objects.get(code="M03900")
    why = explain(quote(her, hospital(), "outpatient", BILL, day, condition).as_dict())
    assert NOTE_NO_ENTITLEMENT in why.sentences


def test_when_the_years_limit_is_used_up_she_is_told_so(her, day):
    here = hospital()
    Accumulator.objects.filter(person=her).update(fund_paid=D("10000.00"))
    why = explain(quote(her, here, "outpatient", BILL, day).as_dict())
    assert "今年的医保报销额度用完了，超出部分自己付。" in why.sentences
    Accumulator.objects.filter(person=her).update(fund_paid=D("9800.00"))
    why = explain(quote(her, here, "outpatient", BILL, day).as_dict())
    assert "今年的医保报销额度只剩200.00元，超出的部分自己付。" in why.sentences


def test_a_breakdown_stored_before_the_terms_were_kept_still_reads_right():
    old = {"total": "50.00", "fund_pay": "40.00", "account_pay": "10.00", "self_pay": "0.00", "eligible": "50.00",
           "deductible_part": "0.00", "capped_part": "0.00", "category_c": "0.00", "b_self_part": "0.00",
           "ratio": "0.80", "locality": "out_unfiled"}
    why = explain(old)
    assert why.sentences[0] == "这次看病一共花了50.00元。"
    assert "您在外地看病，没有备案，报销比例低一些；去外地看病前先备案，能多报一些。" in why.sentences
    assert why.sentences[-1] == "医保统筹付了40.00元，您自己付0.00元。"
    assert explain({}).sentences == [] and explain(None).sentences == []
    assert explain({"total": "abc"}).sentences == []


def test_the_spoken_version_fits_the_voice_and_says_who_paid_what_last(her, day):
    why = explain(quote(her, hospital("310000"), "outpatient", BILL, day).as_dict())
    assert clean_spoken_text(why.spoken) == why.spoken  # what the say endpoint accepts: no letters, ≤ 200
    assert why.spoken.endswith("医保统筹付了372元，您自己付528元。")
    assert ".00" not in why.spoken


# --- where she sees it ----------------------------------------------------------------------------------------


def settle(api, person, captured, **extra) -> Settlement:
    with captured(execute=True):
        response = api.post("/api/v1/settlements", {"code": issue_code_token(person.voucher.public_id),
                                                    "visit_type": "outpatient", "items": ITEMS, **extra})
    assert response.status_code == 202, response.content
    return Settlement.objects.get(public_id=response.json()["id"])


def say_text(body: str) -> str:
    match = re.search(r'data-testid="why-paid-voice"', body)
    assert match, "no voice button"
    url = html.unescape(re.search(r'data-voice-play="([^"]+)"[^>]*data-testid="why-paid-voice"', body).group(1))
    assert urlsplit(url).path == "/elder/voice/say"
    return parse_qs(urlsplit(url).query)["text"][0]


def test_her_receipt_shows_why_and_offers_to_read_it_aloud(api, mother_user, mother, mother_client,
                                                          django_capture_on_commit_callbacks):
    settlement = settle(api, mother, django_capture_on_commit_callbacks)
    response = mother_client.get(f"/records/{settlement.public_id}/")
    body = response.content.decode()
    assert 'data-testid="why-paid"' in body
    # 奶奶 has paid nothing towards this year's deductible: 300 of the 870 eligible is hers, 80% of 570 = 456.
    assert "今年的起付线还差300.00元，这次先由您自己付。" in body
    assert "医保统筹付了456.00元" in body
    text = say_text(body)
    assert clean_spoken_text(text) == text and "456元" in text
    assert mother_client.get(f"/elder/voice/say?lang=cmn&rate=normal&text={text}").status_code in (200, 503)


def test_her_son_with_view_records_sees_the_same_sentences(api, mother_user, mother, son,
                                                         django_capture_on_commit_callbacks):
    settlement = settle(api, mother, django_capture_on_commit_callbacks)
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                         scopes=["view_records"])
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    body = client.get(f"/records/{settlement.public_id}/").content.decode()
    assert "医保统筹付了456.00元" in body


def test_a_receipt_stored_before_the_explanation_existed_still_renders(api, mother_user, mother, mother_client,
                                                                      django_capture_on_commit_callbacks):
    settlement = settle(api, mother, django_capture_on_commit_callbacks)
    old = {k: settlement.breakdown[k] for k in ("total", "fund_pay", "account_pay", "self_pay", "eligible",
                                                 "deductible_part", "capped_part", "category_c", "b_self_part",
                                                 "ratio", "locality")}
    Settlement.objects.filter(pk=settlement.pk).update(breakdown=old)
    response = mother_client.get(f"/records/{settlement.public_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "这次看病一共花了1000.00元。" in body and "起付线以内的300.00元，由您自己付。" in body


def test_a_failed_settlement_has_no_explanation(api, mother_user, mother, mother_client,
                                               django_capture_on_commit_callbacks):
    settlement = settle(api, mother, django_capture_on_commit_callbacks)
    Settlement.objects.filter(pk=settlement.pk).update(status="manual", fund_pay=None, account_pay=None,
                                                       self_pay=None, breakdown={}, reason="系统结算超时，这笔没有扣款。")
    body = mother_client.get(f"/records/{settlement.public_id}/").content.decode()
    assert 'data-testid="why-paid"' not in body


def test_an_out_of_region_receipt_says_where_and_links_to_filing(mother_user, mother, mother_client,
                                                                 django_capture_on_commit_callbacks):
    shanghai = Institution.objects.create(code="H-SH", name="上海第一医院", level=InstitutionLevel.TERTIARY,
                                          region_code="310000", api_key_id="k-sh", api_secret=INSTITUTION_SECRET)
    api = SignedApi(Client(), shanghai.api_key_id, INSTITUTION_SECRET)
    settlement = settle(api, mother, django_capture_on_commit_callbacks)
    body = mother_client.get(f"/records/{settlement.public_id}/").content.decode()
    assert "您在上海市看病，没有备案" in body
    assert 'data-testid="why-paid-file"' in body and 'href="/services/filing/"' in body


@pytest.mark.django_db(transaction=True)  # the counter settles through the eager worker after commit
def test_the_counter_shows_why_and_can_say_it_is_a_chronic_bill(institution, mother, mother_user):
    condition = ChronicCondition.objects.get(code="M03900")
    day = timezone.localdate()
    Entitlement.objects.create(person=mother, condition=condition, status=ReviewStatus.APPROVED,
                               valid_from=day - dt.timedelta(days=5), valid_until=day + dt.timedelta(days=300))
    operator = User.objects.create_user("+8613700137005", "a-long-operator-password", role=Role.OPERATOR,
                                        institution=institution, display_name="钱收费")
    device = TOTPDevice.objects.create(user=operator, name="counter", confirmed=True, key="31" * 20)
    counter = client_for(operator)
    session = counter.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    page = counter.get("/counter/").content.decode()
    assert 'name="condition"' in page and "高血压（M03900）" in page
    data = {"code": issue_code_token(mother.voucher.public_id), "visit_type": "outpatient", "condition": "M03900"}
    for n, row in enumerate(ITEMS):
        data.update({f"item-{n}-{key}": value for key, value in row.items()})
    body = counter.post("/counter/", data).content.decode()
    assert 'data-testid="why-paid"' in body and "报销说明" in body
    assert "门诊慢特病（高血压）：按慢特病待遇报销85%。" in body
    assert 'data-testid="why-paid-voice"' not in body  # the operator reads it to her; her own page speaks
    assert Settlement.objects.get().condition == condition
    refused = counter.post("/counter/", {**data, "code": issue_code_token(mother.voucher.public_id),
                                         "condition": "NOPE"})
    assert refused.status_code == 422 and "门诊慢特病" in refused.content.decode()
