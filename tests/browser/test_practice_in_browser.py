"""Practice mode (练习) in Chromium: her phone (elder mode, voice on, nobody signed in) starts a practice and shows
the practice code; a second browser (her son's phone) opens the practice counter from the link on her practice
home and settles a pretend bill; her phone shows the result pushed live, without a reload. The real tables are
counted before and after. Class mode: a teacher opens a class, two phones join with the class code, the counter
settles one of them, and the other sees nothing (until its own turn). Each screen is photographed into
artifacts/screenshots/practice/ and checked: axe with AAA contrast, the elder sizes, the voice guide, the help
block, and "练习，不会扣钱"."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import OutboundMessage, User
from audit.models import AuditEvent
from core.practice import PRACTICE_PREFIX
from insurance.models import InsuredPerson
from learn.models import PracticeBill, PracticeSession
from notices.models import Notice
from settlement.models import Settlement
from vouchers.models import Voucher

from .conftest import SCREENSHOTS, SMALL_ELDER_PHONE, STEP_TIMEOUT_MS
from .helpers import NOTE_SOCKET_OPEN, Screens, listening, not_reloaded, token_in_qr, watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "practice"
BANNER = "练习，不会扣钱"


def real_counts() -> dict[str, int]:
    return {"people": InsuredPerson.objects.count(), "vouchers": Voucher.objects.count(),
            "settlements": Settlement.objects.count(), "audit": AuditEvent.objects.count(),
            "notices": Notice.objects.count(), "sms": OutboundMessage.objects.count(),
            "users": User.objects.count()}


def elder_phone_signed_out(browser: Browser, base_url: str) -> BrowserContext:
    """A 360×640 phone in elder mode with voice on, nobody signed in (she has not activated anything yet)."""
    context = browser.new_context(base_url=base_url, viewport=SMALL_ELDER_PHONE, device_scale_factor=2,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.add_cookies([{"name": "elder_mode", "value": "1", "url": base_url},
                         {"name": "voice", "value": "on", "url": base_url}])
    context.add_init_script(NOTE_SOCKET_OPEN)
    return context


def says_practice(page: Page) -> None:
    expect(page.get_by_test_id("practice-banner").first).to_contain_text(BANNER)


def settle(page: Page, *, cold: str = "", bp: str = "", reg: str = "") -> None:
    for label, value in (("感冒药", cold), ("降压药", bp), ("挂号费", reg)):
        if value:
            page.get_by_label(label).fill(value)
    page.get_by_test_id("practice-settle").click()
    page.wait_for_load_state("load")


def test_a_practice_settlement_from_her_sons_phone_shows_on_her_phone_live_and_touches_nothing_real(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, mother_user: User):
    screens = Screens(axe, "solo", SHOTS)
    before = real_counts()
    hers = elder_phone_signed_out(chromium, asgi_live_server)
    sons = elder_phone_signed_out(chromium, asgi_live_server)
    try:
        page = watched(hers.new_page())
        page.goto("/learn/practice/")
        says_practice(page)
        screens.check(page, "start")
        page.get_by_test_id("practice-begin").click()
        page.wait_for_url("**/learn/practice/*/")
        says_practice(page)
        expect(page.get_by_test_id("practice-counter-qr")).to_be_visible()
        counter_link = page.get_by_test_id("practice-counter-url").inner_text().strip()
        screens.check(page, "home")
        page.get_by_test_id("practice-show-code").click()
        page.wait_for_url("**/code/")
        says_practice(page)
        assert token_in_qr(page).startswith(PRACTICE_PREFIX)  # what a scanner reads is plainly a practice code
        listening(page)
        screens.check(page, "code")

        desk = watched(sons.new_page())
        desk.goto(counter_link)
        says_practice(desk)
        screens.check(desk, "counter")
        settle(desk, cold="1", bp="2")
        expect(desk.get_by_test_id("practice-result")).to_contain_text("练习结算好了")
        screens.check(desk, "counter-settled")

        result = page.get_by_test_id("practice-result")
        expect(result).to_contain_text("练习结算好了")
        expect(page.get_by_test_id("practice-fund-pay")).to_have_text("63.70 元")
        expect(page.get_by_test_id("practice-self-pay")).to_have_text("27.30 元")
        expect(result.get_by_test_id("practice-banner")).to_contain_text(BANNER)
        expect(page.get_by_test_id("practice-once-more")).to_be_visible()
        expect(page.get_by_test_id("practice-result-go-real")).to_be_visible()
        assert not_reloaded(page)
        screens.check(page, "result")
        assert not page.problems and not desk.problems, page.problems + desk.problems  # type: ignore[attr-defined]
    finally:
        hers.close()
        sons.close()
    assert PracticeBill.objects.count() == 1
    assert real_counts() == before
    screens.assert_all_good()


def test_a_class_counter_settles_one_of_two_phones_and_the_other_sees_nothing(
        chromium: Browser, axe: Axe, asgi_live_server: str):
    screens = Screens(axe, "class", SHOTS)
    before = real_counts()
    teacher_ctx = elder_phone_signed_out(chromium, asgi_live_server)
    first_ctx = elder_phone_signed_out(chromium, asgi_live_server)
    second_ctx = elder_phone_signed_out(chromium, asgi_live_server)
    try:
        teacher = watched(teacher_ctx.new_page())
        teacher.goto("/learn/practice/class/")
        says_practice(teacher)
        screens.check(teacher, "open-class")
        teacher.get_by_test_id("practice-class-start").click()
        teacher.wait_for_url("**/learn/practice/counter/*/")
        listening(teacher)
        class_code = teacher.get_by_test_id("practice-class-code").inner_text().strip()
        assert len(class_code) == 6 and class_code.isdigit()
        screens.check(teacher, "counter-empty")

        phones = []
        for context in (first_ctx, second_ctx):
            phone = watched(context.new_page())
            phone.goto("/learn/practice/")
            phone.get_by_label("课堂号（6位数字）").fill(class_code)
            phone.get_by_test_id("practice-join").click()
            phone.wait_for_url("**/learn/practice/*/")
            phone.get_by_test_id("practice-show-code").click()
            phone.wait_for_url("**/code/")
            listening(phone)
            phones.append(phone)
        first, second = phones
        screens.check(first, "phone-1-code")

        # The teacher's page lists both phones as they joined, without a reload.
        expect(teacher.get_by_test_id("practice-seat")).to_have_count(2)
        assert not_reloaded(teacher)
        screens.check(teacher, "counter-two-phones")

        teacher.get_by_label("1号手机").check()
        settle(teacher, reg="1", cold="1")
        expect(first.get_by_test_id("practice-result")).to_contain_text("28.00")
        screens.check(first, "phone-1-result")
        # The other phone saw nothing...
        second.wait_for_timeout(500)
        expect(second.get_by_test_id("practice-result")).to_have_count(0)
        # ...and it does hear its own turn (so its silence was a refusal, not a broken socket).
        listening(teacher)
        teacher.get_by_label("2号手机", exact=False).first.check()
        settle(teacher, bp="1")
        expect(second.get_by_test_id("practice-result")).to_contain_text("36.50")
        expect(first.get_by_test_id("practice-result")).to_contain_text("28.00")  # hers unchanged
        screens.check(teacher, "counter-after")
        for page in (teacher, first, second):
            assert not page.problems, page.problems  # type: ignore[attr-defined]
    finally:
        for context in (teacher_ctx, first_ctx, second_ctx):
            context.close()
    assert PracticeSession.objects.filter(kind="seat").count() == 2
    assert real_counts() == before
    screens.assert_all_good()
