"""Two browsers at once: 奶奶's phone shows her code, the counter scans it and settles her bill, and her
page turns into the final split without a reload. Then the counter loses its network and keeps working.

Runs on a real ASGI server (uvicorn in the test process) so the pages' websockets are real ones.
Screenshots go to artifacts/screenshots/counter/; axe-core checks both pages.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import unquote

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from conftest import client_for, register_offline_counter
from counter.actions import enrol_terminal_browser
from counter.views import TERMINAL_COOKIE
from settlement.models import Settlement, Status
from vouchers.codes import issue_code_token

from .conftest import AXE_OPTIONS, SCREENSHOTS, axe_report
from .helpers import fill_the_bill, open_context, sign_in_at_the_counter, token_in_qr, watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "counter"
QUEUE_KEY_PREFIX = "yibaotong.counter.queue."


def check_accessibility(page: Page, axe: Axe, name: str, found: dict[str, list]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    found[name] = axe.run(page, options=AXE_OPTIONS).response["violations"]


def test_the_counter_settles_grandmas_bill_and_her_phone_shows_the_split_without_a_reload(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother, mother_user, operator, rules):
    phone = open_context(chromium, asgi_live_server, viewport={"width": 412, "height": 915}, has_touch=True)
    desk = open_context(chromium, asgi_live_server, viewport={"width": 1280, "height": 900})
    violations: dict[str, list] = {}
    try:
        # Her phone: already signed in, showing her code.
        phone.add_cookies([{"name": "sessionid", "value": client_for(mother_user).cookies["sessionid"].value,
                            "url": asgi_live_server}])
        citizen = watched(phone.new_page())
        citizen.goto("/code/")
        expect(citizen.get_by_test_id("qr")).to_be_visible()
        citizen.evaluate("window.__sameDocument = true")
        check_accessibility(citizen, axe, "01-citizen-code", violations)

        counter = sign_in_at_the_counter(desk)
        expect(counter.get_by_label("医保码", exact=True)).to_be_focused()  # ready for the scanner
        check_accessibility(counter, axe, "02-counter-ready", violations)

        # The scanner types the code and Enter. With no items yet, Enter leads on to the items.
        code_field = counter.get_by_label("医保码", exact=True)
        code_field.fill(token_in_qr(citizen))
        code_field.press("Enter")
        expect(counter.get_by_test_id("counter-notice")).to_contain_text("请先添加收费项目")
        expect(counter.locator("#counter-rows tr").first.locator("[data-field=code]")).to_be_focused()
        assert Settlement.objects.count() == 0
        fill_the_bill(counter, code_field.input_value())
        code_field.press("Enter")

        # Her page changes by itself: the waiting view, then the final split.
        status = citizen.get_by_test_id("settlement-status")
        expect(status).to_have_attribute("data-status", "settled")
        expect(status).to_contain_text("结算完成")
        assert citizen.evaluate("window.__sameDocument === true"), "her page was reloaded"
        # The result lies over the bottom of the screen while she reads: it never pushes her code down.
        expect(citizen.locator("#settlement-status")).to_have_css("position", "fixed")

        settlement = Settlement.objects.get()
        assert settlement.status == Status.SETTLED and settlement.operator == operator
        assert settlement.total == Decimal("50.00")
        expect(citizen.get_by_test_id("self-pay")).to_have_text(f"{settlement.self_pay} 元")

        # The counter sees the same result, and is ready for the next patient.
        desk_status = counter.get_by_test_id("counter-status")
        expect(desk_status).to_have_attribute("data-status", "settled")
        expect(counter.get_by_test_id("counter-self-pay")).to_have_text(f"{settlement.self_pay} 元")
        expect(counter.get_by_label("医保码", exact=True)).to_have_value("")
        expect(counter.get_by_label("医保码", exact=True)).to_be_focused()

        check_accessibility(citizen, axe, "03-citizen-settled", violations)
        check_accessibility(counter, axe, "04-counter-settled", violations)
        assert citizen.problems == [] and counter.problems == []  # type: ignore[attr-defined]
    finally:
        phone.close()
        desk.close()
    broken = {name: found for name, found in violations.items() if found}
    assert not broken, "axe-core found violations:\n" + "\n".join(
        f"{name}:\n{axe_report(found)}" for name, found in broken.items())


def test_with_voice_on_her_phone_reads_the_result_aloud_when_it_arrives(
        chromium: Browser, asgi_live_server: str, mother, mother_user, operator, rules):
    phone = open_context(chromium, asgi_live_server, viewport={"width": 360, "height": 640}, has_touch=True)
    desk = open_context(chromium, asgi_live_server, viewport={"width": 1280, "height": 900})
    try:
        phone.add_cookies([{"name": "sessionid", "value": client_for(mother_user).cookies["sessionid"].value,
                            "url": asgi_live_server}, {"name": "voice", "value": "on", "url": asgi_live_server}])
        citizen = watched(phone.new_page())
        said: list[str] = []
        citizen.on("request", lambda r: said.append(unquote(r.url)) if "/elder/voice/say?" in r.url else None)
        citizen.goto("/code/")
        expect(citizen.get_by_test_id("qr")).to_be_visible()
        counter = sign_in_at_the_counter(desk)
        fill_the_bill(counter, token_in_qr(citizen))
        counter.get_by_test_id("counter-submit").click()
        expect(citizen.get_by_test_id("settlement-status")).to_have_attribute("data-status", "settled")
        citizen.wait_for_timeout(300)
        spoken = citizen.get_by_test_id("settlement-status").get_attribute("data-speak")
        assert spoken and any(spoken in url for url in said), (spoken, said)
        assert citizen.problems == []  # type: ignore[attr-defined]
    finally:
        phone.close()
        desk.close()


def queued(page: Page) -> list[dict]:
    return page.evaluate("""prefix => {
        const key = Object.keys(localStorage).find(k => k.startsWith(prefix));
        return key ? JSON.parse(localStorage.getItem(key)) : [];
    }""", QUEUE_KEY_PREFIX)


def registered_as_offline_terminal(context: BrowserContext, base_url: str, operator: User):
    """Staff registered a terminal for this counter and the browser was enrolled with its credential."""
    registered = register_offline_counter(operator.institution)
    terminal, token = enrol_terminal_browser(operator=operator, key_id=registered.terminal.key_id,
                                             secret=registered.secret)
    context.add_cookies([{"name": TERMINAL_COOKIE, "value": token, "url": base_url}])
    return terminal


@contextmanager
def an_offline_counter(chromium: Browser, base_url: str, operator: User, *, viewport: dict[str, int]
                       ) -> Iterator[tuple[BrowserContext, Page, object]]:
    """The operator signed in at a counter registered for offline work, the public keys kept by its page.
    Yields the browser (to take its network away), the counter page and the terminal; closed afterwards."""
    desk = open_context(chromium, base_url, viewport=viewport)
    try:
        terminal = registered_as_offline_terminal(desk, base_url, operator)
        counter = sign_in_at_the_counter(desk)
        counter.wait_for_function("() => localStorage.getItem('yibaotong.counter.keys') !== null")
        yield desk, counter, terminal
    finally:
        desk.close()


def test_without_network_the_counter_checks_codes_itself_queues_and_uploads_once_when_back(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother, mother_user, operator, rules):
    violations: dict[str, list] = {}
    # Online, the page keeps the public keys for a day without network.
    with an_offline_counter(chromium, asgi_live_server, operator, viewport={"width": 1280, "height": 900}) as (
            desk, counter, terminal):
        expect(counter.get_by_test_id("counter-offline-terminal")).to_contain_text(terminal.name)
        queue_text = counter.get_by_test_id("counter-queue")
        expect(queue_text).to_have_text("待上传 0 笔")

        desk.set_offline(True)
        expect(counter.get_by_test_id("counter-network")).to_contain_text("没有网络")

        # An expired code is caught here, without the server.
        fill_the_bill(counter, issue_code_token(mother.voucher.public_id, now=int(time.time()) - 120))
        counter.get_by_test_id("counter-submit").click()
        expect(counter.get_by_test_id("counter-error")).to_contain_text("已过期")
        expect(queue_text).to_have_text("待上传 0 笔")

        # Above the floor limit (9 × 25 = 225 元 > 200 元) nothing is captured: she goes to the window.
        row = counter.locator("#counter-rows tr").first
        row.locator("[data-field=quantity]").fill("9")
        counter.get_by_label("医保码", exact=True).fill(issue_code_token(mother.voucher.public_id))
        counter.get_by_test_id("counter-submit").click()
        expect(counter.get_by_test_id("counter-error")).to_contain_text("最多结算 200.00 元，这笔 225.00 元")
        expect(queue_text).to_have_text("待上传 0 笔")
        row.locator("[data-field=quantity]").fill("2")

        # A fresh code is verified with the cached key and queued.
        counter.get_by_label("医保码", exact=True).fill(issue_code_token(mother.voucher.public_id))
        counter.get_by_test_id("counter-submit").click()
        expect(queue_text).to_have_text("待上传 1 笔")
        expect(counter.get_by_test_id("counter-notice")).to_contain_text("联网后会自动上传")
        assert Settlement.objects.count() == 0
        capture = queued(counter)[0]
        assert capture["items"] == [{"code": "Y0001", "name": "阿莫西林胶囊", "category": "A", "quantity": "2",
                                     "unit_price": "25.00"}]
        check_accessibility(counter, axe, "05-counter-offline-queued", violations)

        # The same code scanned again while still offline is refused: it is already in the queue.
        counter.get_by_test_id("counter-catalogue").select_option(label="阿莫西林胶囊 · 甲类 · 25.00 元")
        counter.get_by_label("医保码", exact=True).fill(capture["code"])
        counter.get_by_test_id("counter-submit").click()
        expect(counter.get_by_test_id("counter-error")).to_contain_text("已经用过一次")
        expect(queue_text).to_have_text("待上传 1 笔")

        # Back online: the queue uploads by itself.
        desk.set_offline(False)
        expect(queue_text).to_have_text("待上传 0 笔")
        expect(counter.get_by_test_id("counter-uploads")).to_contain_text("已上传")
        expect(counter.get_by_test_id("counter-uploads")).to_contain_text(mother.masked_name)
        settlement = Settlement.objects.get()
        assert settlement.client_id == capture["client_id"] and settlement.offline
        assert settlement.status == Status.SETTLED
        check_accessibility(counter, axe, "06-counter-uploaded", violations)

        # The answer was lost (say), so the same capture is uploaded again from a reloaded page.
        counter.evaluate("""([prefix, entry]) => {
            const key = Object.keys(localStorage).find(k => k.startsWith(prefix));
            localStorage.setItem(key, JSON.stringify([entry]));
        }""", [QUEUE_KEY_PREFIX, capture])
        counter.reload()
        expect(counter.get_by_test_id("counter-uploads")).to_contain_text("已上传")
        expect(queue_text).to_have_text("待上传 0 笔")
        assert Settlement.objects.count() == 1
        assert queued(counter) == []
        assert counter.problems == []  # type: ignore[attr-defined]
    broken = {name: found for name, found in violations.items() if found}
    assert not broken, "axe-core found violations:\n" + "\n".join(
        f"{name}:\n{axe_report(found)}" for name, found in broken.items())


def test_offline_messages_say_what_they_are_without_colour_and_the_saved_note_goes_once_it_is_uploaded(
        chromium: Browser, asgi_live_server: str, mother, mother_user, operator, rules):
    with an_offline_counter(chromium, asgi_live_server, operator, viewport={"width": 360, "height": 640}) as (
            desk, counter, _terminal):
        desk.set_offline(True)
        fill_the_bill(counter, issue_code_token(mother.voucher.public_id, now=int(time.time()) - 120))
        counter.get_by_test_id("counter-submit").click()
        error = counter.get_by_test_id("counter-error")
        expect(error).to_contain_text("已过期")
        assert error.inner_text().startswith("⚠")
        assert error.locator("[aria-hidden=true]").inner_text().strip() == "⚠"

        counter.get_by_label("医保码", exact=True).fill(issue_code_token(mother.voucher.public_id))
        counter.get_by_test_id("counter-submit").click()
        saved = counter.get_by_test_id("counter-notice")
        expect(saved).to_contain_text("这笔结算已保存")
        assert saved.inner_text().startswith("✓")
        SHOTS.mkdir(parents=True, exist_ok=True)
        counter.screenshot(path=str(SHOTS / "small-offline-saved.png"))

        desk.set_offline(False)
        expect(counter.get_by_test_id("counter-uploads")).to_contain_text("已上传")
        expect(counter.locator("#counter-message")).not_to_contain_text("没有网络")
        counter.screenshot(path=str(SHOTS / "small-offline-uploaded.png"))
        assert Settlement.objects.count() == 1
        assert counter.problems == []  # type: ignore[attr-defined]


def test_a_counter_not_registered_for_offline_work_says_so_and_keeps_nothing_without_network(
        chromium: Browser, asgi_live_server: str, mother, mother_user, operator, rules):
    desk = open_context(chromium, asgi_live_server, viewport={"width": 1280, "height": 900})
    try:
        counter = sign_in_at_the_counter(desk)
        expect(counter.get_by_test_id("counter-offline-off")).to_contain_text("没有开通离线结算")
        desk.set_offline(True)
        expect(counter.get_by_test_id("counter-network")).to_contain_text("没有开通离线结算")
        fill_the_bill(counter, issue_code_token(mother.voucher.public_id))
        counter.get_by_test_id("counter-submit").click()
        expect(counter.get_by_test_id("counter-error")).to_contain_text("没有开通离线结算")
        assert queued(counter) == []
        desk.set_offline(False)
        assert Settlement.objects.count() == 0
        assert counter.problems == []  # type: ignore[attr-defined]
    finally:
        desk.close()
