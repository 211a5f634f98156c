"""Helpers, operators and staff sign in with password plus TOTP; citizens' SMS codes do not admit them."""

from __future__ import annotations

import time

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User

PASSWORD = "a-long-helper-password"
HELPER_PHONE = "+8613600136004"


@pytest.fixture
def helper(db) -> User:
    user = User.objects.create_user(HELPER_PHONE, PASSWORD, role=Role.HELPER, display_name="张志强")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key="3132333435363738393031323334353637383930")
    return user


def current_totp() -> str:
    return f"{totp(bytes.fromhex('3132333435363738393031323334353637383930'), t0=0, step=30, digits=6):06d}"


def test_a_helper_signs_in_with_password_then_totp(client, helper):
    response = client.post("/accounts/worker/login/", {"phone": "13600136004", "password": PASSWORD})
    assert response.url == "/accounts/worker/totp/"
    assert "_auth_user_id" not in client.session  # not signed in after the password alone
    response = client.post("/accounts/worker/totp/", {"token": current_totp()})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == helper.pk
    assert client.session.get("otp_device_id")


def test_a_wrong_totp_keeps_the_helper_out(client, helper):
    client.post("/accounts/worker/login/", {"phone": "13600136004", "password": PASSWORD})
    wrong = "000000" if current_totp() != "000000" else "111111"
    body = client.post("/accounts/worker/totp/", {"token": wrong}).content.decode()
    assert "动态口令不对" in body
    assert "_auth_user_id" not in client.session


def test_a_helper_without_totp_cannot_sign_in(client, db):
    User.objects.create_user("+8613600136009", PASSWORD, role=Role.HELPER)
    client.post("/accounts/worker/login/", {"phone": "13600136009", "password": PASSWORD})
    body = client.post("/accounts/worker/totp/", {"token": "123456"}).content.decode()
    assert "还没有绑定动态口令" in body
    assert "_auth_user_id" not in client.session


def test_the_totp_step_cannot_be_reached_without_the_password(client, helper):
    assert client.get("/accounts/worker/totp/").url == "/accounts/worker/login/"


def test_a_wrong_password_is_refused_and_five_lock_the_account_for_a_while(client, helper):
    for _ in range(4):
        body = client.post("/accounts/worker/login/", {"phone": "13600136004", "password": "nope"}).content.decode()
        assert "手机号或密码不对" in body
    locked = client.post("/accounts/worker/login/", {"phone": "13600136004", "password": "nope"})
    assert locked.status_code in (403, 429)
    assert "锁定" in locked.content.decode()
    # Even the right password is refused while locked.
    again = client.post("/accounts/worker/login/", {"phone": "13600136004", "password": PASSWORD})
    assert again.status_code in (403, 429)


def test_a_citizen_account_cannot_use_the_worker_sign_in(client, mother_user):
    mother_user.set_password(PASSWORD)
    mother_user.save()
    body = client.post("/accounts/worker/login/", {"phone": "13800138001", "password": PASSWORD}).content.decode()
    assert "手机号或密码不对" in body


def test_a_worker_cannot_sign_in_with_an_sms_code(client, helper):
    from conftest import latest_code_sent_to

    client.post("/accounts/login/", {"phone": "13600136004", "action": "send_sms"})
    body = client.post("/accounts/login/", {"phone": "13600136004", "code": latest_code_sent_to(HELPER_PHONE),
                                            "action": "verify"}).content.decode()
    assert "工作人员请用" in body
    assert "_auth_user_id" not in client.session


def test_a_citizen_signs_in_with_an_sms_code(client, mother_user):
    from conftest import latest_code_sent_to

    client.post("/accounts/login/", {"phone": "13800138001", "action": "send_sms"})
    response = client.post("/accounts/login/", {"phone": "13800138001",
                                                "code": latest_code_sent_to("+8613800138001"), "action": "verify"})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == mother_user.pk


def test_signing_in_with_a_code_before_binding_leads_to_activation(client, db):
    from conftest import latest_code_sent_to

    client.post("/accounts/login/", {"phone": "13912345678", "action": "send_sms"})
    response = client.post("/accounts/login/", {"phone": "13912345678",
                                                "code": latest_code_sent_to("+8613912345678"), "action": "verify"})
    assert response.url == "/activate/"


def test_totp_codes_change_with_time():
    assert len(current_totp()) == 6
    assert time.time() > 0


def test_an_operator_lands_on_the_counter_and_a_next_address_is_kept(client, db):
    from insurance.models import Institution

    inst = Institution.objects.create(code="H7", name="测试医院", level="primary", region_code="330100",
                                      api_key_id="k7", api_secret="s7")
    user = User.objects.create_user("+8613500135005", PASSWORD, role=Role.OPERATOR, institution=inst)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key="3132333435363738393031323334353637383930")
    client.post("/accounts/worker/login/", {"phone": "13500135005", "password": PASSWORD})
    assert client.post("/accounts/worker/totp/", {"token": current_totp()}).url == "/counter/"
    client.post("/accounts/logout/")
    TOTPDevice.objects.filter(user=user).update(last_t=-1)  # the same 30 s code may not be used twice
    client.post("/accounts/worker/login/?next=/records/", {"phone": "13500135005", "password": PASSWORD})
    assert client.post("/accounts/worker/totp/", {"token": current_totp()}).url == "/records/"


@pytest.mark.parametrize(("role", "lands_on"), [(Role.HELPER, "/assist/"), (Role.STAFF, "/staff/offline/")])
def test_a_helper_and_staff_land_on_their_own_work_page_not_the_citizen_home(client, db, role, lands_on):
    user = User.objects.create_user("+8613300133006", PASSWORD, role=role, is_staff=role == Role.STAFF)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key="3132333435363738393031323334353637383930")
    client.post("/accounts/worker/login/", {"phone": "13300133006", "password": PASSWORD})
    landed = client.post("/accounts/worker/totp/", {"token": current_totp()})
    assert landed.url == lands_on
    assert client.get(landed.url).status_code == 200


def test_the_totp_step_asks_for_the_code_in_the_authenticator_without_english_words(client, helper):
    client.post("/accounts/worker/login/", {"phone": "13600136004", "password": PASSWORD})
    page = client.get("/accounts/worker/totp/").content.decode()
    assert "身份验证器里的6位数字" in page and "App" not in page
