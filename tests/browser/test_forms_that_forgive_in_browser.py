"""Forms that forgive, in a real browser on a 360x640 phone in elder mode, each screen checked by axe (AAA
contrast): after a submit the first wrong field (or, after 获取验证码, the code box) is scrolled into view and
focused, with its message read with it; her name and phone survive a reload, her ID number does not.

Screenshots: artifacts/issue13/forms-*.png.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from .conftest import AXE_OPTIONS, REPO, axe_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = REPO / "artifacts" / "issue13"
SMALL = {"width": 360, "height": 640}
ID_NUMBER = "330100194403121123"


def focused(page: Page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        const r = el.getBoundingClientRect();
        const described = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
            .map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
        return {name: el.getAttribute('name'), tag: el.tagName, top: r.top, bottom: r.bottom,
                described, height: window.innerHeight};
    }""")


def check(axe: Axe, page: Page, name: str, found: dict[str, list]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"forms-{name}.png"))
    found[name] = axe.run(page, options=AXE_OPTIONS).response["violations"]


def test_the_first_wrong_field_then_the_code_box_are_focused_and_typed_values_survive_a_reload(
        small_elder_page: Page, axe: Axe, mother):
    page = small_elder_page
    found: dict[str, list] = {}
    page.goto("/activate/")
    assert page.locator("html").get_attribute("data-elder") == "on"

    # She types a name and her phone but makes a mistake in the ID number, then taps 获取验证码.
    page.fill("input[name=name]", "王秀英")
    page.fill("input[name=id_number]", "33010019440312112")
    page.fill("input[name=phone]", "13800138001")
    page.get_by_test_id("send-code").click()
    page.wait_for_load_state("load")
    now = focused(page)
    assert now["name"] == "id_number", now
    assert 0 <= now["top"] and now["bottom"] <= now["height"], now  # scrolled into view
    assert "18位" in now["described"] or "身份证" in now["described"], now  # its message is read with it
    check(axe, page, "first-error-focused", found)

    # Corrected, she asks again: the code box is where she looks next, with "验证码已发到…" read with it.
    page.fill("input[name=id_number]", ID_NUMBER)
    page.get_by_test_id("send-code").click()
    page.wait_for_load_state("load")
    now = focused(page)
    assert now["name"] == "code", now
    assert 0 <= now["top"] and now["bottom"] <= now["height"], now
    assert "验证码已发到" in now["described"], now
    check(axe, page, "code-box-focused", found)

    # A fresh page, typed into and reloaded: her name and phone come back, the ID number never does.
    page.goto("/activate/")
    page.fill("input[name=name]", "王秀英")
    page.fill("input[name=id_number]", ID_NUMBER)
    page.fill("input[name=phone]", "13800138001")
    page.reload()
    page.wait_for_load_state("load")
    assert page.input_value("input[name=name]") == "王秀英"
    assert page.input_value("input[name=phone]") == "13800138001"
    assert page.input_value("input[name=id_number]") == ""
    stored = page.evaluate("() => Object.keys(sessionStorage).join(' ') + ' ' + Object.values(sessionStorage).join(' ')")
    assert ID_NUMBER not in stored and "id_number" not in stored
    check(axe, page, "reloaded", found)

    broken = {name: v for name, v in found.items() if v}
    assert not broken, "\n".join(f"{name}:\n{axe_report(v)}" for name, v in broken.items())
