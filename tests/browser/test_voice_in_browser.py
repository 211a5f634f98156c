"""With voice turned on, each step's guide plays by itself, and the "听语音说明" button plays it on demand."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _audio_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if "/elder/voice/" in request.url else None)
    return seen


def test_with_voice_on_the_identity_step_plays_its_guide_by_itself(browser_context: BrowserContext, page: Page,
                                                                   live_server, page_problems):
    browser_context.add_cookies([
        {"name": "voice", "value": "on", "url": live_server.url},
        {"name": "voice_lang", "value": "yue", "url": live_server.url},
        {"name": "voice_rate", "value": "slow", "url": live_server.url},
    ])
    seen = _audio_requests(page)
    page.goto("/activate/")
    page.wait_for_timeout(1500)
    assert any(url.endswith("/elder/voice/yue/slow/identity.audio") for url in seen), seen
    # The words are on screen too.
    assert page.locator(".voice-guide-text").first.inner_text().strip()
    assert page_problems == []


def test_with_voice_off_nothing_plays_until_she_taps_the_button(page: Page, page_problems):
    seen = _audio_requests(page)
    page.goto("/activate/")
    page.wait_for_timeout(800)
    assert seen == []
    page.get_by_test_id("voice-guide").first.click()
    page.wait_for_timeout(1500)
    assert any(url.endswith("/elder/voice/cmn/normal/identity.audio") for url in seen), seen
    assert page.url.endswith("/activate/")  # it played in place; she did not leave the form
    assert page_problems == []
