"""奶奶 (王秀英, 82, never signed in) opens the portal on her phone and gets her code shown, in a real browser.

The issue's promise: from the home page to a shown code in at most 4 screens that ask her to type or tap,
every screen photographed (artifacts/screenshots/activation/) and free of axe-core violations, in the
standard look and in the large-print elder look.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from conftest import client_for, latest_code_sent_to, make_citizen
from accounts.models import User
from insurance.models import InsuredPerson

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_SCREENS = 4
ELDER_MIN_TEXT_PX = 24
ELDER_MIN_TARGET_PX = 60
# The phone number as she would type it from her SMS-receiving phone, without +86.
TYPED_PHONE = "13800138001"


def body_font_px(page: Page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


def activate_in_browser(page: Page, journey, mother: InsuredPerson, *, elder: bool):
    """Her whole walk from the home page to the code, screen by screen, as she taps it."""
    walk = journey("activation", prefix="elder-" if elder else "")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    walk.screen("home")
    if elder:
        walk.act()
        page.get_by_role("button", name="用长辈版（大字）").click()
        expect(page.locator("html")).to_have_attribute("data-elder", "on")
        walk.screen("home-large-print")

    walk.act()
    page.get_by_test_id("start-activation").click()
    page.wait_for_url("**/activate/")
    walk.screen("identity")

    walk.act()
    page.get_by_label("姓名", exact=True).fill(mother.name)
    page.get_by_label("身份证号", exact=True).fill(mother.id_number)
    page.get_by_label("在医保局登记的手机号", exact=True).fill(TYPED_PHONE)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发到")
    walk.screen("identity-code-sent")

    page.get_by_label("短信验证码", exact=True).fill(latest_code_sent_to(mother.phone))
    page.get_by_test_id("next").click()
    page.wait_for_url("**/activate/confirm/")
    expect(page.get_by_text(mother.masked_name, exact=True)).to_be_visible()
    walk.screen("confirm")

    walk.act()
    page.get_by_test_id("next").click()
    page.wait_for_url("**/activate/agree/")
    walk.screen("agree")

    walk.act()
    page.get_by_label("我已了解以上内容，同意开通医保码").check()
    page.get_by_role("button", name="同意并开通").click()
    page.wait_for_url("**/code/")
    qr = page.locator("[data-testid=qr]")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR image did not load"
    walk.screen("code")
    return walk


def test_grandma_goes_from_the_home_page_to_her_shown_code_in_four_screens(page: Page, journey, mother,
                                                                           transactional_db) -> None:
    assert not User.objects.filter(person=mother).exists(), "she must be someone who never signed in"

    walk = activate_in_browser(page, journey, mother, elder=False)

    assert walk.acted_on == ["/", "/activate/", "/activate/confirm/", "/activate/agree/"]
    assert len(walk.acted_on) <= MAX_SCREENS
    assert page.get_by_role("heading", level=1).inner_text() == "我的医保码"
    assert all(shot.stat().st_size > 5_000 for shot in walk.shots), walk.shots
    assert not page.csp_problems, page.csp_problems
    walk.assert_accessible()


def test_in_large_print_every_step_has_big_text_and_big_buttons(page: Page, journey, mother,
                                                                transactional_db) -> None:
    walk = activate_in_browser(page, journey, mother, elder=True)

    # The banner tap happens on the home page: large print costs her no extra screen.
    assert walk.acted_on == ["/", "/activate/", "/activate/confirm/", "/activate/agree/"]
    assert body_font_px(page) >= ELDER_MIN_TEXT_PX
    walk.assert_accessible()


def test_in_large_print_text_and_targets_meet_the_elder_sizes_on_every_step(page: Page, journey, mother,
                                                                            transactional_db) -> None:
    page.goto("/")
    page.get_by_role("button", name="用长辈版（大字）").click()
    checked = []
    for path in ["/", "/activate/"]:
        page.goto(path)
        checked.append(path)
        assert body_font_px(page) >= ELDER_MIN_TEXT_PX, path
        line_height = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
        assert line_height >= 1.5 * body_font_px(page), path
        small = page.evaluate(
            """min => [...document.querySelectorAll('button, .button, input[type=text]')]
                 .filter(el => el.offsetParent !== null)
                 .map(el => [el.textContent.trim() || el.name, el.getBoundingClientRect()])
                 .filter(([, r]) => r.height < min || r.width < min)
                 .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)""",
            ELDER_MIN_TARGET_PX,
        )
        assert small == [], f"targets smaller than {ELDER_MIN_TARGET_PX}px on {path}: {small}"
    assert checked == ["/", "/activate/"]


def test_the_large_code_view_and_her_account_record_have_no_accessibility_violations(
    page: Page, journey, browser_context, live_server, mother, transactional_db
) -> None:
    make_citizen(mother)
    session = client_for(mother.user).cookies[settings.SESSION_COOKIE_NAME].value
    browser_context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
        {"name": "elder_mode", "value": "1", "url": live_server.url},
    ])
    walk = journey("code-views")

    page.goto("/code/")
    page.get_by_role("link", name="放大").click()
    page.wait_for_url("**/code/large/")
    expect(page.get_by_role("heading", level=1)).to_have_text("请收费员扫码")
    expect(page.locator("[data-testid=qr]")).to_be_visible()
    walk.screen("code-large")

    page.get_by_role("link", name="返回").click()
    page.get_by_role("link", name="我的账户记录").click()
    page.wait_for_url("**/account/record/")
    expect(page.get_by_test_id("record-table")).to_contain_text("打开了医保码")
    walk.screen("account-record")

    assert not page.csp_problems, page.csp_problems
    walk.assert_accessible()
