"""长者模式 on every main page: big text, big targets, 7:1 contrast, and no sideways scrolling.

The issue's promise, measured in Debian's Chromium on every main page a person can reach: anonymous
visitors (home, activation with and without a form error, both sign-ins, glossary, voice settings, the
404 page), 奶奶 signed in (elder home, her code, large code, lost phone, records with a settlement, its
receipt, account record, enrollment, family with an active helper and a pending request, add, invite,
the confirm and agree activation steps), her son (his family page, then acting for her: her code and its large
version, banner on), the kiosk she sits at with a helper (consent, session, her code, her records)
and an operator at the counter.

On each page, in elder mode:
- body text (p, li, dd, td, label in main and in the help block) is at least 24px with a line height of 1.5;
- everything she can tap is at least 60x60 px (see TARGET_RULE below);
- axe-core, with the AAA `color-contrast-enhanced` rule on, finds no violation;
- at 320 px wide, and at 200% zoom, nothing scrolls sideways;
- every page a citizen, her son or a kiosk visitor sees has a voice guide (听语音说明);
- on each code page (hers, 放大, her son's acting for her, the kiosk's) the whole QR is in the first screen of a
  360x640 and of a 390x844 phone, photographed as that first screen.
Then a standard-look pass over the same pages: axe-core with the WCAG 2.2 A/AA rules, no violation.

Screenshots of every page and check: artifacts/screenshots/elder/ and artifacts/screenshots/standard/.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import Role, User
from assist.actions import consent_witnessed, register_kiosk, start_session, touch
from assist.middleware import KIOSK_COOKIE
from assist.models import AssistSession
from conftest import INSTITUTION_SECRET, client_for
from family.actions import invite_proxy, request_grant
from family.models import GrantStatus, ProxyGrant
from insurance.models import Institution, InsuredPerson
from settlement.models import Settlement, Status
from settlement.signing import signed_headers
from vouchers.codes import issue_code_token

from .conftest import AXE_OPTIONS, PHONE_VIEWPORT, SCREENSHOTS, STEP_TIMEOUT_MS, axe_report
from .helpers import watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ELDER_SHOTS = SCREENSHOTS / "elder"
STANDARD_SHOTS = SCREENSHOTS / "standard"
DESK_VIEWPORT = {"width": 1280, "height": 900}
# WCAG 1.4.10 (reflow): content must work at 320 CSS px wide without scrolling in two directions.
NARROW_VIEWPORT = {"width": 320, "height": 720}
# 200% zoom. Browser zoom halves the CSS viewport of the window: a 1280x900 desktop window at 200% lays pages
# out in 640x450 CSS px (media queries, rem and % all see 640 px) with two device pixels per CSS pixel. So we
# emulate it as exactly that: a 640x450 viewport in a context whose device_scale_factor is 2 (every persona's
# context has it; a phone's screen is that dense too, and layout in CSS px does not depend on it). CSS `zoom: 2`
# would be less faithful: media queries would still see the unzoomed width. Changing the viewport of the page
# already open costs no second page load.
ZOOM_200_VIEWPORT = {"width": 640, "height": 450}
DEVICE_SCALE_FACTOR = 2
# 9 anonymous pages, 22 of 奶奶's (9 of them 办事), 3 of her son's, 4 at the kiosk, the counter.
MAIN_PAGES = 45
# Her code, 放大, her son's view of her code and of 放大, the kiosk's: each measured on the two small phones.
QR_PAGES = 5
SMALL_PHONES = [{"width": 360, "height": 640}, {"width": 390, "height": 844}]
MIN_TEXT_PX = 24
MIN_LINE_HEIGHT = 1.5
MIN_TARGET_PX = 60
MIN_BOX_PX = 24
STANDARD_AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]},
}
BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}]}

# TARGET_RULE. Every visible a, button, input, select, textarea, summary and [role=button] must be at least
# 60x60 CSS px, except:
# - a checkbox or radio is tapped through its label: the label's box must be 60x60 and the box itself 24x24;
# - a link inside running text, as WCAG 2.5.8 allows ("the target is in a sentence"): only an <a> laid out
#   `display: inline` whose parent is a <p> or <li> that has words of its own besides the link (the hotline
#   number in the help sentence, "还没开通医保码？现在开通"). A link alone in its paragraph or a table cell is not exempt;
# - the skip link is off screen until focused, so it is measured while focused.
_MEASURE_JS = """([minText, minLine, minTarget, minBox]) => {
  const shown = el => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && r.right > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const words = el => (el.textContent || '').replace(/\\s+/g, ' ').trim();
  const name = el => {
    const id = el.dataset.testid ? `[${el.dataset.testid}]` : (el.id ? `#${el.id}` : '');
    const label = words(el) || el.getAttribute('aria-label') || el.name || '';
    return `<${el.tagName.toLowerCase()}${id}> "${label.slice(0, 24)}"`;
  };
  const size = r => `${Math.round(r.width)}x${Math.round(r.height)}`;
  const problems = [];

  for (const el of document.querySelectorAll('main :is(p, li, dd, td, label), aside.help p')) {
    if (!shown(el) || !words(el)) continue;
    const s = getComputedStyle(el);
    const px = parseFloat(s.fontSize);
    const line = parseFloat(s.lineHeight);  // NaN for "normal", which is about 1.2
    if (px < minText) problems.push(`text ${px}px: ${name(el)}`);
    if (!(line >= minLine * px - 0.01)) problems.push(`line height ${s.lineHeight} for ${px}px: ${name(el)}`);
  }

  const inSentence = el => {
    const parent = el.parentElement;
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    if (!parent || !['P', 'LI'].includes(parent.tagName)) return false;
    return words(parent).length > words(el).length;
  };
  const small = (r, min) => r.width < min || r.height < min;
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]')) {
    if (el.classList.contains('skip-link') || !shown(el)) continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const box = el.getBoundingClientRect();
      if (small(box, minBox)) problems.push(`small ${el.type} ${size(box)}: ${name(el)}`);
      const label = el.labels && el.labels[0];
      if (!label) { problems.push(`${el.type} without a label: ${name(el)}`); continue; }
      const r = label.getBoundingClientRect();
      if (small(r, minTarget)) problems.push(`small label ${size(r)}: ${name(label)}`);
      continue;
    }
    if (inSentence(el)) continue;
    const r = el.getBoundingClientRect();
    if (small(r, minTarget)) problems.push(`small target ${size(r)}: ${name(el)}`);
  }

  const skip = document.querySelector('.skip-link');
  if (skip) {
    skip.focus();
    const r = skip.getBoundingClientRect();
    if (small(r, minTarget) || r.left < 0) problems.push(`skip link when focused ${size(r)} at x=${r.left}`);
    skip.blur();
  }
  return problems;
}"""

# What sticks out on the right: the innermost elements wider than the window, to say where sideways scrolling
# comes from.
_OVERFLOW_JS = """() => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= window.innerWidth) return null;
  const out = [...document.body.querySelectorAll('*')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > window.innerWidth + 0.5;
  });
  const innermost = out.filter(el => !out.some(other => other !== el && el.contains(other)));
  const what = innermost.slice(0, 4).map(el => {
    const cls = el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return `<${el.tagName.toLowerCase()}${cls}> "${(el.textContent || '').trim().slice(0, 20)}" ends at ` +
      `${Math.round(el.getBoundingClientRect().right)}px`;
  });
  return `scrollWidth ${doc.scrollWidth} > ${window.innerWidth}: ${what.join('; ')}`;
}"""


@dataclass
class Visit:
    """One main page: who opens it, how, and where she must end up."""

    name: str
    path: str
    before: Callable[[], None] | None = None  # what happens elsewhere just before she opens the page
    then: Callable[[Page], None] | None = None  # what she does on the page before it is checked
    lands_on: str | None = None  # the path she is on when it is checked (default: path)
    status: int = 200
    voice: bool = True  # a page a citizen, proxy or kiosk visitor sees: it has a voice guide
    qr: bool = False  # a code page: the whole QR must be on the first screen of a small phone


@dataclass
class Findings:
    """What each check found on each page: {check: {page: [problems]}}."""

    checks: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    shots: list[Path] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def note(self, check: str, page: str, problems: list[str]) -> None:
        self.checks.setdefault(check, {})[page] = problems

    def report(self) -> str:
        lines = []
        for check, pages in self.checks.items():
            broken = {page: found for page, found in pages.items() if found}
            if broken:
                lines.append(f"== {check}:")
                lines += [f"  {page}:\n    " + "\n    ".join(found) for page, found in broken.items()]
        return "\n".join(lines)


def axe_problems(axe: Axe, page: Page, options: dict) -> list[str]:
    found = axe.run(page, options=options).response["violations"]
    return axe_report(found).splitlines() if found else []


def sideways_scroll(page: Page) -> list[str]:
    """Whether the page scrolls sideways at the current viewport (once the page has been laid out at it)."""
    width = (page.viewport_size or {}).get("width")
    page.wait_for_function("width => window.innerWidth === width", arg=width)
    found = page.evaluate(_OVERFLOW_JS)
    return [found] if found else []


def voice_guide_missing(page: Page) -> list[str]:
    guides = page.get_by_test_id("voice-guide")
    if guides.count() == 0:
        return ["no 听语音说明 button"]
    return [] if guides.first.is_visible() else ["the 听语音说明 button is hidden"]


def qr_outside_first_screen(page: Page) -> list[str]:
    """Whether the QR's bounding box lies whole inside the window, with the page at its top."""
    width = (page.viewport_size or {}).get("width")
    page.wait_for_function("width => window.innerWidth === width", arg=width)
    page.evaluate("window.scrollTo(0, 0)")
    found = page.get_by_test_id("qr").bounding_box()
    if found is None:
        return ["no QR on the page"]
    size = page.viewport_size or {}
    inside = found["x"] >= 0 and found["y"] >= 0 and found["x"] + found["width"] <= size["width"] + 0.5 \
        and found["y"] + found["height"] <= size["height"] + 0.5
    return [] if inside else [f"QR at x={found['x']:.0f} y={found['y']:.0f}, {found['width']:.0f}px: "
                              f"its bottom is at {found['y'] + found['height']:.0f} of {size['height']}"]


@dataclass
class Walk:
    """One pass over the main pages, in one look, with one browser context per persona."""

    axe: Axe
    elder: bool
    folder: Path
    findings: Findings = field(default_factory=Findings)

    def shot(self, page: Page, name: str, scale: Literal["css", "device"] = "css") -> None:
        """A whole-page picture; one picture pixel per CSS pixel except where the zoom is the point."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{len(self.findings.pages):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True, scale=scale)
        self.findings.shots.append(path)

    def first_screen(self, page: Page, name: str) -> None:
        """What she sees before scrolling: the point of the code pages."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{len(self.findings.pages):02d}-{name}.png"
        page.screenshot(path=str(path))
        self.findings.shots.append(path)

    def visit(self, page: Page, visit: Visit, viewport: dict[str, int]) -> None:
        page.set_viewport_size(viewport)
        if visit.before:
            visit.before()
        response = page.goto(visit.path)
        assert response is not None and response.status == visit.status, (
            f"{visit.path} answered {response and response.status}")
        if visit.then:
            visit.then(page)
        page.wait_for_load_state("load")
        landed = page.url.split("//", 1)[1].split("/", 1)[1].split("?")[0]
        assert "/" + landed == (visit.lands_on or visit.path), f"{visit.name}: expected {visit.path}, got {page.url}"
        expect(page.locator("html")).to_have_attribute("data-elder", "on" if self.elder else "off")
        expect(page.locator("h1")).to_be_visible()
        self.findings.pages.append(visit.name)
        label = f"{visit.name} ({visit.lands_on or visit.path})"

        if not self.elder:
            self.shot(page, visit.name)
            self.findings.note("axe-core, WCAG 2.2 A and AA (standard look)", label,
                               axe_problems(self.axe, page, STANDARD_AXE_OPTIONS))
            return

        self.shot(page, f"{visit.name}-elder")
        self.findings.note("no sideways scrolling on her screen", label, sideways_scroll(page))
        self.findings.note("24px text, line height 1.5, 60x60 targets", label,
                           page.evaluate(_MEASURE_JS, [MIN_TEXT_PX, MIN_LINE_HEIGHT, MIN_TARGET_PX, MIN_BOX_PX]))
        self.findings.note("axe-core with color-contrast-enhanced (7:1)", label,
                           axe_problems(self.axe, page, AXE_OPTIONS))
        if visit.voice:
            self.findings.note("a voice guide on every page she sees", label, voice_guide_missing(page))
        if visit.qr:
            for phone in SMALL_PHONES:
                page.set_viewport_size(phone)
                self.findings.note("the whole QR on the first screen of a small phone", f"{label} at {phone}",
                                   qr_outside_first_screen(page))
                self.first_screen(page, f"{visit.name}-{phone['width']}x{phone['height']}")

        page.set_viewport_size(NARROW_VIEWPORT)
        self.findings.note("no sideways scrolling at 320 px", label, sideways_scroll(page))
        self.shot(page, f"{visit.name}-320px")

        page.set_viewport_size(ZOOM_200_VIEWPORT)
        self.findings.note("no sideways scrolling at 200% zoom", label, sideways_scroll(page))
        # Wider lines than on a phone: a link that wrapped there may be one thin line here.
        self.findings.note("24px text, line height 1.5, 60x60 targets", f"{label} at 200% zoom",
                           page.evaluate(_MEASURE_JS, [MIN_TEXT_PX, MIN_LINE_HEIGHT, MIN_TARGET_PX, MIN_BOX_PX]))
        self.shot(page, f"{visit.name}-zoom200", scale="device")


@dataclass
class World:
    mother: InsuredPerson
    mother_user: User
    son: User
    operator: User
    settlement: Settlement
    helper: User
    kiosk_token: str
    assist: AssistSession


def settle_over_the_api(base_url: str, institution: Institution, payload: dict) -> Settlement:
    """The hospital's system posts a signed bill to the portal's API, over loopback, as a counter does.

    (Through HTTP rather than Django's test client: Playwright's event loop runs in this thread, and the
    settlement's push would refuse to start its own loop here.)
    """
    path = "/api/v1/settlements"
    body = json.dumps(payload).encode()
    headers = {**signed_headers(institution.api_key_id, INSTITUTION_SECRET, "POST", path, body),
               "Content-Type": "application/json"}
    request = urllib.request.Request(base_url + path, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    return Settlement.objects.get(public_id=answer["id"])


@pytest.fixture
def world(asgi_live_server: str, mother: InsuredPerson, mother_user: User, son: User, stranger: User,
          operator: User, institution: Institution) -> World:
    """奶奶 with one settlement, her son helping her (active), and a pending request from a third person."""
    settlement = settle_over_the_api(asgi_live_server, institution,
                                     {**BILL, "code": issue_code_token(mother.voucher.public_id)})
    assert settlement.status == Status.SETTLED and settlement.total == Decimal("50.00")
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                 scopes=["show_code", "view_settlements"])
    request_grant(proxy=stranger, name=mother.name, id_number=mother.id_number, relationship="other",
                  scopes=["show_code"])
    assert ProxyGrant.objects.filter(principal=mother, status=GrantStatus.ACTIVE).count() == 1
    assert ProxyGrant.objects.filter(principal=mother, status=GrantStatus.PENDING).count() == 1
    helper = User.objects.create_user("+8613600136004", "a-long-helper-password", role=Role.HELPER,
                                      display_name="陈志强")
    TOTPDevice.objects.create(user=helper, name="phone", confirmed=True, key="3132333435363738393031323334353637383930")
    kiosk, kiosk_token = register_kiosk(by=helper, name="翠苑帮办点", location="文三路")
    assist = start_session(helper=helper, kiosk=kiosk, citizen=mother, tasks=["show_code", "check_records"])
    return World(mother=mother, mother_user=mother_user, son=son, operator=operator, settlement=settlement,
                 helper=helper, kiosk_token=kiosk_token, assist=assist)


def signed_in_session(user: User, **extra) -> str:
    """A session key for this person, as if she had signed in; extra values go into the session."""
    client = client_for(user)
    if extra:
        session = client.session
        session.update(extra)
        session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def persona(browser: Browser, base_url: str, *, elder: bool, viewport: dict[str, int], session: str | None = None,
            has_touch: bool = True, kiosk_token: str | None = None) -> tuple[BrowserContext, Page]:
    """One browser context for one person: elder_mode cookie set, signed in when a session is given."""
    context = browser.new_context(base_url=base_url, viewport=viewport, device_scale_factor=DEVICE_SCALE_FACTOR,
                                  has_touch=has_touch, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    cookies = [{"name": "elder_mode", "value": "1" if elder else "0", "url": base_url}]
    if session:
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url})
    if kiosk_token:
        cookies.append({"name": KIOSK_COOKIE, "value": kiosk_token, "url": base_url})
    context.add_cookies(cookies)
    return context, watched(context.new_page())


def show_form_errors(page: Page) -> None:
    """She taps 下一步 on the identity form without filling it in."""
    page.get_by_test_id("next").click()
    page.wait_for_load_state("load")
    expect(page.locator(".field-error").first).to_be_visible()


def act_for_mother(name: str) -> Callable[[Page], None]:
    def act(page: Page) -> None:
        page.get_by_role("button", name=f"为 {name} 办理", exact=True).click()
        page.wait_for_url("**/code/")
        expect(page.get_by_test_id("acting-banner")).to_contain_text(f"正在为 {name} 办理")
    return act


def she_consents_before_the_helper(assist: AssistSession) -> Callable[[Page], None]:
    """The helper witnesses her consent (her phone is not with her); the kiosk then shows the session."""
    def consent(page: Page) -> None:
        consent_witnessed(AssistSession.objects.get(pk=assist.pk), reason="她今天没带手机")
        page.goto(f"/assist/s/{assist.public_id}/")
    return consent


def walk_every_main_page(chromium: Browser, base_url: str, world: World, walk: Walk) -> None:
    elder = walk.elder
    mother = world.mother
    for user in (world.mother_user, world.son, world.operator, world.helper):
        user.elder_mode = elder  # on the account, as the switch stores it; the cookie says the same
        user.save(update_fields=["elder_mode"])
    activation = {"activation": {"person": mother.pk, "at": time.time(), "confirmed": True}}
    otp = {DEVICE_ID_SESSION_KEY: world.operator.totpdevice_set.get().persistent_id}
    helper_otp = {DEVICE_ID_SESSION_KEY: world.helper.totpdevice_set.get().persistent_id}
    kiosk = f"/assist/s/{world.assist.public_id}"
    personas: list[tuple[str | None, dict[str, int], list[Visit]]] = [
        (None, PHONE_VIEWPORT, [
            Visit("home", "/"),
            Visit("activate", "/activate/"),
            Visit("activate-error", "/activate/", then=show_form_errors),
            Visit("sign-in", "/accounts/login/"),
            Visit("worker-sign-in", "/accounts/worker/login/", voice=False),
            Visit("glossary", "/elder/glossary/"),
            Visit("voice-settings", "/elder/voice-settings/"),
            Visit("not-found", "/no-such-page/", status=404),
            Visit("services", "/services/"),
            Visit("tutorials", "/learn/"),
            Visit("tutorial-step", "/learn/show_code/2/"),
            Visit("practice-start", "/learn/practice/"),
            Visit("help-points", "/assist/help-points/"),
        ]),
        (signed_in_session(world.mother_user, **activation), PHONE_VIEWPORT, [
            Visit("mother-home", "/"),
            Visit("mother-code", "/code/", qr=True),
            Visit("mother-code-large", "/code/large/", qr=True),
            Visit("mother-lost-phone", "/code/lost/"),
            Visit("mother-records", "/records/"),
            Visit("mother-receipt", f"/records/{world.settlement.public_id}/"),
            Visit("mother-account-record", "/account/record/"),
            Visit("mother-enrollment", "/account/enrollment/"),
            Visit("mother-family", "/family/"),
            Visit("mother-family-add", "/family/add/"),
            Visit("mother-family-invite", "/family/invite/"),
            Visit("mother-activate-confirm", "/activate/confirm/"),
            Visit("mother-activate-agree", "/activate/agree/"),
            Visit("mother-services", "/services/"),
            Visit("mother-service-at-a-window", "/services/transfer/"),
            Visit("mother-filing-start", "/services/filing/"),
            Visit("mother-filings", "/services/filings/"),
            Visit("mother-travel-check", "/services/travel/?city=310000", lands_on="/services/travel/"),
            Visit("mother-chronic", "/services/chronic/"),
            Visit("mother-chronic-apply", "/services/chronic/apply/"),
            Visit("mother-benefits", "/services/benefits/"),
            Visit("mother-estimate", "/services/estimate/"),
            Visit("mother-visits", "/assist/visits/mine/"),
            Visit("mother-visit-new", "/assist/visits/new/"),
        ]),
        (signed_in_session(world.son), PHONE_VIEWPORT, [
            Visit("son-family", "/family/"),
            Visit("son-acting-code", "/family/", then=act_for_mother(mother.masked_name), lands_on="/code/", qr=True),
            Visit("son-acting-code-large", "/code/large/", qr=True),
        ]),
        (signed_in_session(world.helper, **helper_otp), PHONE_VIEWPORT, [
            # The helper sits down with her now: the kiosk session is not left idle (2 minutes end it) however
            # long the pages before took on a busy machine.
            Visit("kiosk-consent", f"{kiosk}/consent/", before=lambda: touch(world.assist)),
            Visit("kiosk-session", f"{kiosk}/consent/", then=she_consents_before_the_helper(world.assist),
                  lands_on=f"{kiosk}/"),
            Visit("kiosk-code", f"{kiosk}/code/", qr=True),
            Visit("kiosk-records", f"{kiosk}/records/"),
        ]),
        (signed_in_session(world.operator, **otp), DESK_VIEWPORT, [
            Visit("operator-counter", "/counter/", voice=False),
        ]),
    ]
    for session, viewport, visits in personas:
        context, page = persona(chromium, base_url, elder=elder, viewport=viewport, session=session,
                                has_touch=viewport is PHONE_VIEWPORT,
                                kiosk_token=world.kiosk_token if session and visits[0].name.startswith("kiosk")
                                else None)
        try:
            for visit in visits:
                walk.visit(page, visit, viewport)
            assert page.problems == [], page.problems  # type: ignore[attr-defined]
        finally:
            context.close()


def test_every_main_page_in_elder_mode_has_big_text_big_targets_enhanced_contrast_and_no_sideways_scroll(
        chromium: Browser, axe: Axe, asgi_live_server: str, world: World) -> None:
    walk = Walk(axe, elder=True, folder=ELDER_SHOTS)

    walk_every_main_page(chromium, asgi_live_server, world, walk)

    findings = walk.findings
    assert len(findings.pages) == MAIN_PAGES
    assert len(findings.shots) == 3 * MAIN_PAGES + len(SMALL_PHONES) * QR_PAGES and all(shot.stat().st_size > 5_000 for shot in findings.shots)
    report = findings.report()
    assert not report, f"elder mode breaks its promise:\n{report}"


def test_every_main_page_in_the_standard_look_meets_wcag_2_2_aa(
        chromium: Browser, axe: Axe, asgi_live_server: str, world: World) -> None:
    walk = Walk(axe, elder=False, folder=STANDARD_SHOTS)

    walk_every_main_page(chromium, asgi_live_server, world, walk)

    findings = walk.findings
    assert len(findings.pages) == MAIN_PAGES and len(findings.shots) == MAIN_PAGES
    report = findings.report()
    assert not report, f"the standard look has WCAG 2.2 AA violations:\n{report}"
