"""奶奶 keeps her phone trusted, turns on fingerprint unlock (a passkey), and later, on a session her trusted
phone opened without any SMS, confirms it is her with that passkey before changing her family. Chromium's
virtual authenticator (CDP WebAuthn) stands in for the phone's fingerprint reader."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import Passkey, TrustedDevice
from audit.kinds import Kind
from audit.models import AuditEvent
from conftest import latest_code_sent_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TYPED_PHONE = "13800138001"
PHONE = "+8613800138001"


def fingerprint_reader(context: BrowserContext, page: Page) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True}})


def test_she_registers_a_passkey_and_steps_up_with_it_on_her_trusted_phone(mother_user, browser_context, page,
                                                                            page_problems, journey):
    fingerprint_reader(browser_context, page)
    walk = journey("passkey-step-up")

    # Signing in by SMS on her own phone, she keeps 记住这台手机 ticked.
    page.goto("/accounts/login/")
    page.get_by_label("手机号").fill(TYPED_PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("验证码").first.fill(latest_code_sent_to(PHONE))
    page.get_by_test_id("trust-phone").check()
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state("load")
    assert TrustedDevice.objects.filter(user=mother_user, revoked_at__isnull=True).count() == 1

    # 我的手机 → 用指纹或面容解锁.
    page.goto("/accounts/phones/")
    walk.screen("my-phones")
    page.get_by_test_id("add-passkey").click()
    page.wait_for_url("**/accounts/phones/passkey/")
    walk.screen("add-passkey")
    page.get_by_test_id("register-passkey").click()
    page.wait_for_url("**/accounts/phones/")
    assert Passkey.objects.filter(user=mother_user).count() == 1

    # Next time: signed out, the trusted phone opens her code with one tap, no SMS.
    page.get_by_role("button", name="退出").click()
    page.goto("/")
    page.get_by_test_id("trusted-code").click()
    page.wait_for_url("**/code/")

    # Changing her family asks her to confirm it is her; the fingerprint does it.
    page.goto("/family/invite/")
    page.wait_for_url("**/accounts/step-up/**")
    walk.screen("step-up")
    page.get_by_test_id("step-up-passkey").click()
    page.wait_for_url("**/family/invite/")
    expect(page.locator("form")).not_to_have_count(0)
    assert AuditEvent.objects.filter(action=Kind.STEPPED_UP, detail__method="passkey").exists()
    assert page_problems == []
    walk.assert_accessible()
