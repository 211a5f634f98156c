"""Give-up rescue in Chromium, on a 360×640 phone in elder mode with voice on: three wrong ID numbers on the
activation page, and at once, big and focused, "请家人帮我" and "请帮办员打电话给我"; she asks for a call; a helper
finds it in the queue, calls, and records what came of it. Screens in artifacts/screenshots/rescue/."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Browser, expect

from accounts.models import User
from conftest import worker_client
from feedback.models import CallbackRequest, CallbackStatus

from .conftest import SCREENSHOTS, STEP_TIMEOUT_MS
from .helpers import Screens, open_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "rescue"
SMALL_PHONE = {"width": 360, "height": 640}
# Each fails the ID number's check digit (GB 11643): the form says so under the field.
WRONG_ID_NUMBERS = ["330100194403121124", "330100194403121125", "330100194403121126"]


def test_after_three_wrong_id_numbers_she_is_offered_help_at_once_and_a_helper_calls_her_back(
        chromium: Browser, axe: Axe, live_server, helper: User):
    screens = Screens(axe, "rescue", SHOTS)
    phone = chromium.new_context(base_url=live_server.url, viewport=SMALL_PHONE, device_scale_factor=2,
                                 has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    phone.set_default_timeout(STEP_TIMEOUT_MS)
    phone.add_cookies([{"name": "elder_mode", "value": "1", "url": live_server.url},
                       {"name": "voice", "value": "on", "url": live_server.url}])
    desk = open_context(chromium, live_server.url, viewport={"width": 1280, "height": 900})
    try:
        page = phone.new_page()
        page.goto("/activate/")
        for attempt, wrong in enumerate(WRONG_ID_NUMBERS, start=1):
            page.get_by_label("姓名", exact=True).fill("王秀英")
            page.get_by_label("身份证号", exact=True).fill(wrong)
            page.get_by_label("在医保局登记的手机号", exact=True).fill("13800138001")
            page.get_by_test_id("send-code").click()
            page.wait_for_load_state()
            rescue = page.get_by_test_id("rescue")
            if attempt < 3:
                expect(rescue).to_have_count(0)
        # The third time: the offer, at the top, focused, with its voice guide and both ways out.
        expect(rescue).to_be_visible()
        expect(rescue).to_be_focused()
        expect(rescue.get_by_test_id("rescue-family")).to_have_text("请家人帮我")
        expect(rescue.get_by_test_id("rescue-call-me")).to_have_text("请帮办员打电话给我")
        expect(rescue).to_be_in_viewport()
        screens.check(page, "offer")

        rescue.get_by_test_id("rescue-call-me").click()
        screens.check(page, "call-me")
        page.get_by_label("打哪个手机号").fill("13800138001")
        page.get_by_test_id("callback-submit").click()
        expect(page.locator("main")).to_contain_text("两小时")
        screens.check(page, "call-me-done")

        callback = CallbackRequest.objects.get()
        assert callback.status == CallbackStatus.WAITING
        assert not any(wrong in callback.what_went_wrong for wrong in WRONG_ID_NUMBERS)  # nothing secret kept

        # A helper at the community centre, signed in with password and authenticator.
        desk.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                           "value": worker_client(helper).cookies[settings.SESSION_COOKIE_NAME].value,
                           "url": live_server.url}])
        queue = desk.new_page()
        queue.goto("/rescue/callbacks/")
        expect(queue.get_by_test_id("callback-waiting")).to_have_count(1)
        screens.check(queue, "helper-queue", citizen=False)
        queue.get_by_test_id("callback-take").click()
        expect(queue.get_by_test_id("callback-number")).to_contain_text("13800138001")
        queue.get_by_text("已解决", exact=True).click()
        queue.get_by_test_id("callback-record").click()
        screens.check(queue, "helper-recorded", citizen=False)
    finally:
        phone.close()
        desk.close()
    callback.refresh_from_db()
    assert (callback.status, callback.helper) == (CallbackStatus.RESOLVED, helper)
    screens.assert_all_good()
