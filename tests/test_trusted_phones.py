"""记住这台手机: on her trusted phone the code is one tap away any day, without an SMS; anything that changes her
account asks her to prove it is her first (passkey: tests/browser/test_passkey_step_up.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actions import trust_this_phone
from accounts.models import OutboundMessage, Passkey, Role, TrustedDevice, User
from audit.kinds import Kind
from audit.models import AuditEvent
from conftest import WORKER_TOTP_KEY, client_for, latest_code_sent_to, worker_client
from family.models import ProxyGrant
from portal.admin_site import sync_staff_group
from tests.helpers import GRANDMA, GRANDMA_PHONE

COOKIE = settings.TRUSTED_PHONE_COOKIE
ANDROID = "Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"




@pytest.fixture
def staff(db) -> User:
    user = User.objects.create_user("+8613300133006", "a-long-staff-password", role=Role.STAFF,
                                    display_name="赵敏", is_staff=True)
    user.groups.add(sync_staff_group())
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
    return user


def sign_in_by_sms(client: Client, *, trust: bool) -> Client:
    client.post("/accounts/login/", {"phone": "13800138001", "action": "send_sms"})
    data = {"phone": "13800138001", "code": latest_code_sent_to(GRANDMA_PHONE), "action": "verify"}
    if trust:
        data["trust_phone"] = "1"
    response = client.post("/accounts/login/", data, headers={"User-Agent": ANDROID})
    assert response.status_code == 302, response.content.decode()[:1500]
    return client


def her_trusted_phone(mother_user) -> str:
    """She signs in by SMS on her phone, leaves 记住这台手机 ticked, and closes the browser: the cookie stays."""
    client = sign_in_by_sms(Client(), trust=True)
    return client.cookies[COOKIE].value


def phone_with(cookie: str) -> Client:
    client = Client(headers={"User-Agent": ANDROID})
    client.cookies[COOKIE] = cookie
    return client


def test_the_sign_in_page_offers_to_remember_the_phone_ticked_in_elder_mode(db):
    client = Client()
    client.cookies["elder_mode"] = "1"
    body = client.get("/accounts/login/").content.decode()
    assert "记住这台手机" in body and "以后打开就能直接出示医保码，不用再收验证码。" in body
    assert 'name="trust_phone" value="1"' in body and "checked" in body.split('name="trust_phone"')[1].split(">")[0]


def test_her_trusted_phone_opens_the_code_with_one_tap_the_next_day_without_an_sms(mother_user, time_machine):
    cookie = her_trusted_phone(mother_user)
    device = TrustedDevice.objects.get(user=mother_user)
    assert device.label == "安卓手机 · Chrome" and device.secret_hash not in cookie
    sent = OutboundMessage.objects.count()

    time_machine.move_to(timezone.now() + dt.timedelta(days=1, hours=3))
    phone = phone_with(cookie)
    home = phone.get("/").content.decode()
    assert 'data-testid="trusted-code"' in home  # the one tap
    response = phone.get("/code/")
    assert response.status_code == 200
    assert 'src="data:image/png;base64,' in response.content.decode()
    assert OutboundMessage.objects.count() == sent  # no SMS
    device.refresh_from_db()
    assert device.last_used_at >= timezone.now() - dt.timedelta(minutes=1)
    assert AuditEvent.objects.filter(action=Kind.TRUSTED_PHONE_SIGNED_IN, subject=mother_user.person).exists()


def test_a_trusted_phone_session_cannot_change_her_family_without_a_step_up(mother_user, son):
    phone = phone_with(her_trusted_phone(mother_user))
    phone.get("/code/")
    response = phone.post("/family/invite/", {"phone": "13900139002", "relationship": "child",
                                              "scopes": ["show_code"]}, headers={"Referer": "http://testserver/family/invite/"})
    assert response.status_code == 302 and response.url.startswith("/accounts/step-up/?next=")
    assert not ProxyGrant.objects.exists()
    assert phone.get("/family/invite/").url.startswith("/accounts/step-up/")
    # Looking is not changing: her records and her family page open.
    assert phone.get("/family/").status_code == 200


def test_an_sms_sign_in_changes_family_at_once(mother_user, son):
    client = sign_in_by_sms(Client(), trust=False)
    response = client.post("/family/invite/", {"phone": "13900139002", "relationship": "child", "scopes": ["show_code"]})
    assert response.status_code == 302 and response.url == "/family/"
    assert ProxyGrant.objects.count() == 1


def test_a_pin_step_up_lets_her_change_family_and_five_wrong_pins_lock_it_for_15_minutes(mother_user, son,
                                                                                        time_machine):
    cookie = her_trusted_phone(mother_user)
    sms_session = sign_in_by_sms(Client(), trust=False)
    assert sms_session.post("/accounts/phones/pin/", {"pin": "135792", "pin_again": "135792"}).status_code == 302

    phone = phone_with(cookie)
    phone.get("/code/")
    for n in range(4):
        body = phone.post("/accounts/step-up/?next=/family/invite/", {"action": "pin", "pin": "000000"}).content.decode()
        assert f"还可以再试{4 - n}次" in body
    body = phone.post("/accounts/step-up/?next=/family/invite/", {"action": "pin", "pin": "000000"}).content.decode()
    assert "已锁定15分钟" in body
    # Locked: even the right PIN waits, and the SMS code is offered instead.
    body = phone.post("/accounts/step-up/?next=/family/invite/", {"action": "pin", "pin": "135792"}).content.decode()
    assert "已锁定" in body and "用短信验证码" in body
    assert phone.get("/family/invite/").url.startswith("/accounts/step-up/")
    assert AuditEvent.objects.filter(action=Kind.STEP_UP_PIN_LOCKED).count() == 1

    time_machine.move_to(timezone.now() + dt.timedelta(minutes=16))
    phone = phone_with(cookie)  # her session ended meanwhile; the phone still opens her code
    phone.get("/code/")
    response = phone.post("/accounts/step-up/?next=/family/invite/", {"action": "pin", "pin": "135792"})
    assert response.status_code == 302 and response.url == "/family/invite/"
    response = phone.post("/family/invite/", {"phone": "13900139002", "relationship": "child", "scopes": ["show_code"]})
    assert response.url == "/family/" and ProxyGrant.objects.count() == 1

    time_machine.move_to(timezone.now() + dt.timedelta(minutes=settings.STEP_UP_MINUTES + 1))
    phone.get("/code/")  # still signed in (the code page keeps her session), but the step-up has run out
    assert phone.get("/family/invite/").url.startswith("/accounts/step-up/")


def test_an_sms_code_steps_her_up(mother_user):
    phone = phone_with(her_trusted_phone(mother_user))
    phone.get("/code/")
    phone.post("/accounts/step-up/?next=/family/invite/", {"action": "send_sms"})
    response = phone.post("/accounts/step-up/?next=/family/invite/",
                          {"action": "sms", "code": latest_code_sent_to(GRANDMA_PHONE)})
    assert response.status_code == 302 and response.url == "/family/invite/"
    assert phone.get("/family/invite/").status_code == 200
    assert AuditEvent.objects.filter(action=Kind.STEPPED_UP, detail__method="sms").exists()


def test_my_phone_is_lost_forgets_every_trusted_phone_and_ends_their_sessions(mother_user):
    first = her_trusted_phone(mother_user)
    second = her_trusted_phone(mother_user)
    open_session = phone_with(first)
    assert open_session.get("/code/").status_code == 200

    lost = phone_with(second)
    lost.get("/code/")
    response = lost.post("/code/lost/")  # reachable without a step-up: the phone may be gone
    assert response.status_code == 302
    assert not TrustedDevice.objects.filter(user=mother_user, revoked_at__isnull=True).exists()
    assert set(TrustedDevice.objects.values_list("revoked_why", flat=True)) == {"lost_phone"}
    assert open_session.get("/code/").url.startswith("/accounts/login/")  # the open session ended too
    assert phone_with(first).get("/code/").url.startswith("/accounts/login/")
    assert 'data-testid="trusted-code"' not in phone_with(second).get("/").content.decode()


def test_she_sees_her_trusted_phones_and_removes_one(mother_user):
    cookie = her_trusted_phone(mother_user)
    her_trusted_phone(mother_user)
    phone = phone_with(cookie)
    phone.get("/code/")
    body = phone.get("/accounts/phones/").content.decode()
    assert body.count('data-testid="trusted-phone"') == 2 and "安卓手机 · Chrome" in body and "上次使用" in body
    other = TrustedDevice.objects.filter(user=mother_user, last_used_at__isnull=True).get()
    assert phone.post(f"/accounts/phones/{other.public_id}/remove/").status_code == 302
    other.refresh_from_db()
    assert other.revoked_at is not None and other.revoked_why == "self"
    assert phone.get("/accounts/phones/").content.decode().count('data-testid="trusted-phone"') == 1


def test_she_sees_her_fingerprint_unlocks_and_turns_one_off_while_a_stranger_cannot(mother_user, stranger):
    mine = Passkey.objects.create(user=mother_user, credential_id="cred-mine", public_key=b"k", label="安卓手机 · Chrome")
    his = Passkey.objects.create(user=stranger, credential_id="cred-his", public_key=b"k", label="苹果手机 · Safari")
    phone = phone_with(her_trusted_phone(mother_user))
    phone.get("/code/")  # one tap from home signs her in on her trusted phone
    body = phone.get("/accounts/phones/").content.decode()
    assert body.count('data-testid="passkey"') == 1 and "安卓手机 · Chrome" in body and "苹果手机" not in body

    assert phone.post(f"/accounts/phones/passkey/{his.pk}/remove/").status_code == 404  # looks like a missing one
    assert Passkey.objects.filter(pk=his.pk).exists()
    assert phone.post(f"/accounts/phones/passkey/{mine.pk}/remove/").status_code == 302  # no step-up to take one away
    assert not Passkey.objects.filter(pk=mine.pk).exists()
    assert AuditEvent.objects.filter(action=Kind.PASSKEY_REMOVED, subject=mother_user.person).count() == 1
    assert 'data-testid="passkey"' not in phone.get("/accounts/phones/").content.decode()


def test_staff_remove_her_trusted_phone_in_the_admin(mother_user, staff):
    cookie = her_trusted_phone(mother_user)
    device = TrustedDevice.objects.get(user=mother_user)
    admin = worker_client(staff, "a-long-staff-password")
    assert admin.get("/admin/accounts/trusteddevice/").status_code == 200
    response = admin.post("/admin/accounts/trusteddevice/", {"action": "revoke", "_selected_action": [device.pk]})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.revoked_why == "staff" and device.revoked_by == staff
    assert phone_with(cookie).get("/code/").url.startswith("/accounts/login/")
    assert AuditEvent.objects.filter(action=Kind.TRUSTED_PHONE_REVOKED, via="staff").exists()


@pytest.mark.parametrize("tamper", ["forged", "wrong_secret", "revoked", "garbage"])
def test_a_forged_revoked_or_borrowed_cookie_opens_nothing(mother_user, tamper):
    cookie = her_trusted_phone(mother_user)
    public_id, _secret = cookie.split(".", 1)
    device = TrustedDevice.objects.get(user=mother_user)
    value = {"forged": "00000000-0000-0000-0000-000000000000.abc", "wrong_secret": f"{public_id}.not-the-secret",
             "revoked": cookie, "garbage": "../../etc\x00passwd"}[tamper]
    if tamper == "revoked":
        device.revoked_at = timezone.now()
        device.save()
    phone = phone_with(value)
    assert 'data-testid="trusted-code"' not in phone.get("/").content.decode()
    assert phone.get("/code/").url.startswith("/accounts/login/")


def test_a_strangers_trusted_phone_opens_only_his_own_code(mother_user, stranger):
    her_trusted_phone(mother_user)
    _device, his = trust_this_phone(stranger, label="安卓手机 · Chrome")
    phone = phone_with(his)
    phone.get("/code/")
    assert int(phone.session["_auth_user_id"]) == stranger.pk


def test_a_kiosk_never_offers_to_remember_the_phone_and_ignores_a_trusted_cookie(mother_user, kiosk_client):
    cookie = her_trusted_phone(mother_user)
    kiosk_client.post("/accounts/logout/")
    body = kiosk_client.get("/accounts/login/").content.decode()
    assert 'name="trust_phone"' not in body
    kiosk_client.cookies[COOKIE] = cookie
    assert kiosk_client.get("/code/").url.startswith("/accounts/login/")


def test_workers_are_never_offered_to_remember_a_phone(helper):
    body = client_for(helper).get("/accounts/phones/")
    assert body.status_code == 404


def test_activation_offers_to_remember_the_phone_and_keeps_it_when_ticked(mother, client):
    client.cookies["elder_mode"] = "1"
    client.post("/activate/", {**GRANDMA, "action": "send_sms"})
    client.post("/activate/", {**GRANDMA, "code": latest_code_sent_to(GRANDMA_PHONE), "action": "verify"})
    client.post("/activate/confirm/")
    page = client.get("/activate/agree/").content.decode()
    assert "记住这台手机" in page and "手机丢了请马上点“我的手机丢了”。" in page
    response = client.post("/activate/agree/", {"agree": "on", "elder_mode": "1", "trust_phone": "1"})
    assert response.url == "/code/" and COOKIE in response.cookies
    assert phone_with(response.cookies[COOKIE].value).get("/code/").status_code == 200
