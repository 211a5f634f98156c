"""个税扣除查询: a year's self-paid medical expenses within the catalogue (self_pay + account_pay - 丙类, of settled
bills and paid claims), the 15,000 threshold and the 80,000 cap, in plain words; hers or a proxy's with
view_records; a printed statement whose QR opens a public page that says "真实有效", or that the paper was
changed."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.core import signing
from django.utils import timezone

from audit.kinds import Kind
from audit.models import AuditEvent, Via
from conftest import client_for
from core.qr import qr_png_data_uri  # the QR is drawn exactly as the code's is
from elder_mode.voice.guides import guide_text
from family.actions import invite_proxy
from services.catalogue import SERVICES_BY_SLUG
from services.models import Claim, ClaimStatus
from services.tax import TOKEN_SALT, deductible_for, read_statement
from settlement.models import Settlement, SettlementItem

D = Decimal


def settled(person, institution, *, on: dt.datetime, self_pay: str, account_pay: str = "0.00",
            fund_pay: str = "0.00", category_c: str = "0.00", status: str = "settled") -> Settlement:
    total = D(self_pay) + D(account_pay) + D(fund_pay)
    paid = status == "settled"
    s = Settlement.objects.create(
        institution=institution, person=person, voucher=person.voucher, code_nonce=uuid.uuid4().hex,
        visit_type="inpatient", status=status, total=total, fund_pay=D(fund_pay) if paid else None,
        account_pay=D(account_pay) if paid else None, self_pay=D(self_pay) if paid else None,
        breakdown={"category_c": category_c} if paid else {})
    Settlement.objects.filter(pk=s.pk).update(created_at=on)
    SettlementItem.objects.create(settlement=s, code="X1", name="住院费", category="A", quantity=1,
                                  unit_price=total, amount=total)
    return s


def at(year: int, month: int = 6, day: int = 1) -> dt.datetime:
    return dt.datetime(year, month, day, 10, 0, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def last_year() -> int:
    return timezone.localdate().year - 1


@pytest.fixture
def her_bills(mother, mother_user, institution, last_year):
    """Last year: two settled stays and a paid claim, a failed bill and one of the year before (not counted)."""
    settled(mother, institution, on=at(last_year, 3), self_pay="9000.00", account_pay="1000.00", fund_pay="30000.00",
            category_c="500.00")                                        # counts 9,500.00
    settled(mother, institution, on=at(last_year, 9), self_pay="7000.00", fund_pay="20000.00")  # counts 7,000.00
    settled(mother, institution, on=at(last_year, 10), self_pay="5000.00", status="failed")     # not counted
    settled(mother, institution, on=at(last_year - 1, 12, 30), self_pay="4000.00")               # another year
    Claim.objects.create(person=mother, institution_name="杭州市中医院", institution_level="tertiary",
                         region_code="330100", visit_date=dt.date(last_year, 11, 2), visit_type="outpatient",
                         total=D("3000.00"), invoice_total=D("3000.00"), destination="bank",
                         status=ClaimStatus.PAID, fund_pay=D("1200.00"), account_pay=D("0.00"),
                         self_pay=D("1800.00"), breakdown={"category_c": "300.00"})       # counts 1,500.00
    Claim.objects.create(person=mother, institution_name="还在审核的医院", institution_level="tertiary",
                         region_code="330100", visit_date=dt.date(last_year, 11, 5), visit_type="outpatient",
                         total=D("900.00"), invoice_total=D("900.00"), destination="bank",
                         status=ClaimStatus.PENDING)                                     # not paid: not counted
    return mother


def son_acting_for(mother_user, son, scopes):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=scopes)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


def test_the_rule_is_the_part_above_15000_up_to_80000():
    assert deductible_for(D("14999.99")) == D("0.00")
    assert deductible_for(D("15000.00")) == D("0.00")
    assert deductible_for(D("15000.01")) == D("0.01")
    assert deductible_for(D("95000.00")) == D("80000.00")
    assert deductible_for(D("200000.00")) == D("80000.00")


def test_she_sees_her_years_self_paid_total_the_threshold_and_what_she_can_deduct(mother_client, her_bills,
                                                                                 last_year):
    response = mother_client.get("/services/tax/", {"year": last_year})
    assert response.status_code == 200
    body = response.content.decode()
    # 9,500 + 7,000 + 1,500 = 18,000.00; 18,000 - 15,000 = 3,000.00.
    assert 'data-testid="tax-total">18000.00' in body
    assert 'data-testid="tax-deductible">3000.00' in body
    assert "可以扣除3000.00元。" in body and "15000" in body
    visits = body.split('data-testid="tax-visits"')[1].split("</table>")[0]
    assert visits.count("<tr>") == 4  # the header and three visits
    assert "杭州市中医院（手工报销）" in visits and "还在审核的医院" not in visits
    assert "丙类" in body  # the page says what is left out
    assert 'data-testid="voice-guide"' in body and guide_text("tax_statement") in body


def test_last_year_is_shown_first_and_four_years_are_offered(mother_client, her_bills, last_year):
    body = mother_client.get("/services/tax/").content.decode()
    assert 'data-testid="tax-total">18000.00' in body
    this_year = last_year + 1
    for year in range(this_year - 3, this_year + 1):
        assert f'href="?year={year}"' in body
    assert f'href="?year={this_year - 4}"' not in body


def test_a_year_under_the_threshold_says_how_much_is_missing(mother_client, mother, institution, last_year):
    settled(mother, institution, on=at(last_year), self_pay="12000.00")
    body = mother_client.get("/services/tax/", {"year": last_year}).content.decode()
    assert "这一年还不能扣除" in body and "还差3000.00元" in body
    assert 'data-testid="tax-deductible">0.00' in body


def test_the_deduction_stops_at_80000(mother_client, mother, institution, last_year):
    settled(mother, institution, on=at(last_year), self_pay="120000.00")
    body = mother_client.get("/services/tax/", {"year": last_year}).content.decode()
    assert "可以扣除80000.00元。" in body and "最多只能扣80000元。" in body


def test_a_year_without_visits_says_so(mother_client, last_year):
    body = mother_client.get("/services/tax/", {"year": last_year}).content.decode()
    assert 'data-testid="tax-no-visits"' in body and 'data-testid="tax-total">0.00' in body


@pytest.mark.parametrize("asked", ["abc", "1999", "3000", "2026x", "-1", "٢٠٢٥", "1" * 400])
def test_a_year_she_cannot_ask_for_gets_a_plain_message_and_never_a_500(mother_client, her_bills, asked):
    response = mother_client.get("/services/tax/", {"year": asked})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="form-error"' in body
    assert "请从下面的年份里选一年。" in body or "请从下面选" in body


def test_printing_a_year_not_offered_is_not_found(mother_client, last_year):
    assert mother_client.get(f"/services/tax/{last_year - 10}/print/").status_code == 404
    assert mother_client.get("/services/tax/abc/print/").status_code == 404


def test_her_son_with_view_records_sees_it_and_she_can_read_that_he_looked(mother_user, mother, son, her_bills,
                                                                           last_year):
    client, grant = son_acting_for(mother_user, son, ["view_records"])
    body = client.get("/services/tax/", {"year": last_year}).content.decode()
    assert 'data-testid="tax-total">18000.00' in body
    event = AuditEvent.objects.get(action=Kind.RECORDS_VIEWED, subject=mother, via=Via.PROXY)
    assert event.detail["grant_id"] == grant.pk and event.detail["tax_year"] == last_year


def test_her_son_without_view_records_a_stranger_and_the_signed_out_see_nothing_of_hers(
        mother_user, mother, son, stranger_client, client, her_bills, last_year):
    proxy, _grant = son_acting_for(mother_user, son, ["show_code", "act"])
    for address in ("/services/tax/", f"/services/tax/{last_year}/print/"):
        response = proxy.get(address)
        assert response.status_code == 403, address
        assert "18000.00" not in response.content.decode()
        assert "18000.00" not in stranger_client.get(address).content.decode()
        signed_out = client.get(address)
        assert signed_out.status_code == 302 and "login" in signed_out.url
    assert not AuditEvent.objects.filter(action=Kind.TAX_STATEMENT_ISSUED, subject=mother).exists()


def _print(client, year):
    response = client.get(f"/services/tax/{year}/print/")
    assert response.status_code == 200
    body = response.content.decode()
    url = re.search(r'data-testid="statement-url">([^<]+)<', body).group(1)
    qr = re.search(r'<img src="([^"]+)"[^>]*data-testid="statement-qr"', body).group(1)
    return body, url, qr


def test_the_printed_statement_is_one_a4_page_with_a_qr_of_its_signed_verify_link(
        mother_client, mother, her_bills, last_year, settings):
    body, url, qr = _print(mother_client, last_year)
    assert 'data-testid="statement-total">18000.00' in body and 'data-testid="statement-deductible">3000.00' in body
    assert "王*" in body and "330***********1123" in body and "330100194403121123" not in body
    assert url.startswith(settings.PORTAL_PUBLIC_URL + "/services/tax/verify/")
    assert qr == qr_png_data_uri(url, scale=4)  # the QR says exactly the link printed under it
    assert "css/print-statement.css" in body and "js/print-button.js" in body
    css = (settings.BASE_DIR / "static" / "css" / "print-statement.css").read_text()
    assert "@media print" in css and "size: A4" in css
    event = AuditEvent.objects.get(action=Kind.TAX_STATEMENT_ISSUED, subject=mother)
    assert event.via == Via.SELF and event.detail["year"] == last_year and event.detail["deductible"] == "3000.00"
    assert event.detail["statement"] in body


def test_its_qr_opens_a_public_page_that_says_it_is_genuine_with_the_signed_values(mother_client, client, her_bills,
                                                                                   last_year, settings):
    _body, url, _qr = _print(mother_client, last_year)
    response = client.get(url.removeprefix(settings.PORTAL_PUBLIC_URL))  # nobody signed in
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="verify-ok"' in page and "真实有效" in page
    assert 'data-testid="verify-total">18000.00' in page and 'data-testid="verify-deductible">3000.00' in page
    assert "王*" in page and str(last_year) in page and guide_text("tax_verify") in page


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_a_changed_or_forged_statement_is_told_apart(mother_client, client, her_bills, last_year):
    _body, url, _qr = _print(mother_client, last_year)
    token = _token(url)
    payload = signing.loads(token, salt=TOKEN_SALT)
    forged = [
        token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"),           # the signature changed
        signing.dumps({**payload, "d": "80000.00"}, salt="another-salt", compress=True),  # not our salt
        signing.dumps({**payload, "d": "80000.00"}, key="someone-else", salt=TOKEN_SALT),  # not our key
        "nonsense", "a" * 600, "%00", "..",
    ]
    for bad in forged:
        response = client.get(f"/services/tax/verify/{bad}/")
        assert response.status_code == 404, bad
        body = response.content.decode()
        assert 'data-testid="verify-bad"' in body and "这张证明不是医保通开具的，或已被改动" in body, bad
        assert "80000.00" not in body and 'data-testid="verify-ok"' not in body
    assert read_statement(forged[0]) is None and read_statement(token) is not None


def test_a_proxys_print_is_in_her_account_record(mother_user, mother, son, her_bills, last_year):
    client, grant = son_acting_for(mother_user, son, ["view_records"])
    _print(client, last_year)
    event = AuditEvent.objects.get(action=Kind.TAX_STATEMENT_ISSUED, subject=mother)
    assert event.via == Via.PROXY and event.detail["grant_id"] == grant.pk
    record = client_for(mother_user).get("/account/record/").content.decode()
    assert "开具了个税大病医疗扣除证明" in record


def test_the_catalogue_entry_is_online_now(mother_client):
    service = SERVICES_BY_SLUG["tax-deduction"]
    assert service.url_name == "services:tax_statement"
    assert 'href="/services/tax/"' in mother_client.get("/services/").content.decode()


def test_this_years_statement_says_the_year_is_not_over(mother_client, mother, institution):
    this_year = timezone.localdate().year
    settled(mother, institution, on=timezone.now(), self_pay="16000.00")
    page = mother_client.get("/services/tax/", {"year": this_year}).content.decode()
    assert "还没过完" in page and "可以扣除1000.00元。" in page
    body, _url, _qr = _print(mother_client, this_year)
    assert "本年度还没有结束，本证明只算到开具时间。" in body
