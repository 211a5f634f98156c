"""办事 in Chromium, as the people who use it: on a 360×640 phone in elder mode with voice on, each screen
photographed into artifacts/screenshots/services/ and checked by axe-core with the AAA contrast rule.

- 奶奶 files 异地就医备案 herself: the hub, then three screens (what and where, the photos, done).
- Her son files one for her from his phone, and her open "我的备案" shows it without a reload.
- A staff member returns a filing with a reason; she sees it at once, corrects it with a new photo; the staff
  member approves it, and her page says so, live.
- With that filing in force, the counter in Shanghai settles her bill at the filed rate, and her receipt says
  why she paid what she paid.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from conftest import client_for
from family.actions import invite_proxy
from insurance.filings import Filing, ReviewStatus, Via
from insurance.models import Institution, InsuredPerson
from insurance.policy import Accumulator
from services.actions import submit_filing
from services.uploads import clean_photo_bytes
from settlement.models import Settlement, Status

from .conftest import SCREENSHOTS
from .helpers import (
    Screens,
    elder_phone,
    fill_the_bill,
    jpeg_file,
    listening,
    not_reloaded,
    open_context,
    sign_in_as_staff,
    sign_in_at_the_counter,
    token_in_qr,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "services"
SMALL_PHONE = {"width": 360, "height": 640}
HAIKOU, SHANGHAI = "460100", "310000"


def path_of(page: Page) -> str:
    return page.url.split("://", 1)[1].split("/", 1)[1].split("?")[0]


def test_grandma_files_for_haikou_herself_in_three_screens_after_the_hub(
        chromium: Browser, axe: Axe, live_server, mother: InsuredPerson, mother_user: User, tmp_path):
    screens = Screens(axe, "mother-files", SHOTS)
    context = elder_phone(chromium, live_server.url, mother_user)
    try:
        page = context.new_page()
        page.goto("/services/")
        screens.check(page, "hub")
        page.get_by_role("link", name="异地就医备案").first.click()

        # Screen 1: what kind, where, from when. The materials of every kind are shown before she starts.
        acted_on = [path_of(page)]
        expect(page.get_by_role("heading", level=1)).to_have_text("异地就医备案")
        expect(page.get_by_test_id("filing-type-residence")).to_contain_text("要准备")
        screens.check(page, "what-and-where")
        page.get_by_text("异地长期居住", exact=True).click()
        page.get_by_label("要去哪个城市看病？").select_option(HAIKOU)
        page.get_by_label("从哪天开始").fill(timezone.localdate().isoformat())
        page.get_by_test_id("filing-next").click()

        # Screen 2: the photos Haikou asks for (one more than elsewhere), from the phone's camera.
        acted_on.append(path_of(page) + "#photos")
        expect(page.get_by_role("heading", level=1)).to_have_text("拍材料")
        photo = page.get_by_label("海南居住证或社区居住证明")
        assert photo.get_attribute("capture") == "environment" and photo.get_attribute("accept") == "image/*"
        screens.check(page, "photos")
        photo.set_input_files(jpeg_file(tmp_path, "juzhuzheng.jpg"))
        page.get_by_label("我承诺：以上信息真实，如有不实，愿意退回医保报销的钱。").check()
        page.get_by_test_id("filing-submit").click()

        # Screen 3: done. Long-term residence takes effect at once, nationwide.
        acted_on.append(path_of(page))
        status = page.get_by_test_id("filing-status").first
        expect(status).to_have_attribute("data-status", "approved")
        expect(status).to_contain_text("海口")
        screens.check(page, "done")
    finally:
        context.close()
    assert len(acted_on) <= 4, acted_on
    filing = Filing.objects.get(person=mother)
    assert (filing.status, filing.filing_type, filing.region_code, filing.via) == (
        ReviewStatus.APPROVED, "residence", HAIKOU, Via.SELF)
    stored = filing.attachments.get()
    assert stored.label == "海南居住证或社区居住证明" and stored.image.read()[:2] == b"\xff\xd8"
    screens.assert_all_good()


def test_her_son_files_for_her_from_his_phone_and_her_open_list_shows_it_without_a_reload(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, mother_user: User, son: User):
    screens = Screens(axe, "son-files", SHOTS)
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                         scopes=["act", "view_records"])
    his_session = client_for(son)
    his_session.post(f"/family/{grant.public_id}/act/")  # he chooses to act for her
    hers = elder_phone(chromium, asgi_live_server, mother_user)
    his = open_context(chromium, asgi_live_server, viewport=SMALL_PHONE, has_touch=True)
    his.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                      "value": his_session.cookies[settings.SESSION_COOKIE_NAME].value, "url": asgi_live_server}])
    try:
        her_page = hers.new_page()
        her_page.goto("/services/filings/")
        expect(her_page.get_by_test_id("no-filings")).to_be_visible()
        listening(her_page)
        screens.check(her_page, "her-list-empty")

        his_page = his.new_page()
        his_page.goto("/services/filing/")
        expect(his_page.get_by_test_id("acting-banner")).to_contain_text(mother.masked_name)
        screens.check(his_page, "his-what-and-where", citizen=False)
        his_page.get_by_text("临时外出就医", exact=True).click()
        his_page.get_by_label("要去哪个城市看病？").select_option(SHANGHAI)
        start = timezone.localdate()
        his_page.get_by_label("从哪天开始").fill(start.isoformat())
        his_page.get_by_label("到哪天结束").fill((start + dt.timedelta(days=60)).isoformat())
        his_page.get_by_test_id("filing-next").click()
        his_page.get_by_label("我承诺：以上信息真实，如有不实，愿意退回医保报销的钱。").check()
        screens.check(his_page, "his-promise", citizen=False)
        his_page.get_by_test_id("filing-submit").click()
        expect(his_page.get_by_test_id("filing-status").first).to_have_attribute("data-status", "approved")

        # Her list, open all along, shows it at the top, by itself.
        arrived = her_page.get_by_test_id("filing-status").first
        expect(arrived).to_have_attribute("data-status", "approved")
        expect(arrived).to_contain_text("上海")
        expect(her_page.get_by_test_id("no-filings")).to_have_count(0)
        assert not_reloaded(her_page), "her page was reloaded"
        screens.check(her_page, "her-list-with-his-filing")
    finally:
        hers.close()
        his.close()
    filing = Filing.objects.get(person=mother)
    assert (filing.via, filing.submitted_by) == (Via.PROXY, son)
    screens.assert_all_good()


def test_staff_return_a_referral_she_corrects_it_and_staff_approve_it_while_she_watches(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, mother_user: User,
        staff_member: User, tmp_path):
    screens = Screens(axe, "review", SHOTS)
    start = timezone.localdate() + dt.timedelta(days=3)
    with open(jpeg_file(tmp_path, "blurry.jpg"), "rb") as blurry:
        filing = submit_filing(actor=mother_user, person=mother, via=Via.SELF, filing_type="referral",
                               region_code=SHANGHAI, valid_from=start, valid_until=start + dt.timedelta(days=30),
                               hospital="复旦大学附属中山医院",
                               photos=[("转诊转院证明", clean_photo_bytes(blurry.read()))], promised=True)
    assert filing.status == ReviewStatus.PENDING
    hers = elder_phone(chromium, asgi_live_server, mother_user)
    desk = open_context(chromium, asgi_live_server, viewport={"width": 1280, "height": 900})
    try:
        her_page = hers.new_page()
        her_page.goto(f"/services/filings/{filing.public_id}/")
        expect(her_page.get_by_test_id("filing-status")).to_contain_text("个工作日")  # the promised clock
        listening(her_page)
        screens.check(her_page, "her-pending")

        staff = sign_in_as_staff(desk)
        screens.check(staff, "staff-queue", citizen=False)
        staff.get_by_test_id("open-review").first.click()
        screens.check(staff, "staff-filing", citizen=False)
        staff.get_by_label("原因（退回或不通过时必填）").fill("转诊证明没有盖章，请拍盖章的那一页")
        staff.get_by_test_id("decide-return").click()

        # She sees the reason at once, big, with the way to fix it.
        expect(her_page.get_by_test_id("filing-status")).to_have_attribute("data-status", "returned")
        expect(her_page.get_by_test_id("filing-reason")).to_contain_text("没有盖章")
        assert not_reloaded(her_page)
        screens.check(her_page, "her-returned")
        her_page.get_by_role("link", name="改好后重新提交").click()
        screens.check(her_page, "her-correcting")
        her_page.get_by_label("转诊转院证明（已经传过，要换才拍）").set_input_files(jpeg_file(tmp_path, "stamped.jpg"))
        her_page.get_by_test_id("filing-resubmit").click()
        expect(her_page.get_by_test_id("filing-status").first).to_have_attribute("data-status", "pending")
        listening(her_page)

        staff.goto("/staff/services/")
        staff.get_by_test_id("open-review").first.click()
        expect(staff.locator("img")).to_have_count(2)  # the first photo and the stamped one
        staff.get_by_test_id("decide-approve").click()

        status = her_page.get_by_test_id("filing-status").first
        expect(status).to_have_attribute("data-status", "approved")
        expect(status).to_contain_text("已通过")
        screens.check(her_page, "her-approved")
    finally:
        hers.close()
        desk.close()
    filing.refresh_from_db()
    assert (filing.status, filing.decided_by) == (ReviewStatus.APPROVED, staff_member)
    screens.assert_all_good()


def test_in_shanghai_the_counter_pays_her_the_filed_rate_and_her_receipt_says_why(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, mother_user: User,
        institution: Institution, operator: User, rules: None):
    institution.region_code = SHANGHAI  # the hospital her operator works at is in Shanghai
    institution.save(update_fields=["region_code"])
    # This year's deductible already met, so the ratio shows in what the fund pays.
    Accumulator.objects.create(person=mother, year=timezone.localdate().year, deductible_used=Decimal("10000"))
    submit_filing(actor=mother_user, person=mother, via=Via.SELF, filing_type="temporary", region_code=SHANGHAI,
                  valid_from=timezone.localdate(), valid_until=timezone.localdate() + dt.timedelta(days=30),
                  photos=[], promised=True)
    screens = Screens(axe, "filed-rate", SHOTS)
    hers = elder_phone(chromium, asgi_live_server, mother_user)
    desk = open_context(chromium, asgi_live_server, viewport={"width": 1280, "height": 900})
    try:
        her_page = hers.new_page()
        her_page.goto("/code/")
        listening(her_page)
        counter = sign_in_at_the_counter(desk)
        code_field = counter.get_by_label("医保码", exact=True)
        fill_the_bill(counter, token_in_qr(her_page))
        code_field.press("Enter")
        expect(her_page.get_by_test_id("settlement-status")).to_have_attribute("data-status", "settled")
        expect(counter.get_by_test_id("why-paid")).to_contain_text("备案")
        expect(her_page.get_by_test_id("settlement-status").get_by_test_id("why-paid")).to_contain_text("备案")
        screens.check(her_page, "her-code-settled")

        settlement = Settlement.objects.get()
        assert settlement.status == Status.SETTLED and settlement.breakdown["locality"] == "out_filed"
        her_page.goto(f"/records/{settlement.public_id}/")
        why = her_page.get_by_test_id("receipt").get_by_test_id("why-paid")
        expect(why).to_contain_text("已经备案")
        expect(why).to_contain_text(f"{settlement.self_pay}")
        screens.check(her_page, "her-receipt")
    finally:
        hers.close()
        desk.close()
    # 50 yuan of A items, an employee at a tertiary hospital in Shanghai, deductible met: filed, 80% - 5% = 75%
    # (37.50); unfiled it would have been 60% (30.00). Her personal account pays the rest.
    assert (settlement.total, settlement.fund_pay, settlement.account_pay, settlement.self_pay) == (
        Decimal("50.00"), Decimal("37.50"), Decimal("12.50"), Decimal("0.00"))
    screens.assert_all_good()
