"""A dialect clip, end to end in Chromium: a volunteer records the home page's sentence in 吴语 with Chromium's fake
microphone (MediaRecorder, a multipart upload, checked and converted by ffmpeg), bureau staff listen and approve
it, and 奶奶, who chose 吴语 on her voice settings page, hears the clip instead of the synthesized guide
(`X-Voice-Source: clip`). Each screen is photographed into artifacts/screenshots/voice-packs/ and checked by
axe-core with the AAA contrast rule; her pages and the volunteer's (elder mode, 360×640) also for the elder sizes,
the voice guide and the help block."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from accounts.models import User
from conftest import make_citizen, make_person
from elder_mode.models import ClipStatus, DialectPack, PackRecorder, VoiceClip

from .conftest import SCREENSHOTS
from .helpers import Screens, elder_phone, open_context, sign_in_as_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "voice-packs"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def watch(page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    return problems


def test_a_clip_recorded_in_the_browser_and_approved_is_what_she_hears(
        chromium: Browser, chromium_with_microphone: Browser, axe: Axe, live_server, mother_user: User,
        staff_member: User):
    pack = DialectPack.objects.create(code="wuu-hz", name="吴语（杭州话）", region="杭州")
    volunteer = make_citizen(make_person(name="钱阿姨", phone="+8615800158008"))
    PackRecorder.objects.create(user=volunteer).packs.set([pack])
    screens = Screens(axe, "packs", SHOTS)

    # 1. The volunteer, on her own phone in elder mode, records the home page's sentence.
    hers = elder_phone(chromium_with_microphone, live_server.url, volunteer, permissions=["microphone"])
    try:
        page = hers.new_page()
        problems = watch(page)
        page.goto("/staff/voice-packs/")
        expect(page.get_by_test_id("pack-row")).to_have_count(1)  # her one pack
        expect(page.locator('[data-pack="wuu-hz"] [data-testid=count-approved]')).to_contain_text("0 /")
        screens.check(page, "coverage")
        page.get_by_test_id("open-pack").click()
        expect(page.locator('[data-key="home"][data-state="missing"]')).to_be_visible()
        screens.check(page, "sentences")
        page.locator('[data-key="home"]').get_by_test_id("record-link").click()
        expect(page.get_by_test_id("pack-sentence")).to_contain_text("这里是医保通")
        expect(page.get_by_test_id("record-start")).to_be_visible()  # the recorder shows itself under the CSP
        screens.check(page, "record")
        page.get_by_test_id("record-start").click()
        expect(page.get_by_test_id("record-status")).to_contain_text("正在录音")
        page.wait_for_timeout(3000)  # she reads the sentence
        page.get_by_test_id("record-stop").click()
        expect(page.get_by_test_id("record-status")).to_contain_text("录好了")
        expect(page.get_by_test_id("record-playback")).to_be_visible()
        screens.check(page, "recorded")
        page.get_by_test_id("pack-send").click()
        page.wait_for_url("**/staff/voice-packs/wuu-hz/")
        expect(page.get_by_test_id("message")).to_contain_text("已经送去审核")
        assert not problems, problems
    finally:
        hers.close()
    clip = VoiceClip.objects.get()
    assert (clip.status, clip.guide_key, clip.recorder_id) == (ClipStatus.RECORDED, "home", volunteer.pk)
    assert clip.duration >= 2

    # 2. Bureau staff, at a desk, listen and approve.
    desk = open_context(chromium, live_server.url, viewport={"width": 1280, "height": 900})
    try:
        staff = sign_in_as_staff(desk, "/staff/voice-packs/review/")
        expect(staff.get_by_test_id("review-clip")).to_have_count(1)
        expect(staff.get_by_test_id("review-audio")).to_be_visible()
        screens.check(staff, "review", citizen=False)
        staff.get_by_test_id("approve").click()
        expect(staff.get_by_test_id("message")).to_contain_text("已通过")
        expect(staff.get_by_test_id("review-empty")).to_be_visible()
        staff.goto("/staff/voice-packs/")
        expect(staff.locator('[data-pack="wuu-hz"] [data-testid=count-approved]')).to_contain_text("1 /")
        screens.check(staff, "staff-coverage", citizen=False)
    finally:
        desk.close()
    clip.refresh_from_db()
    assert clip.status == ClipStatus.APPROVED

    # 3. 奶奶 chooses 吴语 and her home page's guide is the volunteer's voice.
    grandma = elder_phone(chromium, live_server.url, mother_user)
    try:
        page = grandma.new_page()
        problems = watch(page)
        page.goto("/elder/voice-settings/?next=/")
        expect(page.get_by_test_id("voice-packs")).to_be_visible()
        screens.check(page, "voice-settings")
        page.get_by_label("吴语（杭州话）（已录1句", exact=False).check()
        with page.expect_response(lambda r: "/elder/voice/" in r.url and "/home.audio" in r.url) as heard:
            page.get_by_role("button", name="保存").click()
            page.wait_for_url(f"{live_server.url}/")
        response = heard.value
        assert "pack=wuu-hz" in response.url
        assert response.headers.get("x-voice-source") == "clip"
        assert response.status in (200, 206)
        screens.check(page, "home-in-her-dialect")
        # A sentence nobody has recorded yet is still spoken, in synthesized Mandarin.
        other = page.request.get("/elder/voice/cmn/normal/code.audio?pack=wuu-hz")
        assert other.headers.get("x-voice-source") == "synth"
        assert not problems, problems
    finally:
        grandma.close()
    screens.assert_all_good()
