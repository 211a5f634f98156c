"""What several browser tests do the same way: open a phone or a counter desk, watch a page for script
errors, sign the operator in at the counter, read the QR on her screen, fill a bill, wait for a page's live
socket, and measure the elder look's sizes. Shared here so that no test module imports another's."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django_otp.oath import totp
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from conftest import client_for

from .conftest import (
    AXE_OPTIONS,
    OPERATOR_PASSWORD,
    OPERATOR_TOTP_KEY,
    PHONE_VIEWPORT,
    SMALL_ELDER_PHONE,
    STAFF_PASSWORD,
    STAFF_PHONE,
    STAFF_TOTP_KEY,
    STEP_TIMEOUT_MS,
    axe_report,
)

ELDER_MIN_TEXT_PX = 24
ELDER_MIN_TARGET_PX = 60

# Each page notes when its live socket is open, so no push is sent before anyone listens.
NOTE_SOCKET_OPEN = "document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });"


def open_context(browser: Browser, base_url: str, **options) -> BrowserContext:
    context = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  device_scale_factor=1, **options)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


def watched(page: Page) -> Page:
    """Collect script errors and CSP refusals: the pages must work under the strict CSP."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text else None)
    page.problems = problems  # type: ignore[attr-defined]
    return page


def sign_in_at_the_counter(context: BrowserContext) -> Page:
    """The operator's two steps, password then TOTP, through the real pages."""
    page = watched(context.new_page())
    page.goto("/counter/")
    page.wait_for_url("**/accounts/worker/login/**")
    page.get_by_label("手机号", exact=True).fill("13700137005")
    page.get_by_label("密码", exact=True).fill(OPERATOR_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/accounts/worker/totp/")
    page.get_by_label("动态口令", exact=True).fill(
        f"{totp(bytes.fromhex(OPERATOR_TOTP_KEY), t0=0, step=30, digits=6):06d}")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")
    page.goto("/counter/")
    expect(page.get_by_role("heading", level=1)).to_have_text("收费台结算")
    return page


def token_in_qr(page: Page) -> str:
    """Read the code the way a scanner does: decode the QR image on her screen."""
    src = page.get_by_test_id("qr").get_attribute("src")
    assert src and src.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    found = zxingcpp.read_barcodes(image)
    assert found, "the QR code on her page could not be read"
    return found[0].text


def fill_the_bill(page: Page, token: str) -> None:
    page.get_by_test_id("counter-catalogue").select_option(label="阿莫西林胶囊 · 甲类 · 25.00 元")
    row = page.locator("#counter-rows tr").first
    expect(row.locator("[data-field=name]")).to_have_value("阿莫西林胶囊")
    row.locator("[data-field=quantity]").fill("2")
    page.get_by_label("医保码", exact=True).fill(token)


def phone_of(browser: Browser, base_url: str, user: User) -> BrowserContext:
    """A phone already signed in as this person."""
    context = open_context(browser, base_url, viewport=PHONE_VIEWPORT, has_touch=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client_for(user).cookies[settings.SESSION_COOKIE_NAME].value, "url": base_url}])
    context.add_init_script(NOTE_SOCKET_OPEN)
    return context


def listening(page: Page) -> Page:
    """Wait until the page's live socket is open: what is pushed from now on reaches it."""
    page.wait_for_function("() => window.__wsOpen === true")
    page.evaluate("window.__sameDocument = true")
    return page


def not_reloaded(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def body_font_px(page: Page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


# Everything she can tap, measured; links inside a sentence (the hotline number) are exempt, as in WCAG.
_TARGETS_JS = """min => [...document.querySelectorAll(
      'a, button, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), .choice label')]
    .filter(el => el.getClientRects().length && !el.closest('p') && !el.classList.contains('skip-link'))
    .map(el => [el.textContent.trim() || el.name || el.id, el.getBoundingClientRect()])
    .filter(([, r]) => r.height < min || r.width < min)
    .map(([name, r]) => `${name} ${Math.round(r.width)}x${Math.round(r.height)}`)"""


def elder_size_problems(page: Page) -> list[str]:
    """What breaks the elder-mode sizes on this screen: text under 24px, tight lines, targets under 60px."""
    problems = []
    text_px = body_font_px(page)
    if text_px < ELDER_MIN_TEXT_PX:
        problems.append(f"body text is {text_px}px")
    line_px = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    if line_px < 1.5 * text_px:
        problems.append(f"line height is {line_px}px for {text_px}px text")
    problems += [f"small target: {t}" for t in page.evaluate(_TARGETS_JS, ELDER_MIN_TARGET_PX)]
    return problems


# --- the journeys of 办事, money, feedback and rescue (360×640, elder mode, voice on) -------------------------


def jpeg_file(tmp_path, name: str) -> str:
    """A photo as a phone camera makes it: a JPEG of a few hundred pixels."""
    path = tmp_path / name
    Image.new("RGB", (900, 1200), (240, 236, 228)).save(path, "JPEG", quality=85)
    return str(path)


def elder_phone(browser: Browser, base_url: str, user: User, **options) -> BrowserContext:
    """A 360×640 phone in elder mode with voice on, signed in as this person, noting when its socket opens."""
    user.elder_mode = True
    user.save(update_fields=["elder_mode"])
    context = browser.new_context(base_url=base_url, viewport=SMALL_ELDER_PHONE, device_scale_factor=2, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.add_cookies([
        {"name": "elder_mode", "value": "1", "url": base_url},
        {"name": "voice", "value": "on", "url": base_url},
        {"name": settings.SESSION_COOKIE_NAME, "value": client_for(user).cookies[settings.SESSION_COOKIE_NAME].value,
         "url": base_url},
    ])
    context.add_init_script(NOTE_SOCKET_OPEN)
    return context


class Screens:
    """Every screen she (or he) saw: photographed, checked by axe with AAA contrast, and in elder mode measured
    (24px text, 60px targets), with its voice guide and the help block present."""

    def __init__(self, axe: Axe, prefix: str, folder: Path) -> None:
        self.axe, self.prefix, self.folder = axe, prefix, folder
        self.found: dict[str, list[dict]] = {}
        self.sizes: dict[str, list[str]] = {}
        self.missing: list[str] = []

    def check(self, page: Page, name: str, *, citizen: bool = True) -> None:
        page.wait_for_load_state("load")
        self.folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(self.folder / f"{self.prefix}-{len(self.found) + 1:02d}-{name}.png"), full_page=True)
        self.found[f"{name} ({page.url})"] = self.axe.run(page, options=AXE_OPTIONS).response["violations"]
        if citizen:
            self.sizes[name] = elder_size_problems(page)
            if not page.get_by_test_id("voice-guide").count():
                self.missing.append(f"{name}: no voice guide")
            if "12393" not in page.locator("body").inner_text():
                self.missing.append(f"{name}: no help block with the hotline")

    def assert_all_good(self) -> None:
        assert not self.missing, self.missing
        too_small = {name: found for name, found in self.sizes.items() if found}
        assert not too_small, f"large print is not large here: {too_small}"
        broken = {name: found for name, found in self.found.items() if found}
        assert not broken, "axe-core found violations:\n" + "\n".join(
            f"{name}:\n{axe_report(found)}" for name, found in broken.items())


def sign_in_as_staff(context: BrowserContext, landing: str = "/staff/services/") -> Page:
    """Bureau staff's two steps, password then the authenticator's code, through the real pages."""
    page = context.new_page()
    page.goto(landing)
    page.wait_for_url("**/accounts/worker/login/**")
    page.get_by_label("手机号", exact=True).fill(STAFF_PHONE[3:])
    page.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/accounts/worker/totp/")
    page.get_by_label("动态口令", exact=True).fill(f"{totp(bytes.fromhex(STAFF_TOTP_KEY)):06d}")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")
    page.goto(landing)
    return page
