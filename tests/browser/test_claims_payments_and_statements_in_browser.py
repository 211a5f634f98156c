"""手工报销, 缴费 and the 个税 statement in Chromium, on a 360×640 phone in elder mode with voice on; each screen
photographed into artifacts/screenshots/money/ and checked by axe-core with the AAA contrast rule.

- 奶奶's settlement failed and she paid at the window: from her receipt, one tap opens a claim filled in from
  that bill; two more screens and it is submitted. Staff approve it; her open claim page shows the money paid
  back and why, without a reload.
- Her son pays her contribution for the year (亲情代缴) from his phone through the sandbox cashier; his page
  shows it paid, and she is told by SMS.
- Her statement for the serious-illness tax deduction prints with a QR; a phone that scans the QR opens the
  verification page, which says it is genuine.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, expect

from accounts.models import OutboundMessage, User
from conftest import client_for
from core import crypto
from family.actions import invite_proxy
from insurance.models import Contribution, Institution, InsuredPerson, Scheme
from insurance.policy import Accumulator
from payments.models import PaymentOrder
from services.models import Claim, ClaimStatus
from settlement.models import Settlement, SettlementItem, Status

from .conftest import SCREENSHOTS
from .helpers import Screens, elder_phone, jpeg_file, listening, not_reloaded, open_context, sign_in_as_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "money"
SMALL_PHONE = {"width": 360, "height": 640}


def failed_settlement(person: InsuredPerson, institution: Institution, *, total: Decimal = Decimal("300.00"),
                      status: str = Status.FAILED) -> Settlement:
    """A bill the counter could not settle: she paid it all at the window and kept the invoice."""
    settlement = Settlement.objects.create(
        institution=institution, person=person, voucher=person.voucher, code_nonce=uuid.uuid4().hex,
        visit_type="outpatient", status=status, total=total, reason="医保系统暂时连不上",
        next_step="请到人工窗口先付钱，保留发票，回来在医保通申请手工报销", finished_at=timezone.now())
    SettlementItem.objects.create(settlement=settlement, code="X01", name="阿莫西林胶囊", category="A",
                                  quantity=Decimal("4"), unit_price=total / 4, amount=total)
    return settlement


def texts_to(phone: str) -> list[str]:
    return list(OutboundMessage.objects.filter(phone_index=crypto.blind_index("phone", phone))
                .values_list("body", flat=True))


def test_from_a_failed_settlement_she_claims_in_three_screens_and_sees_the_money_and_why_when_staff_approve(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, mother_user: User,
        institution: Institution, staff_member: User, rules: None, tmp_path):
    mother.bank_name, mother.bank_account = "中国工商银行", "6222 0212 3456 7890"  # on file at the bureau
    mother.save()
    # This year's deductible is already met, so the fund owes her its share of the bill.
    Accumulator.objects.create(person=mother, year=timezone.localdate().year, deductible_used=Decimal("10000"))
    settlement = failed_settlement(mother, institution)
    screens = Screens(axe, "claim", SHOTS)
    hers = elder_phone(chromium, asgi_live_server, mother_user)
    desk = open_context(chromium, asgi_live_server, viewport={"width": 1280, "height": 900})
    try:
        page = hers.new_page()
        page.goto(f"/records/{settlement.public_id}/")
        screens.check(page, "failed-receipt")
        page.get_by_test_id("claim-button").get_by_role("link", name="申请手工报销").click()

        # Screen 1: the bill, filled in from the settlement; she types the total printed on her invoice.
        screens_seen = [page.url]
        expect(page.get_by_test_id("claim-bill")).to_contain_text("阿莫西林胶囊")
        screens.check(page, "claim-bill")
        page.get_by_label("发票上的总金额（元）").fill("300.00")
        page.get_by_test_id("claim-next").click()

        # Screen 2: photos of the invoice and the payment slip, and where the money goes.
        screens_seen.append(page.url)
        expect(page.get_by_role("heading", level=1)).to_have_text("拍发票，选钱打到哪里")
        page.get_by_label("发票的照片").set_input_files(jpeg_file(tmp_path, "invoice.jpg"))
        page.get_by_label("付款凭证的照片").set_input_files(jpeg_file(tmp_path, "slip.jpg"))
        page.get_by_text("我的银行卡", exact=False).first.click()
        screens.check(page, "claim-photos")
        page.get_by_test_id("claim-submit").click()

        # Screen 3: submitted, with the promised five working days.
        screens_seen.append(page.url)
        status = page.get_by_test_id("claim-status").first
        expect(status).to_have_attribute("data-status", "pending")
        expect(page.get_by_test_id("claim-clock")).to_contain_text("工作日")
        listening(page)
        screens.check(page, "claim-submitted")

        staff = sign_in_as_staff(desk)
        staff.goto("/staff/services/?kind=claim")
        staff.get_by_test_id("open-review").first.click()
        expect(staff.locator("img")).to_have_count(2)
        staff.get_by_test_id("decide-approve").click()

        # Her page, open all along: approved, paid back, and why she got what she got.
        expect(status).to_have_attribute("data-status", "paid", timeout=15_000)
        expect(page.get_by_test_id("claim-money")).to_be_visible()
        expect(page.get_by_test_id("why-paid").first).to_contain_text("医保")
        assert not_reloaded(page), "her page was reloaded"
        screens.check(page, "claim-paid")
    finally:
        hers.close()
        desk.close()
    assert len(screens_seen) <= 4
    claim = Claim.objects.get()
    assert (claim.status, claim.settlement, claim.booked) == (ClaimStatus.PAID, settlement, True)
    assert claim.fund_pay + claim.account_pay + claim.self_pay == claim.total
    # 300 yuan of 甲类 items at a tertiary hospital in her own city, deductible met: the fund pays 80%.
    assert claim.fund_pay == Decimal("240.00")
    assert claim.payout.amount == claim.fund_pay and claim.payout.status == "paid"
    assert any("到账" in text or "报销" in text for text in texts_to(mother.phone))
    screens.assert_all_good()


def test_her_son_pays_her_contribution_from_his_phone_and_she_is_told(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, mother_user: User, son: User):
    mother.scheme = Scheme.RESIDENT  # residents pay their own contribution each year
    mother.save()
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                         scopes=["show_code"])  # paying needs no `act`: she is told instead
    his_session = client_for(son)
    his_session.post(f"/family/{grant.public_id}/act/")
    screens = Screens(axe, "pay", SHOTS)
    his = open_context(chromium, asgi_live_server, viewport=SMALL_PHONE, has_touch=True)
    his.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                      "value": his_session.cookies[settings.SESSION_COOKIE_NAME].value, "url": asgi_live_server}])
    try:
        page = his.new_page()
        page.goto("/payments/contribution/")
        expect(page.get_by_test_id("contribution-due")).to_have_attribute("data-paid", "0")
        amount = page.get_by_test_id("due-amount").inner_text()
        screens.check(page, "due", citizen=False)
        page.get_by_test_id("pay").click()

        expect(page.get_by_test_id("sandbox-note")).to_be_visible()
        expect(page.get_by_test_id("cashier-amount")).to_have_text(amount)
        screens.check(page, "cashier", citizen=False)
        page.get_by_test_id("cashier-pay").click()

        expect(page.get_by_test_id("order-status").first).to_have_attribute("data-status", "paid", timeout=15_000)
        expect(page.get_by_test_id("receipt-amount")).to_have_text(amount)
        screens.check(page, "paid", citizen=False)
    finally:
        his.close()
    order = PaymentOrder.objects.get()
    assert (order.status, order.for_family, order.payer, order.booked) == ("paid", True, son, True)
    assert Contribution.objects.filter(person=mother, period=order.period).count() == 1
    told = [text for text in texts_to(mother.phone) if order.period in text]
    assert told and any(son.masked_name in text or "家人" in text for text in told), told
    screens.assert_all_good()


def test_her_tax_statement_prints_and_its_qr_opens_a_page_that_says_it_is_genuine(
        chromium: Browser, axe: Axe, live_server, mother: InsuredPerson, mother_user: User,
        institution: Institution):
    year = timezone.localdate().year - 1
    # A long stay in hospital last year: 20,000 yuan of her own money on catalogue items.
    settlement = failed_settlement(mother, institution, total=Decimal("25000.00"), status=Status.SETTLED)
    Settlement.objects.filter(pk=settlement.pk).update(
        fund_pay=Decimal("5000.00"), account_pay=Decimal("0.00"), self_pay=Decimal("20000.00"),
        breakdown={"category_c": "0.00", "locality": "in_region"},
        created_at=timezone.make_aware(dt.datetime(year, 6, 1, 10, 0)))
    screens = Screens(axe, "tax", SHOTS)
    context = elder_phone(chromium, live_server.url, mother_user)
    try:
        page = context.new_page()
        page.goto(f"/services/tax/?year={year}")
        screens.check(page, "statement")
        page.goto(f"/services/tax/{year}/print/")
        statement = page.get_by_test_id("tax-statement")
        expect(page.get_by_test_id("statement-deductible")).to_contain_text("5000.00")
        page.emulate_media(media="print")
        SHOTS.mkdir(parents=True, exist_ok=True)
        statement.screenshot(path=str(SHOTS / "tax-printed.png"))
        page.pdf(path=str(SHOTS / "tax-statement.pdf"), format="A4")  # it prints, on one A4 page
        src = page.get_by_test_id("statement-qr").get_attribute("src")
        page.emulate_media(media="screen")
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))))
        assert found, "the QR on the statement could not be read"
        link = found[0].text
        assert link == page.get_by_test_id("statement-url").inner_text()

        # Anyone with the paper (the tax office) scans it: no sign-in needed.
        visitor = open_context(chromium, live_server.url, viewport=SMALL_PHONE).new_page()
        visitor.goto(link.replace(settings.PORTAL_PUBLIC_URL, live_server.url))
        expect(visitor.get_by_test_id("verify-ok")).to_have_text("✔ 真实有效")
        expect(visitor.get_by_test_id("verify-deductible")).to_contain_text("5000.00")
        screens.check(visitor, "verified", citizen=False)
        visitor.goto(link.replace(settings.PORTAL_PUBLIC_URL, live_server.url)[:-3] + "xyz/")
        expect(visitor.get_by_test_id("verify-bad")).to_be_visible()
        visitor.context.close()
    finally:
        context.close()
    assert (SHOTS / "tax-statement.pdf").stat().st_size > 5_000
    screens.assert_all_good()
