"""亲情账户 in plain roles on her phone (390×844, large print, axe with AAA contrast): her page leads with 谁在帮我,
who is who is said from her side, 马上解除 asks first on a page of its own, and she can undo it for five minutes.
Screenshots go to artifacts/screenshots/family-roles/."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from family.actions import invite_proxy
from family.models import GrantStatus
from insurance.models import InsuredPerson

from .conftest import AXE_OPTIONS, SCREENSHOTS, axe_report
from .helpers import elder_size_problems, phone_of, watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "family-roles"


def look(page: Page, axe: Axe, name: str, found: dict[str, list]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    found[name] = axe.run(page, options=AXE_OPTIONS).response["violations"]
    found[name] += [{"id": "elder-size", "help": p, "nodes": []} for p in elder_size_problems(page)]


def test_on_her_phone_in_large_print_she_sees_who_helps_her_first_confirms_a_revoke_and_undoes_it(
        chromium: Browser, axe: Axe, asgi_live_server: str, mother: InsuredPerson, mother_user: User, son: User):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                         scopes=["show_code", "view_settlements"])
    phone = phone_of(chromium, asgi_live_server, mother_user)
    found: dict[str, list] = {}
    try:
        hers = watched(phone.new_page())
        hers.goto("/family/")
        hers.get_by_role("button", name="长辈版", exact=True).click()
        expect(hers.locator("html")).to_have_attribute("data-elder", "on")
        headings = hers.locator("main h2").all_inner_texts()
        assert headings.index("谁在帮我") < headings.index("我帮家人"), headings
        helper = hers.get_by_test_id("helper-grant")
        expect(helper).to_contain_text(f"{son.masked_name}（您的儿子或女儿）")
        expect(helper).to_contain_text("出示您的医保码、实时收到您的结算结果")
        expect(hers.locator(".voice-guide-text").first).to_contain_text("谁在帮您")
        look(hers, axe, "01-who-helps-me", found)

        hers.get_by_role("link", name="让家人帮我").click()
        hers.wait_for_url("**/family/invite/")
        expect(hers.get_by_label("他（她）是您的", exact=True).locator("option[value=child]")).to_have_text("儿子或女儿")
        look(hers, axe, "02-invite", found)

        hers.goto("/family/")
        hers.get_by_test_id("revoke").click()
        hers.wait_for_url("**/revoke/")
        expect(hers.get_by_role("heading", level=1)).to_contain_text(f"不让 {son.masked_name}（您的儿子或女儿）再帮您了？")
        look(hers, axe, "03-revoke-asks-first", found)
        hers.get_by_test_id("keep-grant").click()  # 不解除，返回: nothing changed
        hers.wait_for_url("**/family/")
        grant.refresh_from_db()
        assert grant.status == GrantStatus.ACTIVE

        hers.get_by_test_id("revoke").click()
        hers.get_by_test_id("confirm-revoke").click()
        hers.wait_for_url("**/family/")
        expect(hers.get_by_text("现在没有家人帮您。")).to_be_visible()
        grant.refresh_from_db()
        assert grant.status == GrantStatus.REVOKED
        expect(hers.get_by_test_id("restorable-grant")).to_contain_text("5分钟内可以撤销")
        look(hers, axe, "04-revoked-can-undo", found)

        hers.get_by_test_id("restore").click()
        hers.wait_for_url("**/family/")
        expect(hers.get_by_test_id("helper-grant")).to_contain_text(son.masked_name)
        expect(hers.get_by_test_id("restorable-grant")).to_have_count(0)
        grant.refresh_from_db()
        assert grant.status == GrantStatus.ACTIVE
        look(hers, axe, "05-restored", found)
        assert hers.problems == []  # type: ignore[attr-defined]
    finally:
        phone.close()
    broken = {name: f for name, f in found.items() if f}
    assert not broken, "\n".join(f"{name}:\n{axe_report(f)}" for name, f in broken.items())
