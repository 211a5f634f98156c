"""教程专区 in Chromium, on a 360×640 phone in elder mode with voice on: 王秀英 walks "出示医保码" forward and
back, each step's guide plays by itself, every screen is photographed into artifacts/screenshots/tutorials/ and
checked by axe-core (AAA contrast), the elder sizes, the voice guide and the help block; the handout prints.

And the screenshot command itself: `build_tutorial_screens --only show_code --out DIR` writes the four PNGs
from a freshly seeded portal, and `--check` passes (about 30 s each: a real server, a real browser).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from learn.tutorials import BY_SLUG

from .conftest import SCREENSHOTS
from .helpers import Screens, elder_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "tutorials"


def _audio_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if "/elder/voice/" in request.url else None)
    return seen


def _heard(page: Page, seen: list[str], key: str) -> None:
    page.wait_for_function("() => true")
    for _ in range(30):
        if any(url.endswith(f"/{key}.audio") for url in seen):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the guide {key} did not play: {seen}")


def test_an_elder_walks_the_show_code_tutorial_forward_and_back_hearing_each_step(
        chromium: Browser, axe: Axe, live_server, mother_user: User):
    screens = Screens(axe, "show-code", SHOTS)
    tutorial = BY_SLUG["show_code"]
    context = elder_phone(chromium, live_server.url, mother_user)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        seen = _audio_requests(page)

        page.goto("/learn/")
        expect(page.get_by_role("heading", level=1)).to_have_text("学用医保码")
        _heard(page, seen, "tutorial_list")
        screens.check(page, "list")

        page.locator("[data-tutorial=show_code]").get_by_role("link", name="开始学").click()
        for number in range(1, len(tutorial.steps) + 1):
            page.wait_for_url(f"**/learn/show_code/{'' if number == 1 else f'{number}/'}")
            expect(page.get_by_test_id("tutorial-progress")).to_have_text(f"第 {number} 步，共 4 步")
            expect(page.locator(".voice-guide-text")).to_have_text(tutorial.steps[number - 1].cmn)
            screen = page.get_by_test_id("tutorial-screen")
            assert screen.evaluate("img => img.complete && img.naturalWidth > 0"), "the screenshot did not load"
            assert screen.get_attribute("alt")
            _heard(page, seen, f"tutorial_show_code_{number}")
            screens.check(page, f"step-{number}")
            if number < len(tutorial.steps):
                page.get_by_test_id("tutorial-next").click()

        # Back one step: the same page, its guide again.
        seen.clear()
        page.get_by_test_id("tutorial-previous").click()
        page.wait_for_url("**/learn/show_code/3/")
        expect(page.get_by_test_id("tutorial-progress")).to_have_text("第 3 步，共 4 步")
        _heard(page, seen, "tutorial_show_code_3")
        expect(page.get_by_test_id("tutorial-where")).to_have_text("在「放大的医保码」这一页，找「秒后自动换新码」。")

        page.goto("/learn/show_code/print/")
        expect(page.get_by_test_id("tutorial-print-button")).to_be_visible()
        expect(page.get_by_test_id("tutorial-handout")).to_contain_text("打医保热线 12393")
        assert page.locator(".tutorial-handout-step img").count() == len(tutorial.steps)
        screens.check(page, "print")
        page.emulate_media(media="print")
        assert not page.locator(".help").is_visible() and not page.get_by_test_id("tutorial-print-button").is_visible()
        page.screenshot(path=str(SHOTS / "show-code-print-media.png"), full_page=True)
        for slug in BY_SLUG:  # every handout fits one A4 sheet (the longest has five steps)
            page.goto(f"/learn/{slug}/print/")
            page.wait_for_load_state("load")
            pdf = page.pdf(format="A4", print_background=True)
            assert _pages(pdf) == 1, f"the {slug} handout takes {_pages(pdf)} pages of A4"
        assert errors == []
    finally:
        context.close()
    screens.assert_all_good()


def _pages(pdf: bytes) -> int:
    """Pages in a PDF Chromium printed (each page object says /Type /Page, the tree /Type /Pages)."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def _command(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    # The command serves the portal with the developer's settings on its own throwaway database.
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env["VAR_DIR"] = str(tmp_path / "var")
    return subprocess.run([sys.executable, "manage.py", "build_tutorial_screens", *args], cwd=settings.BASE_DIR,
                          env=env, capture_output=True, text=True, timeout=240, check=False)


def test_the_command_photographs_one_tutorial_into_a_folder(tmp_path):
    out = tmp_path / "screens"
    result = _command("--only", "show_code", "--out", str(out), tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    written = sorted(p.name for p in out.glob("*.png"))
    assert written == [f"show_code-{n}.png" for n in range(1, 5)]
    assert all(0 < (out / name).stat().st_size < 60 * 1024 for name in written)
    assert "show_code-2.png" in result.stdout  # progress, screen by screen


def test_the_command_check_passes_while_the_buttons_are_on_their_pages(tmp_path):
    result = _command("--only", "at_counter", "--check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "4 steps checked" in result.stdout
