"""The engine on one bill, hand-computed: in her region, out of it with and without a filing, and with a chronic
entitlement (门诊慢特病); the cap; an entitlement that ended yesterday; the entitlement's year booked once.

The bill (1,000.00 yuan at a tertiary outpatient clinic): 甲类 600.00, 乙类 300.00, 丙类 100.00. She is an
employee of Hangzhou (330100) with 100.00 yuan in her personal account, and has already paid 200.00 of this
year's deductible. The demo rules (insurance/demo.py demo_rule_values), employee, tertiary outpatient:
in region 300 deductible / 80%; out of region filed 300 / 75%; unfiled 450 (300 x 1.5) / 60%; cap 10,000;
乙类 self-share 10%. 高血压 (M03900): deductible 0, employee 85%, cap 3,000.

Common to every case: 乙类 self-share 300 x 10% = 30.00; eligible = 600 + 300 - 30 = 870.00.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from conftest import make_person
from insurance.actions import book_split
from insurance.engine import (
    NOTE_CHRONIC_NEEDS_FILING,
    NOTE_CHRONIC_NOT_INPATIENT,
    NOTE_NO_ENTITLEMENT,
    BillItem,
    quote,
)
from insurance.filings import ChronicCondition, Entitlement, EntitlementUsage, Filing, ReviewStatus
from insurance.models import Institution, InstitutionLevel
from insurance.policy import Accumulator
from settlement.models import Settlement
from settlement.tasks import run_settlement
from vouchers.codes import issue_code_token

D = Decimal
BILL = [BillItem("A1", "降压药", "A", D("1"), D("600.00")), BillItem("B1", "乙类药", "B", D("1"), D("300.00")),
        BillItem("C1", "保健品", "C", D("1"), D("100.00"))]


def amounts(split) -> tuple[str, str, str]:
    assert split.fund_pay + split.account_pay + split.self_pay == split.total == D("1000.00")
    return str(split.fund_pay), str(split.account_pay), str(split.self_pay)


@pytest.fixture
def day() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def her(db, day):
    person = make_person(name="王秀英", account_balance=D("100.00"))
    Accumulator.objects.create(person=person, year=day.year, deductible_used=D("200.00"), fund_paid=D("0"))
    return person


@pytest.fixture
def hangzhou(db) -> Institution:
    return Institution.objects.create(code="H-HZ", name="杭州第一医院", level=InstitutionLevel.TERTIARY,
                                      region_code="330100", api_key_id="k-hz", api_secret="s" * 32)


@pytest.fixture
def shanghai(db) -> Institution:
    return Institution.objects.create(code="H-SH", name="上海第一医院", level=InstitutionLevel.TERTIARY,
                                      region_code="310000", api_key_id="k-sh", api_secret="s" * 32)


@pytest.fixture
def hypertension(db) -> ChronicCondition:
    return ChronicCondition.objects.get(code="M03900")


def grant(person, condition, day, *, until: dt.date | None = None) -> Entitlement:
    return Entitlement.objects.create(person=person, condition=condition, status=ReviewStatus.APPROVED,
                                      valid_from=day - dt.timedelta(days=30),
                                      valid_until=until or day + dt.timedelta(days=365))


def file_for(person, day, region: str = "310000") -> Filing:
    return Filing.objects.create(person=person, region_code=region, status=ReviewStatus.APPROVED,
                                 valid_from=day - dt.timedelta(days=1), valid_until=day + dt.timedelta(days=30))


def test_in_her_region_the_ordinary_outpatient_rule_applies(her, hangzhou, day):
    # Deductible left 300 - 200 = 100, paid by her; above it 870 - 100 = 770, the fund pays 80% = 616.00.
    # The account pays what is left of the eligible part and the 乙类 share while it lasts: min(100, 1000 - 616
    # - 100 C) = 100.00. She pays 1000 - 616 - 100 = 284.00 (100 丙类, 30 乙类 share, 100 deductible, 154 of
    # the 20%, less the 100 from her account).
    split = quote(her, hangzhou, "outpatient", BILL, day)
    assert amounts(split) == ("616.00", "100.00", "284.00")
    assert (split.terms, split.locality, split.deductible_part, split.b_self_part) == (
        "policy", "in_region", D("100.00"), D("30.00"))
    assert split.as_dict()["ytd_deductible_used"] == "200.00"


def test_out_of_her_region_without_a_filing_she_gets_the_lower_rate(her, shanghai, day):
    # Unfiled: deductible 450, left 450 - 200 = 250; above it 870 - 250 = 620 x 60% = 372.00.
    # Account min(100, 1000 - 372 - 100) = 100.00; she pays 1000 - 372 - 100 = 528.00.
    split = quote(her, shanghai, "outpatient", BILL, day)
    assert amounts(split) == ("372.00", "100.00", "528.00")
    assert split.locality == "out_unfiled" and split.region_code == "310000"


def test_out_of_her_region_with_a_filing_in_force_she_gets_the_filed_rate(her, shanghai, day):
    # Filed: deductible 300, left 100; above it 770 x 75% = 577.50. Account 100.00; she pays 322.50.
    file_for(her, day)
    split = quote(her, shanghai, "outpatient", BILL, day)
    assert amounts(split) == ("577.50", "100.00", "322.50")
    assert split.locality == "out_filed"


def test_a_filing_for_another_city_does_not_count_here(her, shanghai, day):
    file_for(her, day, region="110000")
    assert quote(her, shanghai, "outpatient", BILL, day).locality == "out_unfiled"


def test_with_a_chronic_entitlement_in_her_region_the_conditions_terms_apply(her, hangzhou, hypertension, day):
    # 高血压: no deductible; 870 x 85% = 739.50 (under the 3,000 limit). Account min(100, 1000 - 739.50 - 100)
    # = 100.00; she pays 1000 - 739.50 - 100 = 160.50. Her ordinary deductible is not touched.
    grant(her, hypertension, day)
    split = quote(her, hangzhou, "outpatient", BILL, day, hypertension)
    assert amounts(split) == ("739.50", "100.00", "160.50")
    assert (split.terms, split.condition, split.deductible_part, split.ratio) == (
        "chronic", "高血压", D("0"), D("0.850"))
    assert split.notes == []


def test_a_pharmacy_bill_for_the_condition_uses_the_conditions_terms_too(her, hypertension, day):
    pharmacy = Institution.objects.create(code="P-HZ", name="药店", level=InstitutionLevel.PHARMACY,
                                          region_code="330100", api_key_id="k-p", api_secret="s" * 32)
    grant(her, hypertension, day)
    assert quote(her, pharmacy, "pharmacy", BILL, day, hypertension).terms == "chronic"


def test_a_condition_she_has_no_entitlement_for_is_paid_at_the_ordinary_rule_with_a_note(her, hangzhou,
                                                                                          hypertension, day):
    split = quote(her, hangzhou, "outpatient", BILL, day, hypertension)
    assert amounts(split) == ("616.00", "100.00", "284.00")
    assert split.terms == "policy" and split.notes == [NOTE_NO_ENTITLEMENT]


def test_an_entitlement_that_ended_yesterday_no_longer_applies(her, hangzhou, hypertension, day):
    grant(her, hypertension, day, until=day - dt.timedelta(days=1))
    split = quote(her, hangzhou, "outpatient", BILL, day, hypertension)
    assert amounts(split) == ("616.00", "100.00", "284.00")
    assert split.notes == [NOTE_NO_ENTITLEMENT]


def test_an_entitlement_still_pending_does_not_apply(her, hangzhou, hypertension, day):
    Entitlement.objects.create(person=her, condition=hypertension, status=ReviewStatus.PENDING)
    assert quote(her, hangzhou, "outpatient", BILL, day, hypertension).terms == "policy"


def test_an_inpatient_bill_never_uses_the_chronic_terms(her, hangzhou, hypertension, day):
    # Inpatient, tertiary, employee: deductible 800, left 600; above 870 - 600 = 270 x 85% = 229.50.
    grant(her, hypertension, day)
    split = quote(her, hangzhou, "inpatient", BILL, day, hypertension)
    assert split.terms == "policy" and split.notes == [NOTE_CHRONIC_NOT_INPATIENT]
    assert split.fund_pay == D("229.50")


def test_out_of_region_the_entitlement_needs_a_filing(her, shanghai, hypertension, day):
    grant(her, hypertension, day)
    unfiled = quote(her, shanghai, "outpatient", BILL, day, hypertension)
    assert amounts(unfiled) == ("372.00", "100.00", "528.00")
    assert unfiled.notes == [NOTE_CHRONIC_NEEDS_FILING]
    file_for(her, day)
    filed = quote(her, shanghai, "outpatient", BILL, day, hypertension)
    # With the filing, the condition's own terms: 739.50 as at home.
    assert amounts(filed) == ("739.50", "100.00", "160.50")
    assert (filed.terms, filed.locality) == ("chronic", "out_filed")


def test_when_the_years_cap_is_nearly_reached_the_fund_pays_only_what_is_left(her, hangzhou, day):
    # 9,800 of the 10,000 already paid: 200.00 left of the 616.00; 416.00 over the cap. Account 100.00;
    # she pays 1000 - 200 - 100 = 700.00.
    Accumulator.objects.filter(person=her).update(fund_paid=D("9800.00"))
    split = quote(her, hangzhou, "outpatient", BILL, day)
    assert amounts(split) == ("200.00", "100.00", "700.00")
    assert split.capped_part == D("416.00")


def test_when_the_conditions_limit_is_used_up_the_fund_pays_nothing_more(her, hangzhou, hypertension, day):
    entitlement = grant(her, hypertension, day)
    EntitlementUsage.objects.create(entitlement=entitlement, year=day.year, fund_paid=D("3000.00"))
    split = quote(her, hangzhou, "outpatient", BILL, day, hypertension)
    # Fund 0; the account still pays 100.00 of the rest; she pays 900.00.
    assert amounts(split) == ("0.00", "100.00", "900.00")
    assert split.capped_part == D("739.50")


@pytest.mark.django_db(transaction=False)
def test_booking_a_chronic_bill_charges_the_entitlements_year_not_her_ordinary_one(her, hangzhou, hypertension,
                                                                                   day):
    entitlement = grant(her, hypertension, day)
    with transaction.atomic():
        first = book_split(her.pk, hangzhou, "outpatient", BILL, day, hypertension)
    with transaction.atomic():
        second = book_split(her.pk, hangzhou, "outpatient", BILL, day, hypertension)
    # First: 739.50 / 100.00 / 160.50. Second: the limit left is 3000 - 739.50 = 2260.50, still enough; the
    # account is empty now, so she pays 1000 - 739.50 = 260.50.
    assert amounts(first) == ("739.50", "100.00", "160.50")
    assert amounts(second) == ("739.50", "0.00", "260.50")
    assert second.ytd_fund_paid == D("739.50")
    usage = EntitlementUsage.objects.get(entitlement=entitlement, year=day.year)
    assert (usage.fund_paid, usage.deductible_used) == (D("1479.00"), D("0.00"))
    ordinary = Accumulator.objects.get(person=her, year=day.year)
    assert (ordinary.fund_paid, ordinary.deductible_used) == (D("0.00"), D("200.00"))
    her.refresh_from_db()
    assert her.account_balance == D("0.00")


# --- the institution API's `condition` ------------------------------------------------------------------------

ITEMS = [{"code": "A1", "name": "降压药", "category": "A", "quantity": "1", "unit_price": "600.00"},
         {"code": "B1", "name": "乙类药", "category": "B", "quantity": "1", "unit_price": "300.00"},
         {"code": "C1", "name": "保健品", "category": "C", "quantity": "1", "unit_price": "100.00"}]


def send(api, person, **extra):
    return api.post("/api/v1/settlements", {"code": issue_code_token(person.voucher.public_id),
                                            "visit_type": "outpatient", "items": ITEMS, **extra})


def test_a_bill_for_her_condition_is_settled_at_its_terms_and_booked_once_per_settlement(
        api, mother_user, mother, hypertension, day):
    # The test institution is a tertiary hospital in Hangzhou, her region. 奶奶 has 2,380.50 in her account.
    entitlement = grant(mother, hypertension, day)
    ids = []
    for _ in range(2):
        response = send(api, mother, condition="M03900")
        assert response.status_code == 202, response.content
        settlement = Settlement.objects.get(public_id=response.json()["id"])
        ids.append(settlement.pk)
        run_settlement.apply(args=[settlement.pk])
        run_settlement.apply(args=[settlement.pk])  # a task run twice books nothing twice
    first, second = Settlement.objects.filter(pk__in=ids).order_by("pk")
    assert first.condition == hypertension
    # 870 x 85% = 739.50 each time; the account pays the rest but C: 1000 - 739.50 - 100 = 160.50; she pays 100.
    assert (first.fund_pay, first.account_pay, first.self_pay) == (D("739.50"), D("160.50"), D("100.00"))
    assert (second.fund_pay, second.account_pay, second.self_pay) == (D("739.50"), D("160.50"), D("100.00"))
    assert first.breakdown["terms"] == "chronic" and first.breakdown["condition"] == "高血压"
    assert second.breakdown["ytd_fund_paid"] == "739.50"
    assert EntitlementUsage.objects.get(entitlement=entitlement).fund_paid == D("1479.00")
    assert not Accumulator.objects.filter(person=mother, fund_paid__gt=0).exists()


def test_an_unknown_condition_code_is_refused_in_plain_chinese_and_nothing_is_saved(api, mother_user, mother):
    response = send(api, mother, condition="X99999")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "unknown_condition" and "门诊慢特病" in body["message"]
    assert Settlement.objects.count() == 0


def test_a_condition_she_holds_no_entitlement_for_settles_at_the_ordinary_rule_with_a_note(
        api, mother_user, mother, hypertension, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(api, mother, condition="M03900")
    settlement = Settlement.objects.get(public_id=response.json()["id"])
    assert settlement.status == "settled"
    assert settlement.breakdown["terms"] == "policy"
    assert settlement.breakdown["notes"] == [NOTE_NO_ENTITLEMENT]


def test_without_a_condition_the_api_works_as_before(api, mother_user, mother, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send(api, mother).status_code == 202
        assert send(api, mother, condition=None).status_code == 202
    assert list(Settlement.objects.values_list("condition", flat=True)) == [None, None]


def test_the_published_schema_documents_the_optional_condition(client):
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ("SettlementIn", "BatchItemIn"):
        assert "condition" in schemas[name]["properties"], name
        assert "condition" not in schemas[name].get("required", [])


def test_an_offline_batch_carries_the_condition_too(offline_api, mother_user, mother, hypertension, day):
    grant(mother, hypertension, day)
    entry = {"client_id": str(uuid.uuid4()), "captured_at": timezone.now().isoformat(),
             "code": issue_code_token(mother.voucher.public_id), "visit_type": "pharmacy", "condition": "M03900",
             "items": [{"code": "A1", "name": "降压药", "category": "A", "quantity": "1", "unit_price": "60.00"}]}
    response = offline_api.post("/api/v1/settlements/batch", {"settlements": [entry]})
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["ok"]
    assert Settlement.objects.get().condition == hypertension
    bad = {**entry, "client_id": str(uuid.uuid4()), "code": issue_code_token(mother.voucher.public_id),
           "condition": "NOPE"}
    result = offline_api.post("/api/v1/settlements/batch", {"settlements": [bad]}).json()["results"][0]
    assert not result["ok"] and result["error"] == "unknown_condition"
