"""Browser fixtures: Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.

Nothing is downloaded: Playwright launches the system Chromium at /usr/bin/chromium (``playwright install``
is never run). Every page a test visits can be photographed into ``artifacts/screenshots/`` and checked
with axe-core (``axe-playwright-python``), whose report names each rule, the elements and how to fix it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from accounts.models import Role, User

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# What phones do with a microphone: Chromium's fake device (a steady beep), allowed without asking.
FAKE_MICROPHONE = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
# A common Android phone: the screen 奶奶 holds.
PHONE_VIEWPORT = {"width": 412, "height": 915}
STEP_TIMEOUT_MS = 10_000
# The counter's operator (钱收费), as the `operator` fixture creates her.
OPERATOR_PHONE = "+8613700137005"
OPERATOR_PASSWORD = "a-long-operator-password"
OPERATOR_TOTP_KEY = "3132333435363738393031323334353637383930"

# The rules axe runs by default (WCAG 2.0-2.2 A/AA and best practices), plus the AAA contrast rule:
# the design asks for at least 7:1 text contrast, for elder eyes.
# Bureau staff for the review, claim and complaint journeys (`staff_member`, helpers.sign_in_as_staff).
STAFF_PHONE = "+8613300133006"
STAFF_PASSWORD = "a-long-staff-password"
STAFF_TOTP_KEY = "3132333435363738393031323334353637383930"
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"color-contrast-enhanced": {"enabled": True}}}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium per test module."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}, and it is not there. "
            "Install it with `sudo apt-get install chromium` (or `make system-deps`); "
            "never `playwright install`.",
            pytrace=False,
        )
    # Playwright's sync API runs an asyncio event loop in this (the test) thread for as long as it is
    # started. Django sees that running loop and refuses ORM calls from the thread with
    # SynchronousOnlyOperation, although the calls are plain synchronous ones made between browser
    # steps (creating 奶奶, reading her SMS, flushing the database). Allow them while the browser runs,
    # and put the setting back afterwards so the rest of the suite keeps Django's guard.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_context(chromium: Browser, live_server) -> Iterator[BrowserContext]:
    """A fresh phone-sized browser with no cookies: a first visit, in Chinese."""
    context = chromium.new_context(
        base_url=live_server.url, viewport=PHONE_VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
        device_scale_factor=1, has_touch=True,
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page_problems(browser_context: BrowserContext) -> list[str]:
    """What went wrong in the browser: anything the strict Content Security Policy blocked, and script errors."""
    blocked: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(f"{message.page.url if message.page else ''}: {message.text}")

    browser_context.on("console", listen)
    return blocked


@pytest.fixture
def page(browser_context: BrowserContext, page_problems: list[str]) -> Page:
    page = browser_context.new_page()
    page.on("pageerror", lambda error: page_problems.append(f"script error on {page.url}: {error}"))
    return page


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def operator(institution) -> User:
    """钱收费, the hospital's counter operator, with her password and authenticator (helpers.py signs her in)."""
    user = User.objects.create_user(OPERATOR_PHONE, OPERATOR_PASSWORD, role=Role.OPERATOR, institution=institution,
                                    display_name="钱收费")
    TOTPDevice.objects.create(user=user, name="counter", confirmed=True, key=OPERATOR_TOTP_KEY)
    return user


@pytest.fixture
def journey(page: Page, axe: Axe) -> Callable[..., Journey]:
    """Start a journey through the portal; screenshots go to artifacts/screenshots/<folder>/NN-<prefix><name>.png."""

    def start(folder: str, *, prefix: str = "", number_from: int = 1) -> Journey:
        return Journey(page=page, axe=axe, folder=SCREENSHOTS / folder, prefix=prefix, number_from=number_from)

    return start


def axe_report(violations: list[dict]) -> str:
    """Each violation as rule id, impact, what to do, and the elements that break it."""
    lines: list[str] = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = re.sub(r"\s+", " ", node.get("failureSummary") or "").strip()
            lines.append(f"    at {target}: {summary}")
    return "\n".join(lines)


@dataclass
class Journey:
    """What one person did in the browser: the screens she acted on, photographed and checked by axe."""

    page: Page
    axe: Axe
    folder: Path
    prefix: str = ""
    number_from: int = 1
    shots: list[Path] = field(default_factory=list)
    acted_on: list[str] = field(default_factory=list)
    checked: dict[str, list[dict]] = field(default_factory=dict)

    def screen(self, name: str) -> Path:
        """Photograph the whole page and run axe on it; violations are kept for one clear failure later."""
        self.page.wait_for_load_state("load")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.number_from + len(self.shots):02d}-{self.prefix}{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        results = self.axe.run(self.page, options=AXE_OPTIONS)
        self.checked[f"{name} ({self.page.url})"] = results.response["violations"]
        return path

    def act(self) -> None:
        """Note that she had to type or tap on the screen now showing."""
        path = re.sub(r"^[a-z]+://[^/]+", "", self.page.url).split("?")[0]
        if path not in self.acted_on:
            self.acted_on.append(path)

    def assert_accessible(self) -> None:
        broken = {name: found for name, found in self.checked.items() if found}
        report = "\n".join(f"{name}:\n{axe_report(found)}" for name, found in broken.items())
        if broken:
            pytest.fail(f"axe-core found accessibility violations:\n{report}", pytrace=False)


# A real ASGI server (uvicorn, in a thread) for tests that need websockets: the counter and the
# citizen's live settlement status. pytest-django's live_server above is WSGI.

SMALL_ELDER_PHONE = {"width": 360, "height": 640}


@pytest.fixture
def small_elder_page(chromium: Browser, live_server) -> Iterator[Page]:
    """A 360×640 touch phone in elder mode, in Chinese and Shanghai time; a page error fails the test."""
    context = chromium.new_context(base_url=live_server.url, viewport=SMALL_ELDER_PHONE, device_scale_factor=2,
                                   has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.add_cookies([{"name": "elder_mode", "value": "1", "url": live_server.url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors

@pytest.fixture
def chromium_with_microphone(chromium: Browser) -> Iterator[Browser]:
    """A second Chromium whose microphone is the fake one: recording a complaint, a dialect clip."""
    browser = chromium.browser_type.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *FAKE_MICROPHONE],
                                           headless=True)
    try:
        yield browser
    finally:
        browser.close()


from .asgi_server import asgi_live_server  # noqa: E402, F401


@pytest.fixture
def staff_member(db) -> User:
    user = User.objects.create_user(STAFF_PHONE, STAFF_PASSWORD, role=Role.STAFF, display_name="赵审核")
    TOTPDevice.objects.create(user=user, name="desk", confirmed=True, key=STAFF_TOTP_KEY)
    return user
