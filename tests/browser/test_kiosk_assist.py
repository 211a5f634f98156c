"""帮办 in three browsers at once: the community kiosk, the son's phone and the citizen's own phone.

At the kiosk a helper signs in (password, then TOTP) and registers the browser as a kiosk, all through the
pages. Then two citizens are served:

- 奶奶 (王秀英, 82) has no phone with her. Her son 李建国, who may act for her, gets the question pushed to
  his open page; he approves on his phone; the kiosk's consent page moves on by itself; the helper opens her
  medical-insurance code and ends the session. The kiosk's back button then shows nothing of her, and her own
  account record names the helper.
- 张桂芳 reads the helper the one-time code from her own SMS. The kiosk then stands idle: the countdown
  appears, "继续" keeps the session (and tells the server so), and when nobody answers it the session ends by
  itself and the kiosk is back at the start, with nothing of her.

Runs on a real ASGI server (uvicorn in the test process): the son's page gets the question over a real
websocket. Every kiosk page (which is in the large-print elder look from the moment it is registered) and the
son's approval page are photographed into artifacts/screenshots/kiosk/ and checked by axe-core with the AAA
contrast rule, and against the elder look's sizes (24px text, 60px targets).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import Role, User
from assist.models import AssistSession, ConsentVia, EndReason, SessionStatus
from audit.models import AuditEvent, Via
from conftest import latest_code_sent_to, make_citizen, make_person
from family.actions import invite_proxy
from insurance.models import InsuredPerson
from vouchers.selectors import voucher_status_of

from .conftest import AXE_OPTIONS, SCREENSHOTS, axe_report
from .helpers import elder_size_problems, listening, not_reloaded, open_context, phone_of, watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "kiosk"
HELPER_PHONE = "+8613600136004"
HELPER_PASSWORD = "a-long-helper-password"
TOTP_KEY = "3132333435363738393031323334353637383930"
KIOSK_VIEWPORT = {"width": 1280, "height": 900}
# The son's phone shows the question this soon after the helper sends it, and the kiosk (which asks the
# server every 2 s) moves on this soon after he approves.
PUSH_MS = 5_000
POLL_MS = 6_000


@dataclass
class Camera:
    """Photographs each screen into artifacts/screenshots/kiosk/ and keeps what axe-core and the size checks
    found, so that one run reports every broken screen at once."""

    axe: Axe
    flow: str
    found: dict[str, list[dict]] = field(default_factory=dict)
    sizes: dict[str, list[str]] = field(default_factory=dict)

    def screen(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("data-elder", "on")
        SHOTS.mkdir(parents=True, exist_ok=True)
        number = len(self.found) + 1
        page.screenshot(path=str(SHOTS / f"{self.flow}-{number:02d}-{name}.png"), full_page=True)
        self.found[f"{name} ({page.url})"] = self.axe.run(page, options=AXE_OPTIONS).response["violations"]
        self.sizes[name] = elder_size_problems(page)

    def assert_accessible(self) -> None:
        broken = {name: found for name, found in self.found.items() if found}
        assert not broken, "axe-core found violations:\n" + "\n".join(
            f"{name}:\n{axe_report(found)}" for name, found in broken.items())
        too_small = {name: found for name, found in self.sizes.items() if found}
        assert not too_small, "large print is not large here:\n" + "\n".join(
            f"{name}: " + "; ".join(" ".join(problem.split()) for problem in found) for name, found in too_small.items())


@pytest.fixture
def helper(transactional_db) -> User:
    """A community helper created by staff: password and a TOTP device."""
    user = User.objects.create_user(HELPER_PHONE, HELPER_PASSWORD, role=Role.HELPER, display_name="陈志强")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=TOTP_KEY)
    return user


@pytest.fixture
def grandma(mother: InsuredPerson) -> User:
    """奶奶's account; her code is not yet active."""
    return make_citizen(mother, active=False)


@pytest.fixture
def daughter(transactional_db) -> InsuredPerson:
    """张桂芳, 67, another citizen of the same community; her code is not yet active either."""
    return make_person(name="张桂芳", gender="F", birth_date=dt.date(1958, 9, 2), phone="+8613800138066")


def sign_in_at_the_kiosk(context: BrowserContext) -> Page:
    """The helper's two steps, password then TOTP, through the real pages, on a browser that is not a kiosk yet."""
    page = watched(context.new_page())
    page.goto("/assist/")
    page.wait_for_url("**/accounts/worker/login/**")
    page.get_by_label("手机号", exact=True).fill(HELPER_PHONE[3:])
    page.get_by_label("密码", exact=True).fill(HELPER_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/accounts/worker/totp/")
    page.get_by_label("动态口令", exact=True).fill(f"{totp(bytes.fromhex(TOTP_KEY)):06d}")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/assist/")
    expect(page.get_by_role("heading", level=1)).to_have_text("帮办工作台")
    expect(page.get_by_text("这台机器还不是帮办终端。")).to_be_visible()
    return page


def register_the_kiosk(page: Page, camera: Camera) -> None:
    page.get_by_role("link", name="登记为帮办终端").click()
    page.wait_for_url("**/assist/kiosk/register/")
    page.get_by_label("终端名称", exact=True).fill("翠苑1号机")
    page.get_by_label("放在哪里", exact=True).fill("翠苑社区服务中心")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url("**/assist/")
    # From now on this browser is a kiosk, and kiosk pages start in large print.
    expect(page.locator("html")).to_have_attribute("data-elder", "on")
    expect(page.get_by_text("这台机器是帮办终端：翠苑1号机（翠苑社区服务中心）")).to_be_visible()
    camera.screen(page, "dashboard")
    page.goto("/assist/kiosk/register/")  # photographed in the kiosk look too
    camera.screen(page, "register")
    page.goto("/assist/")


def find_citizen(page: Page, camera: Camera, person: InsuredPerson, *, tasks: list[str]) -> AssistSession:
    """By name and ID number, with the tasks she came for."""
    page.get_by_test_id("start-assist").click()
    page.wait_for_url("**/assist/start/")
    page.get_by_label("市民姓名", exact=True).fill(person.name)
    page.get_by_label("市民身份证号", exact=True).fill(person.id_number)
    for task in tasks:
        page.get_by_label(task, exact=True).check()
    camera.screen(page, "start")
    page.get_by_test_id("find-citizen").click()
    page.wait_for_url("**/consent/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"请 {person.masked_name} 同意")
    expect(page.locator("main")).to_contain_text("要办的事：" + "、".join(tasks))
    return AssistSession.objects.get(citizen=person, status=SessionStatus.AWAITING_CONSENT)


def activate_her_code(page: Page, camera: Camera, person: InsuredPerson) -> None:
    page.get_by_test_id("task-activate").click()
    page.wait_for_url("**/activate/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"为 {person.masked_name} 开通医保码")
    expect(page.locator("main")).to_contain_text(person.masked_id_number)
    camera.screen(page, "activate")
    page.get_by_test_id("do-activate").click()
    page.wait_for_url(re.compile(r".*/assist/s/[0-9a-f-]+/$"))
    expect(page.get_by_test_id("task-activate")).to_have_text("开通医保码 ✓ 已办好")
    assert voucher_status_of(person) == "active"
    event = AuditEvent.objects.get(subject=person, action="voucher.activated")
    assert event.via == Via.HELPER and event.actor.role == Role.HELPER


def pause_clock(page: Page) -> None:
    """Stop the page's clock (a second from its now): from here on only the test moves it, by clock.run_for."""
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)


def seconds_since_server_heard_from(session: AssistSession) -> float:
    return (timezone.now() - AssistSession.objects.get(pk=session.pk).last_activity_at).total_seconds()


def shows_nothing_of(page: Page, person: InsuredPerson) -> None:
    """Not on the screen, and not anywhere in the page either (hidden text, attributes, scripts)."""
    text, html = page.locator("body").inner_text(), page.content()
    for trace in (person.masked_name, person.name, person.masked_id_number, person.id_number):
        assert trace not in text, f"the kiosk still shows {trace!r} at {page.url}"
        assert trace not in html, f"the kiosk's page still holds {trace!r} at {page.url}"


def her_record_names_the_helper(chromium: Browser, base_url: str, citizen: User, camera: Camera) -> None:
    """On her own phone: 我的账户记录 says the helper opened her code."""
    phone = phone_of(chromium, base_url, citizen)
    try:
        hers = watched(phone.new_page())
        hers.goto("/account/record/")
        hers.get_by_role("button", name="长辈版", exact=True).click()
        expect(hers.get_by_role("heading", level=1)).to_have_text("我的账户记录")
        activated = hers.get_by_test_id("record-table").locator("tr", has_text="开通了医保码")
        expect(activated).to_have_count(1)
        expect(activated).to_contain_text("帮办员 陈**")
        camera.screen(hers, "citizen-record")
        assert hers.problems == []  # type: ignore[attr-defined]
    finally:
        phone.close()


def test_the_helper_activates_grandmas_code_with_her_sons_remote_approval_and_leaves_nothing_of_her_behind(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, grandma: User, son: User,
        helper: User):
    invite_proxy(principal_user=grandma, phone_e164=son.phone, relationship="child", scopes=["act", "show_code"])
    camera = Camera(axe, flow="a")
    kiosk_browser = open_context(chromium, asgi_live_server, viewport=KIOSK_VIEWPORT)
    son_phone = phone_of(chromium, asgi_live_server, son)
    try:
        kiosk = sign_in_at_the_kiosk(kiosk_browser)
        register_the_kiosk(kiosk, camera)

        # His phone lies on his desk in another city, showing his family page (in large print).
        his = watched(son_phone.new_page())
        his.goto("/family/")
        his.get_by_role("button", name="长辈版", exact=True).click()
        expect(his.locator("html")).to_have_attribute("data-elder", "on")
        listening(his)

        # She has no phone with her: the helper finds her by name and ID number.
        session = find_citizen(kiosk, camera, mother, tasks=["开通医保码"])
        camera.screen(kiosk, "consent")

        # 办法二: ask her son.
        way_family = kiosk.get_by_role("region", name="办法二：请家人在手机上同意")
        way_family.get_by_label(f"{son.masked_name}（子女）", exact=True).check()
        way_family.get_by_test_id("ask-family-approval").click()
        expect(kiosk.get_by_role("status").filter(has_text="已经发给家人")).to_be_visible()
        expect(kiosk.locator("#consent-waiting")).to_contain_text(f"已经发给 {son.masked_name}")
        expect(kiosk.locator("#consent-waiting")).to_have_count(1)  # one poller, not two
        camera.screen(kiosk, "consent-waiting-for-son")

        # His open page shows the question by itself.
        question = his.get_by_test_id("family-assist-question")
        expect(question).to_be_visible(timeout=PUSH_MS)
        expect(question).to_contain_text(f"社区帮办员 陈** 正在为 {mother.masked_name} 办理，是否同意？")
        expect(question).to_contain_text("要办的事：开通医保码")
        assert not_reloaded(his), "his page was reloaded"
        # Any page he opens now carries the banner.
        his.goto("/")
        banner = his.get_by_test_id("assist-pending")
        expect(banner).to_contain_text(f"社区帮办员 陈** 正在为 {mother.masked_name} 办理，等您同意。")
        banner.get_by_role("link", name="去看看").click()
        his.wait_for_url(f"**/assist/approve/{session.public_id}/")
        expect(his.get_by_role("heading", level=1)).to_have_text(
            f"社区帮办员 陈** 正在为 {mother.masked_name} 办理")
        expect(his.locator("main")).to_contain_text("地点：翠苑社区服务中心")
        expect(his.get_by_test_id("assist-pending")).to_have_count(0)  # not the banner that led him here
        camera.screen(his, "son-approval")
        his.get_by_test_id("family-approve").click()
        his.wait_for_url("**/family/")
        expect(his.get_by_test_id("message")).to_have_text("您已同意，帮办员现在可以为她办理了。")
        expect(his.get_by_test_id("assist-pending")).to_have_count(0)

        # The kiosk's consent page moves on by itself to the session.
        kiosk.wait_for_url(f"**/assist/s/{session.public_id}/", timeout=POLL_MS)
        session.refresh_from_db()
        assert session.status == SessionStatus.ACTIVE and session.consent_via == ConsentVia.PROXY
        assert session.consent_proxy == son
        expect(kiosk.get_by_role("heading", level=1)).to_have_text(f"正在为 {mother.masked_name} 办理")
        expect(kiosk.locator("main")).to_contain_text("她同意的方式：家人远程同意")
        camera.screen(kiosk, "session")

        activate_her_code(kiosk, camera, mother)
        expect(kiosk.locator("main")).to_contain_text(mother.masked_name)

        # The helper ends it. Nothing of her on the screen, nor behind the back button.
        kiosk.get_by_test_id("end-session").click()
        kiosk.wait_for_url(f"**/assist/s/{session.public_id}/end/")
        expect(kiosk.get_by_test_id("assist-ended")).to_have_text("帮办已结束，这台机器上已经没有她的信息了。")
        shows_nothing_of(kiosk, mother)
        camera.screen(kiosk, "ended")
        session.refresh_from_db()
        assert session.status == SessionStatus.ENDED and session.end_reason == EndReason.HELPER

        for _step in range(2):  # back to the session page, then to her activation page
            response = kiosk.go_back()
            assert response is not None, "the browser showed a kept copy instead of asking the server"
            assert response.status == 410
            expect(kiosk.get_by_role("heading", level=1)).to_have_text("帮办已结束")
            shows_nothing_of(kiosk, mother)
        # The session's own pages, asked for by address, answer the same.
        for path in ("", "activate/", "consent/"):
            response = kiosk.goto(f"/assist/s/{session.public_id}/{path}")
            assert response is not None and response.status == 410, path
            shows_nothing_of(kiosk, mother)

        # The next citizen's screen is clean too.
        kiosk.goto("/assist/start/")
        shows_nothing_of(kiosk, mother)
        assert kiosk.problems == [] and his.problems == []  # type: ignore[attr-defined]
    finally:
        kiosk_browser.close()
        son_phone.close()

    # Her own record names the helper.
    her_record_names_the_helper(chromium, asgi_live_server, grandma, camera)
    camera.assert_accessible()


def test_the_next_citizen_consents_with_her_own_code_and_an_idle_kiosk_ends_the_session_and_wipes_itself(
        chromium: Browser, axe: Axe, asgi_live_server: str, daughter: InsuredPerson, helper: User):
    camera = Camera(axe, flow="b")
    citizen = make_citizen(daughter, active=False)
    kiosk_browser = open_context(chromium, asgi_live_server, viewport=KIOSK_VIEWPORT)
    try:
        kiosk = sign_in_at_the_kiosk(kiosk_browser)
        register_the_kiosk(kiosk, camera)

        session = find_citizen(kiosk, camera, daughter, tasks=["开通医保码", "查记录"])
        # A wrong code first, as happens when reading from a small screen.
        kiosk.get_by_test_id("send-consent-code").click()
        expect(kiosk.get_by_role("status").filter(has_text="验证码已发到她在医保局登记的手机")).to_be_visible()
        code = latest_code_sent_to(daughter.phone)
        code_field = kiosk.get_by_label("市民手机收到的验证码", exact=True)
        code_field.fill("000000" if code != "000000" else "111111")
        kiosk.get_by_test_id("confirm-consent-code").click()
        expect(kiosk.locator("#id_code_error")).to_contain_text("验证码不对")  # said next to the field
        assert AssistSession.objects.get(pk=session.pk).status == SessionStatus.AWAITING_CONSENT
        camera.screen(kiosk, "consent-wrong-code")
        kiosk.get_by_label("市民手机收到的验证码", exact=True).fill(code)
        kiosk.get_by_test_id("confirm-consent-code").click()
        kiosk.wait_for_url(f"**/assist/s/{session.public_id}/")
        session.refresh_from_db()
        assert session.status == SessionStatus.ACTIVE and session.consent_via == ConsentVia.CODE
        expect(kiosk.locator("main")).to_contain_text("她同意的方式：本人手机验证码")

        activate_her_code(kiosk, camera, daughter)

        # The kiosk stands idle. The page's clock stands still and is moved on by the test; the server's idle
        # limit is real time.
        kiosk.clock.install()
        pause_clock(kiosk)
        kiosk.reload()
        warning = kiosk.get_by_test_id("idle-warning")
        expect(warning).to_be_hidden()
        kiosk.clock.run_for(89_000)
        expect(warning).to_be_hidden()
        kiosk.clock.run_for(2_000)
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("秒后自动结束并清除她的信息")
        expect(warning.locator("[data-idle-left]")).to_have_text("29")
        expect(warning.get_by_role("button", name="继续")).to_be_focused()
        kiosk.clock.resume()  # axe-core needs running timers; 29 s are plenty for its look
        camera.screen(kiosk, "idle-countdown")
        expect(warning).to_be_visible()

        # "继续" keeps her session: the countdown goes, and the server hears that she is still here.
        # (The server has been waiting 100 s of real time by now, as far as it knows.)
        AssistSession.objects.filter(pk=session.pk).update(
            last_activity_at=timezone.now() - dt.timedelta(seconds=100))
        warning.get_by_role("button", name="继续").click()
        expect(warning).to_be_hidden()
        pause_clock(kiosk)
        deadline = time.monotonic() + 5
        while seconds_since_server_heard_from(session) > 5:
            assert time.monotonic() < deadline, "继续 did not tell the server she is still here"
            time.sleep(0.1)
        kiosk.clock.run_for(60_000)
        expect(warning).to_be_hidden()
        expect(kiosk.get_by_role("heading", level=1)).to_have_text(f"正在为 {daughter.masked_name} 办理")
        session.refresh_from_db()
        assert session.status == SessionStatus.ACTIVE

        # Nobody answers the countdown this time: the session ends and the kiosk is wiped.
        kiosk.clock.run_for(31_000)
        expect(warning).to_be_visible()
        kiosk.clock.run_for(30_000)
        kiosk.wait_for_url(f"**/assist/s/{session.public_id}/end/")
        kiosk.clock.resume()  # the clock is the kiosk's own again (axe-core needs running timers)
        expect(kiosk.get_by_test_id("assist-ended")).to_have_text(
            "长时间没有操作，帮办已自动结束，这台机器上已经没有她的信息了。")
        shows_nothing_of(kiosk, daughter)
        camera.screen(kiosk, "ended-by-timeout")
        session.refresh_from_db()
        assert session.status == SessionStatus.ENDED and session.end_reason == EndReason.TIMEOUT

        response = kiosk.go_back()
        assert response is not None and response.status == 410
        expect(kiosk.get_by_role("heading", level=1)).to_have_text("帮办已结束")
        shows_nothing_of(kiosk, daughter)

        # Back at the start, ready for the next citizen.
        kiosk.get_by_test_id("next-citizen").click()
        kiosk.wait_for_url("**/assist/start/")
        expect(kiosk.get_by_role("heading", level=1)).to_have_text("开始帮办")
        expect(kiosk.get_by_label("市民姓名", exact=True)).to_have_value("")
        expect(kiosk.get_by_label("市民身份证号", exact=True)).to_have_value("")
        shows_nothing_of(kiosk, daughter)
        camera.screen(kiosk, "start-next-citizen")
        assert kiosk.problems == []  # type: ignore[attr-defined]
    finally:
        kiosk_browser.close()

    her_record_names_the_helper(chromium, asgi_live_server, citizen, camera)
    camera.assert_accessible()


_ROWS_JS = """() => [...document.querySelectorAll('.choice')].map(row => {
  const box = row.querySelector('input').getBoundingClientRect();
  const label = row.querySelector('label').getBoundingClientRect();
  return {name: row.textContent.trim(), box: [box.left, box.top, box.right, box.bottom],
          label: [label.left, label.top, label.right, label.bottom]};
})"""


def test_on_a_phone_sized_kiosk_each_task_row_is_one_big_target_and_the_hotline_a_big_button(
        chromium: Browser, live_server, helper) -> None:
    context = open_context(chromium, live_server.url, viewport={"width": 360, "height": 640}, has_touch=True)
    try:
        page = sign_in_at_the_kiosk(context)
        page.goto("/assist/start/")
        # Not a kiosk yet: it says so first, and there is no form to fill in for nothing.
        expect(page.get_by_test_id("not-a-kiosk")).to_be_focused()
        expect(page.get_by_test_id("find-citizen")).to_have_count(0)
        page.get_by_test_id("not-a-kiosk").get_by_role("link", name="登记为帮办终端").click()
        page.get_by_label("终端名称", exact=True).fill("翠苑1号机")
        page.get_by_label("放在哪里", exact=True).fill("翠苑社区服务中心")
        page.get_by_role("button", name="登记", exact=True).click()
        page.goto("/assist/start/")
        expect(page.locator("html")).to_have_attribute("data-elder", "on")
        rows = page.evaluate(_ROWS_JS)
        assert len(rows) == 8  # the four first tasks, 门诊慢特病申请, 异地就医备案, 手工报销 and 投诉和举报
        for row in rows:
            (bl, bt, br, bb), (ll, lt, lr, lb) = row["box"], row["label"]
            # The label (what a tap on the row hits) covers the box too, and is at least 60 px high.
            assert ll <= bl and lr >= br and lt <= bt and lb >= bb and lb - lt >= 60, row
        # A tap in the gap between the box and the words ticks it.
        page.get_by_label("绑定家人", exact=True).scroll_into_view_if_needed()
        (bl, bt, br, bb) = page.evaluate(_ROWS_JS)[1]["box"]
        page.touchscreen.tap(br + 6, (bt + bb) / 2)
        expect(page.get_by_label("绑定家人", exact=True)).to_be_checked()
        call = page.locator("aside.help").get_by_role("link", name="拨打 12393")
        expect(call).to_have_attribute("href", "tel:12393")
        size = call.bounding_box()
        assert size is not None and size["height"] >= 60 and size["width"] >= 60, size
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "phone-start.png"), full_page=True)
        assert page.problems == []  # type: ignore[attr-defined]
    finally:
        context.close()
