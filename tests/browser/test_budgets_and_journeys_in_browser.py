"""Code budgets and journeys that start in the wrong place, in a real browser on a 360x640 phone in elder mode, each screen checked by axe (AAA
contrast): 奶奶 taps 登录 before she has ever activated and is taken to activation with that one code; when her
sign-in codes run out, the message says when she can try again and gives her a call button on the first screen.

Screenshots: artifacts/issue13/journeys-*.png.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from accounts.models import OneTimeCode
from conftest import latest_code_sent_to

from .conftest import AXE_OPTIONS, REPO, axe_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = REPO / "artifacts" / "issue13"
SMALL = {"width": 360, "height": 640}
HER_PHONE = "13800138001"


def looked_at(axe: Axe, page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journeys-{name}.png"))
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], axe_report(violations)


def on_first_screen(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SMALL["height"]


def test_she_taps_sign_in_before_activating_and_lands_on_activation_with_that_one_code(small_elder_page: Page, axe: Axe,
                                                                                         mother):
    page = small_elder_page
    page.goto("/accounts/login/")
    page.fill("input[name=phone]", HER_PHONE)
    page.click("button[value=send_sms]")
    page.wait_for_load_state("load")
    page.fill("input[name=code]", latest_code_sent_to(f"+86{HER_PHONE}"))
    page.click("button[value=verify]")
    page.wait_for_url("**/activate/")

    body = page.locator("main").inner_text()
    assert "您还没有开通医保码，先开通吧" in body
    assert page.input_value("input[name=phone]") == HER_PHONE
    assert page.locator("[data-testid=send-code]").count() == 0  # no second code to wait for
    looked_at(axe, page, "sign-in-before-activation")

    page.fill("input[name=name]", "王秀英")
    page.fill("input[name=id_number]", "330100194403121123")
    page.get_by_test_id("next").click()
    page.wait_for_url("**/activate/confirm/")
    assert OneTimeCode.objects.filter(phone_index=mother.phone_index).count() == 1


def test_when_her_sign_in_codes_run_out_she_sees_when_to_try_again_and_a_call_button_first(
        small_elder_page: Page, axe: Axe, mother_user, settings):
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 1
    settings.OTP_RESEND_AFTER_SECONDS = 0
    page = small_elder_page
    page.goto("/accounts/login/")
    page.fill("input[name=phone]", HER_PHONE)
    page.click("button[value=send_sms]")
    page.wait_for_load_state("load")
    page.click("button[value=send_sms]")  # 再发一次: over this hour's sign-in budget
    page.wait_for_load_state("load")

    alert = page.locator("[role=alert]").first
    text = alert.inner_text()
    assert "分钟后再试" in text and "以后" in text, text  # minutes and the clock time
    assert "12393" in text
    call = page.locator("a[href^='tel:']").first
    assert on_first_screen(page, "[role=alert]")
    box = call.bounding_box()
    assert box is not None and box["height"] >= 60 and box["width"] >= 60
    looked_at(axe, page, "sign-in-codes-ran-out")
