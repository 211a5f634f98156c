"""Her voice, in Chromium, on a 360×640 phone in elder mode with voice on; each screen photographed into
artifacts/screenshots/feedback/ and checked by axe-core with the AAA contrast rule, the elder sizes, the voice
guide and the help block.

- A settlement finishes while her page is open: the live status card brings the three big buttons, and one tap
  answers the survey ("谢谢您的评价"), without a reload.
- She speaks a complaint into the phone's microphone (Chromium's fake microphone), sends it, and sees the
  24-hour clock; staff answer it from the inbox, and her open page shows the answer at once; she rates it.
"""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from accounts.models import User
from feedback.models import Complaint, SurveyResponse
from insurance.models import InsuredPerson
from settlement.models import Settlement
from settlement.push import push_settlement

from .conftest import SCREENSHOTS
from .helpers import Screens, elder_phone, listening, not_reloaded, open_context, sign_in_as_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "feedback"
SMALL_PHONE = {"width": 360, "height": 640}


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def test_the_survey_after_a_settlement_is_one_tap_on_the_live_card(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, mother_user: User, institution):
    screens = Screens(axe, "survey", SHOTS)
    hers = elder_phone(chromium, asgi_live_server, mother_user)
    try:
        page = hers.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
        page.goto("/records/")
        listening(page)
        settlement = Settlement.objects.create(
            institution=institution, person=mother, voucher=mother.voucher, code_nonce=uuid.uuid4().hex,
            visit_type="outpatient", status="settled", total=Decimal("120.00"), fund_pay=Decimal("80.00"),
            account_pay=Decimal("20.00"), self_pay=Decimal("20.00"))
        # As the settlement worker does it: from another thread (this one runs Playwright's event loop).
        pusher = threading.Thread(target=push_settlement, args=(settlement.pk,))
        pusher.start()
        pusher.join()
        survey = page.get_by_test_id("survey")
        expect(survey).to_be_visible()
        expect(survey.get_by_test_id("voice-guide")).to_be_visible()  # read aloud in elder mode
        screens.check(page, "three-buttons")
        page.get_by_test_id("survey-satisfied").click()
        expect(page.get_by_test_id("survey-done")).to_contain_text("谢谢您的评价")
        assert not_reloaded(page)
        screens.check(page, "thanks")
        # Her receipt remembers: no second set of buttons.
        page.goto(f"/records/{settlement.public_id}/")
        expect(page.locator(f"#survey-settlement-{settlement.public_id}")).to_contain_text("谢谢您的评价")
        expect(page.get_by_test_id("survey-okay")).to_have_count(0)
        screens.check(page, "receipt-after")
        assert not problems, problems
    finally:
        hers.close()
    answer = SurveyResponse.objects.get(person=mother)
    assert (answer.event_key, answer.rating) == (f"settlement:{settlement.public_id}", "satisfied")
    screens.assert_all_good()


def test_a_spoken_complaint_is_answered_by_staff_and_her_page_shows_it_live(
        chromium: Browser, chromium_with_microphone: Browser, axe: Axe, asgi_live_server: str,
        mother: InsuredPerson, mother_user: User, staff_member: User):
    screens = Screens(axe, "complaint", SHOTS)
    hers = elder_phone(chromium_with_microphone, asgi_live_server, mother_user, permissions=["microphone"])
    desk = open_context(chromium, asgi_live_server, viewport={"width": 1280, "height": 900})
    try:
        page = hers.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
        page.goto("/feedback/complaints/new/")
        expect(page.get_by_test_id("record-start")).to_be_visible()  # the recorder shows itself under the CSP
        screens.check(page, "form")
        page.get_by_test_id("record-start").click()
        expect(page.get_by_test_id("record-status")).to_contain_text("正在录音")
        page.wait_for_timeout(3000)  # she speaks for three seconds
        page.get_by_test_id("record-stop").click()
        expect(page.get_by_test_id("record-status")).to_contain_text("录好了")
        screens.check(page, "recorded")
        page.get_by_test_id("complaint-send").click()
        page.wait_for_url("**/feedback/complaints/*/")
        expect(page.get_by_test_id("complaint-clock")).to_contain_text("还有24小时答复")
        expect(page.get_by_test_id("complaint-audio")).to_be_visible()
        listening(page)
        screens.check(page, "waiting")

        staff = sign_in_as_staff(desk, "/staff/complaints/")
        expect(staff.get_by_test_id("inbox-row")).to_have_count(1)
        screens.check(staff, "staff-inbox", citizen=False)
        staff.get_by_test_id("open-complaint").click()
        expect(staff.get_by_test_id("staff-audio")).to_be_visible()
        screens.check(staff, "staff-complaint", citizen=False)
        staff.get_by_label("答复她").fill("已经核实，药店多收的十元会退回您的医保账户。")
        staff.get_by_test_id("reply-send").click()
        staff.wait_for_load_state("load")

        reply = page.get_by_test_id("complaint-reply")
        expect(reply).to_contain_text("多收的十元会退回")
        expect(page.get_by_test_id("complaint-clock")).to_contain_text("已答复")
        assert not_reloaded(page)
        screens.check(page, "answered")
        page.get_by_test_id("complaint-rate-satisfied").click()
        expect(page.get_by_test_id("complaint-rating")).to_contain_text("满意")
        screens.check(page, "rated")
        assert not problems, problems
    finally:
        hers.close()
        desk.close()
    complaint = Complaint.objects.get(person=mother)
    assert complaint.recording.name.endswith((".webm", ".ogg")) and complaint.recording_seconds >= 2
    assert (complaint.status, complaint.rating) == ("answered", "satisfied")
    screens.assert_all_good()
