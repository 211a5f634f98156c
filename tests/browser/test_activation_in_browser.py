"""奶奶 (王秀英, 82, never signed in) opens the portal on her phone and gets her code shown, in a real browser.

The issue's promise: from the home page to a shown code in at most 4 screens that ask her to type or tap,
every screen photographed (artifacts/screenshots/activation/) and free of axe-core violations, in the
standard look and in the large-print elder look.
"""

from __future__ import annotations

import io
import uuid
from urllib.parse import unquote

import pytest
import zxingcpp
from django.conf import settings
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import User
from conftest import client_for, latest_code_sent_to, make_citizen
from insurance.models import InsuredPerson
from vouchers.codes import verify_code_token
from vouchers.selectors import voucher_of

from .conftest import SCREENSHOTS
from .helpers import ELDER_MIN_TEXT_PX, body_font_px, elder_size_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_SCREENS = 4
# The phone number as she would type it from her SMS-receiving phone, without +86.
TYPED_PHONE = "13800138001"


def voucher_scanned_from_screen(page: Page) -> uuid.UUID:
    """Point a scanner at her screen: read the QR from a picture of it and check the portal's signature."""
    picture = Image.open(io.BytesIO(page.screenshot()))
    found = [b.text for b in zxingcpp.read_barcodes(picture) if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(found) == 1, f"expected one readable QR code on screen, found {len(found)}"
    return verify_code_token(found[0]).voucher_public_id


def qr_width(page: Page) -> float:
    return page.get_by_test_id("qr").bounding_box()["width"]


def activate_in_browser(page: Page, journey, mother: InsuredPerson, *, elder: bool):
    """Her whole walk from the home page to the code, screen by screen, as she taps it.

    Returns the journey and, in elder mode, what broke the elder sizes on each screen.
    """
    walk = journey("activation", prefix="elder-" if elder else "", number_from=11 if elder else 1)
    sizes: dict[str, list[str]] = {}

    def screen(name: str) -> None:
        walk.screen(name)
        if elder:
            sizes[name] = elder_size_problems(page)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if elder:
        walk.screen("home")
        walk.act()
        page.get_by_role("button", name="用长辈版（大字）").click()
        expect(page.locator("html")).to_have_attribute("data-elder", "on")
        screen("home-large-print")
    else:
        screen("home")

    walk.act()
    page.get_by_test_id("start-activation").click()
    page.wait_for_url("**/activate/")
    screen("identity")

    walk.act()
    page.get_by_label("姓名", exact=True).fill(mother.name)
    page.get_by_label("身份证号", exact=True).fill(mother.id_number)
    page.get_by_label("在医保局登记的手机号", exact=True).fill(TYPED_PHONE)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发到")
    screen("identity-code-sent")

    page.get_by_label("短信验证码", exact=True).fill(latest_code_sent_to(mother.phone))
    page.get_by_test_id("next").click()
    page.wait_for_url("**/activate/confirm/")
    expect(page.get_by_text(mother.masked_name, exact=True)).to_be_visible()
    screen("confirm")

    walk.act()
    page.get_by_test_id("next").click()
    page.wait_for_url("**/activate/agree/")
    screen("agree")

    walk.act()
    page.get_by_label("我已了解以上内容，同意开通医保码").check()
    page.get_by_role("button", name="同意并开通").click()
    page.wait_for_url("**/code/")
    qr = page.get_by_test_id("qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR image did not load"
    screen("code")
    return walk, sizes


def test_grandma_goes_from_the_home_page_to_her_shown_code_in_four_screens(
    page: Page, journey, page_problems, mother, transactional_db
) -> None:
    assert not User.objects.filter(person=mother).exists(), "she must be someone who never signed in"

    walk, _ = activate_in_browser(page, journey, mother, elder=False)

    assert walk.acted_on == ["/", "/activate/", "/activate/confirm/", "/activate/agree/"]
    assert len(walk.acted_on) <= MAX_SCREENS
    assert page.get_by_role("heading", level=1).inner_text() == "我的医保码"
    assert voucher_scanned_from_screen(page) == voucher_of(mother).public_id
    assert all(shot.stat().st_size > 5_000 for shot in walk.shots), walk.shots
    assert page_problems == []
    walk.assert_accessible()


def test_in_large_print_she_gets_there_in_four_screens_with_big_text_and_big_buttons(
    page: Page, journey, page_problems, mother, transactional_db
) -> None:
    walk, sizes = activate_in_browser(page, journey, mother, elder=True)

    # The banner tap happens on the home page: large print costs her no extra screen.
    assert walk.acted_on == ["/", "/activate/", "/activate/confirm/", "/activate/agree/"]
    assert body_font_px(page) >= ELDER_MIN_TEXT_PX
    assert list(sizes) == ["home-large-print", "identity", "identity-code-sent", "confirm", "agree", "code"]
    assert {name: found for name, found in sizes.items() if found} == {}
    assert voucher_scanned_from_screen(page) == voucher_of(mother).public_id
    assert page_problems == []
    walk.assert_accessible()


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "large-print"])
def test_the_large_code_view_and_her_account_record_have_no_accessibility_violations(
    page: Page, journey, page_problems, browser_context, live_server, mother, transactional_db, elder: bool
) -> None:
    user = make_citizen(mother)
    session = client_for(user).cookies[settings.SESSION_COOKIE_NAME].value
    user.elder_mode = elder
    user.save(update_fields=["elder_mode"])
    browser_context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    walk = journey("code-views", prefix="elder-" if elder else "", number_from=11 if elder else 1)

    page.goto("/code/")
    expect(page.locator("html")).to_have_attribute("data-elder", "on" if elder else "off")
    normal_width = qr_width(page)
    walk.screen("code")
    page.get_by_role("link", name="放大").click()
    page.wait_for_url("**/code/large/")
    expect(page.get_by_role("heading", level=1)).to_have_text("请收费员扫码")
    expect(page.get_by_test_id("qr")).to_be_visible()
    assert qr_width(page) > normal_width * 1.15, "放大 must make the code clearly bigger on a phone"
    assert voucher_scanned_from_screen(page) == voucher_of(mother).public_id
    walk.screen("code-large")

    page.get_by_role("link", name="返回").click()
    page.get_by_role("link", name="我的账户记录").click()
    page.wait_for_url("**/account/record/")
    expect(page.get_by_test_id("record-table")).to_contain_text("打开了医保码")
    walk.screen("account-record")
    if elder:
        assert elder_size_problems(page) == []

    assert page_problems == []
    walk.assert_accessible()


SMALL_PHONE = {"width": 360, "height": 640}


def test_on_a_small_phone_her_error_is_on_the_first_screen_focused_and_read_aloud_instead_of_the_guide(
    page: Page, browser_context, live_server, page_problems, mother, settings, transactional_db
) -> None:
    settings.IDENTITY_CHECKS_PER_ID_NUMBER_PER_HOUR = 1
    browser_context.add_cookies([{"name": name, "value": value, "url": live_server.url}
                                 for name, value in (("elder_mode", "1"), ("voice", "on"))])
    page.set_viewport_size(SMALL_PHONE)
    heard: list[str] = []
    page.on("request", lambda request: heard.append(request.url) if "/elder/voice/" in request.url else None)
    page.goto("/activate/")
    expect(page.locator("html")).to_have_attribute("data-voice", "on")

    def send(name: str) -> None:
        heard.clear()
        page.get_by_label("姓名", exact=True).fill(name)
        page.get_by_label("身份证号", exact=True).fill(mother.id_number)
        page.get_by_label("在医保局登记的手机号", exact=True).fill(TYPED_PHONE)
        page.get_by_test_id("send-code").click()
        page.wait_for_load_state()

    for name, says in (("王秀兰", "对不上医保登记"), (mother.name, "核对的次数太多了")):
        send(name)
        error = page.get_by_test_id("form-error")
        expect(error).to_contain_text(says)
        expect(error).to_be_focused()
        box = error.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= SMALL_PHONE["height"], box
        page.wait_for_timeout(300)
        assert heard and "/elder/voice/say?" in heard[0] and says in unquote(heard[0]), heard
        assert not any("/identity." in url for url in heard), heard  # not the step's guide
    call = page.get_by_test_id("form-error").get_by_role("link", name="拨打 12393")
    expect(call).to_have_attribute("href", "tel:12393")
    page.screenshot(path=str(SCREENSHOTS / "activation" / "small-phone-limit.png"))
    assert page_problems == []
