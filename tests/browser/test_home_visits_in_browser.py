"""上门服务 in three browsers: the son's phone asks a helper to visit his mother 王秀英; the helper (a registered
tablet, elder look) accepts and schedules, and the son's open page shows the day at once; at her door the helper
starts the visit, which opens an ordinary kiosk session: she reads him the code from her SMS, he activates her
code, ends the session (wiped), and the son's page shows the visit done. Her and her son's pages and the
help-point directory are checked (elder mode, axe AAA, voice guide, help block) into
artifacts/screenshots/visits/; the directory sorts by distance when the browser shares a location and says so
plainly when it does not."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from assist.help_points import seed_demo_help_points
from assist.models import HelperArea, HomeVisit, VisitStatus
from conftest import WORKER_TOTP_KEY, latest_code_sent_to, make_citizen
from family.actions import invite_proxy
from insurance.models import InsuredPerson

from .conftest import SCREENSHOTS
from .helpers import Screens, elder_phone, listening, not_reloaded, open_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "visits"
TABLET = {"width": 1024, "height": 768}
PUSH_MS = 5_000


def sign_in_on_the_tablet(page: Page, helper: User) -> None:
    page.goto("/assist/")
    page.wait_for_url("**/accounts/worker/login/**")
    page.get_by_label("手机号", exact=True).fill(helper.phone[3:])
    page.get_by_label("密码", exact=True).fill("a-long-helper-password")
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/accounts/worker/totp/")
    page.get_by_label("动态口令", exact=True).fill(f"{totp(bytes.fromhex(WORKER_TOTP_KEY)):06d}")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/assist/")
    page.get_by_role("link", name="登记为帮办终端").click()
    page.get_by_label("终端名称", exact=True).fill("上门平板1")
    page.get_by_label("放在哪里", exact=True).fill("帮办员随身")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url("**/assist/")


def test_the_son_asks_for_a_visit_and_the_helper_carries_it_out_as_a_kiosk_session(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, son: User, helper: User):
    seed_demo_help_points()
    HelperArea.objects.create(helper=helper, district="330100")
    mother_user = make_citizen(mother, active=False)
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["act"])
    screens = Screens(axe, "son", SHOTS)
    phone = elder_phone(chromium, asgi_live_server, son)
    tablet = open_context(chromium, asgi_live_server, viewport=TABLET)
    try:
        page = phone.new_page()
        page.goto("/family/")
        page.locator("form[action$='/act/'] button").first.click()
        page.goto("/assist/visits/new/")
        screens.check(page, "visit-new")
        page.get_by_label("开通医保码", exact=True).check()
        page.get_by_label("上门地址", exact=True).fill("杭州市西湖区翠苑一区12幢3单元301")
        page.get_by_label("帮办员打哪个电话找您", exact=True).fill("13800138001")
        page.get_by_test_id("visit-submit").click()
        page.wait_for_url("**/assist/visits/*/")
        visit = HomeVisit.objects.get(person=mother)
        expect(page.get_by_test_id("visit-status-label")).to_have_text("等帮办员接单")
        screens.check(page, "visit-requested")
        listening(page)

        kiosk = tablet.new_page()
        sign_in_on_the_tablet(kiosk, helper)
        kiosk.get_by_test_id("visit-accept").first.click()
        kiosk.wait_for_url(f"**/assist/visits/{visit.public_id}/work/")
        expect(page.get_by_test_id("visit-status-label")).to_have_text("帮办员已接单，等约时间", timeout=PUSH_MS)
        kiosk.get_by_test_id("visit-schedule").click()
        expect(page.get_by_test_id("visit-when")).to_be_visible(timeout=PUSH_MS)
        assert not_reloaded(page)
        screens.check(page, "visit-scheduled")

        kiosk.get_by_test_id("visit-start").click()
        kiosk.wait_for_url("**/consent/")
        expect(page.get_by_test_id("visit-status-label")).to_have_text("帮办员正在上门办理", timeout=PUSH_MS)
        kiosk.get_by_test_id("send-consent-code").click()
        kiosk.get_by_label("市民手机收到的验证码", exact=True).fill(latest_code_sent_to(mother.phone))
        kiosk.get_by_test_id("confirm-consent-code").click()
        kiosk.wait_for_url("**/assist/s/*/")
        kiosk.get_by_test_id("task-activate").click()
        kiosk.get_by_test_id("do-activate").click()
        kiosk.wait_for_url("**/assist/s/*/")
        kiosk.get_by_test_id("end-session").click()
        expect(kiosk.get_by_test_id("assist-ended")).to_contain_text("已经没有她的信息了")
        expect(page.get_by_test_id("visit-status-label")).to_have_text("已办完", timeout=PUSH_MS)
        screens.check(page, "visit-done")
        visit.refresh_from_db()
        assert visit.status == VisitStatus.DONE and visit.session.consent_via == "code"
    finally:
        phone.close()
        tablet.close()
    screens.assert_all_good()


@pytest.mark.parametrize("shared", [True, False])
def test_the_directory_sorts_by_distance_when_she_shares_her_location(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother_user: User, shared: bool):
    seed_demo_help_points()
    options = {"geolocation": {"latitude": 30.2839, "longitude": 120.1258}, "permissions": ["geolocation"]} \
        if shared else {"permissions": []}
    screens = Screens(axe, f"directory-{'shared' if shared else 'refused'}", SHOTS)
    phone = elder_phone(chromium, asgi_live_server, mother_user, **options)
    try:
        page = phone.new_page()
        page.goto("/assist/help-points/")
        screens.check(page, "directory")
        page.get_by_test_id("help-point-near").click()
        page.wait_for_url("**near=1**")
        if shared:
            expect(page.get_by_test_id("sorted-by-distance")).to_be_visible()
            expect(page.get_by_test_id("help-point").first).to_contain_text("翠苑街道社区卫生服务中心")
            expect(page.get_by_test_id("help-point-distance").first).to_contain_text("约 0.0 公里")
        else:
            expect(page.get_by_test_id("location-problem")).to_contain_text("没有拿到您的位置")
        screens.check(page, "after-location")
        page.get_by_test_id("help-point").first.get_by_role("link").first.click()
        screens.check(page, "detail")
    finally:
        phone.close()
    screens.assert_all_good()
