"""Journeys that start in the wrong place: 登录 before activating, a son acting for a mother
who has not activated, and workers landing on their tools."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import OneTimeCode, Role, User
from conftest import client_for, latest_code_sent_to
from family.models import GrantStatus, ProxyGrant
from tests.helpers import GRANDMA, GRANDMA_PHONE

PASSWORD = "a-long-helper-password"
KEY = "3132333435363738393031323334353637383930"


def _sign_in(client: Client, phone: str = "13800138001") -> str:
    client.post("/accounts/login/", {"phone": phone, "action": "send_sms"})
    response = client.post("/accounts/login/", {"phone": phone, "code": latest_code_sent_to(f"+86{phone}"),
                                                "action": "verify"})
    return response.url


def test_a_never_activated_mother_who_taps_sign_in_is_told_and_activates_with_that_one_code(client, mother):
    assert _sign_in(client) == "/activate/"
    page = client.get("/activate/").content.decode()
    assert "您还没有开通医保码，先开通吧" in page
    assert 'value="13800138001"' in page  # her phone is already filled in
    assert 'data-testid="send-code"' not in page  # no second code to wait for
    response = client.post("/activate/", {**GRANDMA, "action": "verify"})
    assert response.url == "/activate/confirm/"
    assert OneTimeCode.objects.filter(phone_index=mother.phone_index).count() == 1


def test_the_sign_in_code_does_not_stand_in_for_another_phone(client, mother, son):
    _sign_in(client)
    body = client.post("/activate/", {"name": "李建国", "id_number": "310000197008051254", "phone": "13900139002",
                                      "action": "verify"}).content.decode()
    assert "请填您刚才登录用的手机号" in body
    assert client.get("/activate/confirm/").status_code == 302


def test_the_sign_in_code_counts_for_activation_only_for_fifteen_minutes(client, mother, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC))
    _sign_in(client)
    time_machine.shift(dt.timedelta(minutes=16))
    page = client.get("/activate/").content.decode()
    assert "先开通吧" not in page and 'data-testid="send-code"' in page
    body = client.post("/activate/", {**GRANDMA, "action": "verify"}).content.decode()
    assert "请填写短信里的6位验证码" in body


def test_the_sign_in_page_tells_a_stranger_nothing_before_the_code_about_who_is_insured(client, mother):
    insured = client.post("/accounts/login/", {"phone": "13800138001", "action": "send_sms"}).content.decode()
    unknown = Client().post("/accounts/login/", {"phone": "13912340000", "action": "send_sms"}).content.decode()
    for body in (insured, unknown):
        assert "验证码已发到" in body and "还没有开通" not in body


def _grant(son, mother, scopes):
    grant = ProxyGrant.objects.create(principal=mother, proxy=son, relationship="child", scopes=list(scopes),
                                      requested_scopes=list(scopes), status=GrantStatus.ACTIVE,
                                      expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=365))
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return grant, client


def test_a_son_acting_for_a_mother_not_yet_activated_is_offered_to_activate_for_her(son, mother):
    grant, client = _grant(son, mother, ["show_code", "act"])
    page = client.get("/code/").content.decode()
    assert "的医保码还没有开通" in page and "您还没有开通医保码" not in page
    assert f'href="/family/{grant.public_id}/activate/"' in page and "替她开通" in page


def test_a_son_without_the_act_scope_is_told_how_to_get_it(son, mother):
    _, client = _grant(son, mother, ["show_code"])
    page = client.get("/code/").content.decode()
    assert "替她开通" not in page.replace("不能替她开通", "")
    assert "替她办理（开通医保码等）" in page and "社区帮办点" in page and "添加家人（我来帮她）" in page
    assert 'href="/activate/"' not in page  # the citizen's own activation would be his, not hers


@pytest.mark.parametrize(("role", "tools"), [
    (Role.HELPER, ['href="/assist/start/"']),
    (Role.STAFF, ['href="/admin/"', 'data-testid="staff-tools"']),
])
def test_every_workers_landing_page_links_to_their_tools(client, db, role, tools):
    user = User.objects.create_user("+8613300133006", PASSWORD, role=role, is_staff=role == Role.STAFF)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=KEY)
    client.post("/accounts/worker/login/", {"phone": "13300133006", "password": PASSWORD})
    landed = client.post("/accounts/worker/totp/", {"token": f"{totp(bytes.fromhex(KEY)):06d}"})
    page = client.get(landed.url).content.decode()
    for link in tools:
        assert link in page


def test_her_activation_after_sign_in_still_checks_her_name_and_id_number(client, mother):
    _sign_in(client)
    body = client.post("/activate/", {**GRANDMA, "name": "王秀兰", "action": "verify"}).content.decode()
    assert "对不上医保登记" in body
    assert User.objects.get_by_phone(GRANDMA_PHONE).person_id is None
