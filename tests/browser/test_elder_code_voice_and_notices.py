"""Her code first, voice everywhere, the revoke notice and live regions, on a small phone in elder mode, each screen checked by axe with AAA contrast.

- 2: her code (and 放大) is whole on the first screen of a 360x640 and a 390x844 phone, her name above it; a
  settlement's result comes as a card over the bottom of the screen (the code does not move), she dismisses it,
  and it stays gone when she opens her code again.
- 4: the listen button says "正在播放…停止" while it plays, and a second tap stops it.
- 6: her son's open code page, and any page he reloads, show a full-screen notice once she has revoked him; his
  own pages come only after he has tapped 知道了.
- 9: the hotline is a big 拨打 12393 button, and a live status fills a region that stays on the page.

Screenshots: artifacts/issue13/.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.db import connection
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from conftest import INSTITUTION_SECRET, client_for
from family.actions import invite_proxy, revoke_grant
from family.models import ProxyGrant
from insurance.models import Institution, InsuredPerson
from settlement.models import Settlement
from settlement.signing import signed_headers
from vouchers.codes import issue_code_token

from .conftest import AXE_OPTIONS, REPO, STEP_TIMEOUT_MS, axe_report
from .helpers import NOTE_SOCKET_OPEN, listening, not_reloaded, watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = REPO / "artifacts" / "issue13"
SMALL_PHONES = [{"width": 360, "height": 640}, {"width": 390, "height": 844}]
SMALL = SMALL_PHONES[0]
BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}]}


def elder_phone(browser: Browser, base_url: str, user: User, viewport: dict[str, int] = SMALL,
                voice: bool = False) -> BrowserContext:
    """A small phone in elder mode, signed in as this person, noting when its live socket opens."""
    user.elder_mode = True
    user.save(update_fields=["elder_mode"])
    context = browser.new_context(base_url=base_url, viewport=viewport, device_scale_factor=2, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    cookies = [{"name": "elder_mode", "value": "1", "url": base_url},
               {"name": settings.SESSION_COOKIE_NAME,
                "value": client_for(user).cookies[settings.SESSION_COOKIE_NAME].value, "url": base_url}]
    if voice:
        cookies.append({"name": "voice", "value": "on", "url": base_url})
    context.add_cookies(cookies)
    context.add_init_script(NOTE_SOCKET_OPEN)
    return context


class Screens:
    """Each screen photographed (the first screen only: that is the point) and checked by axe with AAA contrast."""

    def __init__(self, axe: Axe) -> None:
        self.axe = axe
        self.found: dict[str, list[dict]] = {}

    def check(self, page: Page, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))
        self.found[name] = self.axe.run(page, options=AXE_OPTIONS).response["violations"]

    def assert_accessible(self) -> None:
        broken = {name: found for name, found in self.found.items() if found}
        assert not broken, "\n".join(f"{name}:\n{axe_report(found)}" for name, found in broken.items())


@pytest.fixture
def screens(axe: Axe) -> Screens:
    return Screens(axe)


def box(page: Page, test_id: str) -> dict[str, float]:
    found = page.get_by_test_id(test_id).first.bounding_box()
    assert found is not None, f"{test_id} is not on screen"
    return found


def inside_first_screen(page: Page, test_id: str) -> bool:
    """Whole inside the window, with the page scrolled to the top."""
    page.evaluate("window.scrollTo(0, 0)")
    b = box(page, test_id)
    size = page.viewport_size or {}
    return b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= size["width"] + 0.5 and \
        b["y"] + b["height"] <= size["height"] + 0.5


def settle(base_url: str, institution: Institution, person: InsuredPerson) -> Settlement:
    """The hospital's system posts a signed bill over loopback, as a counter does."""
    path = "/api/v1/settlements"
    body = json.dumps({**BILL, "code": issue_code_token(person.voucher.public_id)}).encode()
    headers = {**signed_headers(institution.api_key_id, INSTITUTION_SECRET, "POST", path, body),
               "Content-Type": "application/json"}
    request = urllib.request.Request(base_url + path, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    return Settlement.objects.get(public_id=answer["id"])


def in_another_thread(action: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """An action that pushes, run as a request would run it: off this thread, whose event loop is Playwright's
    (the push refuses to start a loop of its own here)."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            action(*args, **kwargs)
        except BaseException as exc:  # raised again in the test's thread
            failed.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=30)
    if failed:
        raise failed[0]


@pytest.fixture
def her_phone(chromium: Browser, asgi_live_server: str, mother_user: User) -> Iterator[Page]:
    context = elder_phone(chromium, asgi_live_server, mother_user)
    try:
        yield watched(context.new_page())
    finally:
        context.close()


# Item 2 -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", SMALL_PHONES, ids=["360x640", "390x844"])
def test_her_code_and_the_large_code_are_whole_on_the_first_screen_of_a_small_phone_with_her_name_above(
        chromium: Browser, asgi_live_server: str, mother_user: User, viewport: dict[str, int],
        screens: Screens) -> None:
    context = elder_phone(chromium, asgi_live_server, mother_user, viewport)
    page = watched(context.new_page())
    try:
        for path, name in (("/code/", "code"), ("/code/large/", "code-large")):
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("data-elder", "on")
            screens.check(page, f"2-{name}-{viewport['width']}x{viewport['height']}")
            assert inside_first_screen(page, "qr"), f"{path}: the QR is not whole on a {viewport} screen: " \
                                                    f"{box(page, 'qr')}"
            owner = page.locator(".code-owner")
            expect(owner).to_contain_text(mother_user.person.masked_name)
            expect(owner).to_contain_text(mother_user.person.region_name)
            owner_box, qr_box = owner.bounding_box(), box(page, "qr")
            assert owner_box is not None and owner_box["y"] >= 0
            assert owner_box["y"] + owner_box["height"] <= qr_box["y"] + 0.5, "her name is not above her code"
            assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.code-owner')).fontSize)") >= 24
        assert page.problems == []  # type: ignore[attr-defined]
    finally:
        context.close()
    screens.assert_accessible()


def test_a_settlement_result_comes_over_the_bottom_of_the_screen_leaves_her_code_in_place_and_stays_gone_once_seen(
        her_phone: Page, asgi_live_server: str, mother: InsuredPerson, institution: Institution,
        screens: Screens) -> None:
    page = her_phone
    page.goto("/code/")
    listening(page)
    before = box(page, "qr")

    settlement = settle(asgi_live_server, institution, mother)

    status = page.get_by_test_id("settlement-status")
    expect(status).to_have_attribute("data-status", "settled")
    assert not_reloaded(page)
    assert box(page, "qr") == before, "the result pushed her code down"
    assert page.locator("#settlement-status").evaluate("el => getComputedStyle(el).position") == "fixed"
    screens.check(page, "2-settled-over-the-code-360x640")

    page.get_by_test_id("dismiss-settlement").click()
    page.wait_for_url(f"**/code/?after={settlement.public_id}")
    listening(page)
    page.wait_for_timeout(500)  # what the socket would bring on opening
    expect(page.get_by_test_id("settlement-status")).to_have_count(0)
    screens.check(page, "2-dismissed-360x640")
    assert inside_first_screen(page, "qr")

    page.goto("/code/")  # later, from the home page: not shown again
    listening(page)
    page.wait_for_timeout(500)
    expect(page.get_by_test_id("settlement-status")).to_have_count(0)
    assert inside_first_screen(page, "qr")
    screens.check(page, "2-after-dismiss-360x640")
    assert page.problems == []  # type: ignore[attr-defined]
    screens.assert_accessible()


# Item 4 -------------------------------------------------------------------------------------------------------

def test_the_listen_button_says_it_is_playing_and_a_second_tap_stops_it(
        chromium: Browser, asgi_live_server: str, mother_user: User, screens: Screens) -> None:
    context = elder_phone(chromium, asgi_live_server, mother_user)
    # Headless Chromium may have no sound card: the audio element is kept playing for as long as the test needs.
    context.add_init_script("""
      HTMLMediaElement.prototype.play = function () {
        Object.defineProperty(this, 'paused', {configurable: true, get: () => false});
        return Promise.resolve();
      };
      const pause = HTMLMediaElement.prototype.pause;
      HTMLMediaElement.prototype.pause = function () {
        Object.defineProperty(this, 'paused', {configurable: true, get: () => true});
        pause.call(this);
        this.dispatchEvent(new Event('pause'));
      };""")
    page = watched(context.new_page())
    try:
        page.goto("/code/lost/")
        button = page.get_by_test_id("voice-guide")
        expect(button).to_have_text("听语音说明")
        button.click()
        expect(button).to_have_text("正在播放…停止")
        expect(button).to_have_attribute("aria-pressed", "true")
        assert page.url.endswith("/code/lost/")
        screens.check(page, "4-playing-360x640")
        button.click()
        expect(button).to_have_text("听语音说明")
        expect(button).to_have_attribute("aria-pressed", "false")
        assert page.problems == []  # type: ignore[attr-defined]
    finally:
        context.close()
    screens.assert_accessible()


def test_every_page_she_opens_from_her_home_has_a_listen_button_and_the_home_guide_names_only_its_own_buttons(
        her_phone: Page, mother: InsuredPerson) -> None:
    page = her_phone
    page.goto("/")
    guide = page.locator(".voice-guide-text").inner_text()
    named = [part.split("，")[0].split("。")[0] for part in guide.split("点")[1:]]
    assert named, guide
    for label in named:
        expect(page.locator("main").get_by_role("link", name=label, exact=True)).to_be_visible()
    for path in ("/code/", "/code/large/", "/code/lost/", "/records/", "/account/record/", "/account/enrollment/",
                 "/family/", "/family/add/", "/family/invite/", "/elder/glossary/", "/elder/voice-settings/"):
        page.goto(path)
        expect(page.get_by_test_id("voice-guide").first).to_be_visible()
    assert page.problems == []  # type: ignore[attr-defined]


# Item 6 -------------------------------------------------------------------------------------------------------

def test_after_she_revokes_him_his_open_pages_and_any_reload_show_a_full_screen_notice_before_his_own_pages(
        chromium: Browser, asgi_live_server: str, mother: InsuredPerson, mother_user: User, son: User,
        screens: Screens) -> None:
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                         scopes=["show_code", "view_settlements"])
    context = elder_phone(chromium, asgi_live_server, son)
    his = watched(context.new_page())
    other_tab = watched(context.new_page())
    try:
        his.goto("/family/")
        his.get_by_role("button", name=f"为 {mother.masked_name} 办理", exact=True).click()
        his.wait_for_url("**/code/")
        expect(his.get_by_test_id("acting-banner")).to_contain_text(mother.masked_name)
        other_tab.goto("/code/large/")
        expect(other_tab.get_by_test_id("acting-banner")).to_contain_text(mother.masked_name)
        listening(his)
        listening(other_tab)

        in_another_thread(revoke_grant, ProxyGrant.objects.get(pk=grant.pk), by=mother_user)

        # Both open pages, without a reload: the notice over the whole screen, her code gone under it.
        for page in (his, other_tab):
            notice = page.get_by_test_id("access-ended")
            expect(notice).to_be_visible()
            expect(notice).to_contain_text(f"您已不再为 {mother.masked_name} 办理")
            expect(notice).to_contain_text("您看到的是您自己的信息")
            size = page.viewport_size or {}
            b = notice.bounding_box()
            assert b is not None and b["width"] >= size["width"] - 1 and b["height"] >= size["height"] - 1
            expect(page.get_by_test_id("qr")).to_have_count(0)
            assert not_reloaded(page)
        screens.check(his, "6-live-notice-360x640")

        other_tab.reload()  # a reload: the notice again, and nothing else of the page
        expect(other_tab.get_by_test_id("access-ended")).to_be_visible()
        expect(other_tab.get_by_test_id("qr")).to_have_count(0)
        expect(other_tab.locator("h1")).to_contain_text(f"您已不再为 {mother.masked_name} 办理")
        screens.check(other_tab, "6-reload-notice-360x640")

        his.get_by_test_id("access-ended-ok").click()  # 知道了 on the notice that came live
        his.wait_for_url("**/code/")
        expect(his.get_by_test_id("access-ended")).to_have_count(0)
        expect(his.get_by_test_id("acting-banner")).to_have_count(0)
        expect(his.locator("h1")).to_have_text("我的医保码")
        expect(his.locator(".code-owner")).to_contain_text(son.person.masked_name)
        expect(his.locator("main")).not_to_contain_text(mother.masked_name)
        screens.check(his, "6-his-own-page-360x640")

        other_tab.reload()  # he has read it once: his pages are his own again
        expect(other_tab.get_by_test_id("access-ended")).to_have_count(0)
        expect(other_tab.locator(".code-owner")).to_contain_text(son.person.masked_name)
        assert his.problems == [] and other_tab.problems == []  # type: ignore[attr-defined]
    finally:
        context.close()
    screens.assert_accessible()


# Item 9 -------------------------------------------------------------------------------------------------------

def test_the_hotline_is_a_big_call_button_and_a_live_status_fills_a_region_that_stays_on_the_page(
        her_phone: Page, asgi_live_server: str, mother: InsuredPerson, institution: Institution,
        screens: Screens) -> None:
    page = her_phone
    page.goto("/records/")
    call = page.get_by_test_id("call-hotline")
    expect(call).to_have_text("☎ 拨打 12393")
    assert call.get_attribute("href") == "tel:12393"
    b = call.bounding_box()
    assert b is not None and b["width"] >= 60 and b["height"] >= 60, b

    listening(page)
    page.evaluate("window.__region = document.getElementById('settlement-status')")
    region = page.locator("#settlement-status")
    expect(region).to_have_attribute("aria-live", "polite")
    settle(asgi_live_server, institution, mother)
    expect(page.get_by_test_id("settlement-status")).to_have_attribute("data-status", "settled")
    # The same element, still a live region: every status went into it, and screen readers read each one.
    assert page.evaluate("window.__region === document.getElementById('settlement-status')")
    assert page.evaluate("window.__region.isConnected && window.__region.getAttribute('aria-live') === 'polite'")
    page.evaluate("window.scrollTo(0, 0)")
    screens.check(page, "9-live-status-in-its-region-360x640")
    page.get_by_test_id("call-hotline").scroll_into_view_if_needed()
    screens.check(page, "9-hotline-button-360x640")
    assert page.problems == []  # type: ignore[attr-defined]
    screens.assert_accessible()

