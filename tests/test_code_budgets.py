"""One-time codes for a real family: each purpose has its own hourly budget on her phone,
a registered kiosk at a help point has its own budget, and every refusal says when and what else to do."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import OneTimeCode
from assist.models import AssistSession, SessionStatus
from conftest import client_for, latest_code_sent_to, make_person, worker_client
from core import crypto
from family.models import GrantStatus, ProxyGrant
from tests.helpers import GRANDMA, GRANDMA_PHONE

HELP_POINT = "203.0.113.40"  # the community centre's one public address


@pytest.fixture
def kiosk_client(helper) -> Client:
    client = worker_client(helper, REMOTE_ADDR=HELP_POINT)
    client.post("/assist/kiosk/register/", {"name": "翠苑1号机", "location": "翠苑社区服务中心"})
    assert "kiosk" in client.cookies
    return client


def _neighbours_ask_for_codes_at_the_help_point(n: int) -> None:
    for i in range(n):
        Client(REMOTE_ADDR=HELP_POINT).post("/accounts/login/", {"phone": f"1391234{5600 + i}", "action": "send_sms"})


def test_activation_the_sons_consent_and_a_helper_session_for_the_same_mother_within_an_hour_are_none_refused(
        son, mother, kiosk_client, settings):
    settings.OTP_MAX_PER_IP_PER_HOUR = 3  # the help point's address is busy with her neighbours this hour
    _neighbours_ask_for_codes_at_the_help_point(3)

    # 09:00 she activates on her own phone; the first SMS is slow, she asks for a voice call, then SMS again.
    her_phone = Client(REMOTE_ADDR="198.51.100.8")
    for action in ("send_sms", "send_voice", "send_sms"):
        body = her_phone.post("/activate/", {**GRANDMA, "action": action}).content.decode()
        assert "太多" not in body and "太频繁" not in body, body
    verified = her_phone.post("/activate/", {**GRANDMA, "code": latest_code_sent_to(GRANDMA_PHONE), "action": "verify"})
    assert verified.url == "/activate/confirm/"
    her_phone.post("/activate/confirm/")
    assert her_phone.post("/activate/agree/", {"agree": "on", "elder_mode": "1"}).url == "/code/"

    # Her son asks to help; she misses the first SMS and he sends it again twice.
    son_client = client_for(son)
    son_client.defaults["REMOTE_ADDR"] = "198.51.100.9"  # his own phone, far away
    added = son_client.post("/family/add/", {"name": "王秀英", "id_number": GRANDMA["id_number"], "relationship": "child",
                                             "scopes": ["show_code", "view_settlements"]})
    assert added.status_code == 302, added.content.decode()
    grant = ProxyGrant.objects.get()
    for _ in range(2):
        body = son_client.post(f"/family/{grant.public_id}/consent/", {"action": "resend"}).content.decode()
        assert "太多" not in body, body
    son_client.post(f"/family/{grant.public_id}/consent/", {"code": latest_code_sent_to(mother.phone)})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE

    # At the help point (one address, already at its limit) the helper's kiosk sends her a consent code twice.
    kiosk_client.post("/assist/start/", {"name": "王秀英", "id_number": GRANDMA["id_number"], "tasks": ["check_records"]})
    session = AssistSession.objects.latest("id")
    for _ in range(2):
        body = kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "send_code"}).content.decode()
        assert "太多" not in body and "太频繁" not in body, body
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                      {"step": "code", "code": latest_code_sent_to(mother.phone)})
    session.refresh_from_db()
    assert session.status == SessionStatus.ACTIVE
    assert OneTimeCode.objects.filter(phone_index=mother.phone_index).count() == 8  # more than the old shared 5


def test_one_purpose_running_out_does_not_stop_another(mother, son, settings):
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 2
    her_phone = Client()
    for _ in range(2):
        her_phone.post("/accounts/login/", {"phone": "13800138001", "action": "send_sms"})
    assert "太多" in her_phone.post("/accounts/login/", {"phone": "13800138001", "action": "send_sms"}).content.decode()
    body = her_phone.post("/activate/", {**GRANDMA, "action": "send_sms"}).content.decode()
    assert "验证码已发到" in body


def test_a_phone_still_has_a_ceiling_over_all_purposes(mother, settings):
    settings.OTP_MAX_PER_PHONE_ALL_PURPOSES_PER_HOUR = 3
    her_phone = Client()
    for _ in range(2):
        her_phone.post("/accounts/login/", {"phone": "13800138001", "action": "send_sms"})
    her_phone.post("/activate/", {**GRANDMA, "action": "send_sms"})
    body = her_phone.post("/activate/", {**GRANDMA, "action": "send_sms"}).content.decode()
    assert "太多" in body
    assert OneTimeCode.objects.filter(phone_index=mother.phone_index).count() == 3


def test_the_limit_message_says_the_minutes_the_clock_time_and_what_she_can_do_now(mother, settings, time_machine):
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 2
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=timezone.get_current_timezone())
    time_machine.move_to(start, tick=False)
    her_phone = Client()
    her_phone.post("/activate/", {**GRANDMA, "action": "send_sms"})
    time_machine.move_to(start + dt.timedelta(minutes=20), tick=False)
    her_phone.post("/activate/", {**GRANDMA, "action": "send_sms"})
    time_machine.move_to(start + dt.timedelta(minutes=30), tick=False)
    body = her_phone.post("/activate/", {**GRANDMA, "action": "send_sms"}).content.decode()
    # The first code leaves the hour at 10:00: 30 minutes from 09:30.
    assert "请30分钟后再试（10:00以后）" in body
    assert "社区帮办点" in body and "12393" in body and "请家人替您开通" in body


def test_a_son_over_the_consent_budget_is_told_she_can_press_agree_in_her_own_account(son, mother, settings):
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 1
    son_client = client_for(son)
    son_client.post("/family/add/", {"name": "王秀英", "id_number": GRANDMA["id_number"], "relationship": "child",
                                     "scopes": ["show_code"]})
    grant = ProxyGrant.objects.get()
    body = son_client.post(f"/family/{grant.public_id}/consent/", {"action": "resend"}).content.decode()
    assert "分钟后再试" in body and re.search(r"（\d\d:\d\d以后）", body)
    assert "“亲情账户”" in body and "点“同意”" in body


def test_a_registered_kiosk_is_not_locked_out_by_its_help_points_address_but_has_its_own_limit(
        mother, kiosk_client, settings):
    settings.OTP_MAX_PER_IP_PER_HOUR = 1
    settings.OTP_MAX_PER_KIOSK_PER_HOUR = 2
    _neighbours_ask_for_codes_at_the_help_point(1)
    others = [make_person(name="测试人") for _ in range(3)]
    answers = []
    for person in others:
        kiosk_client.post("/assist/start/", {"name": "测试人", "id_number": person.id_number, "tasks": ["check_records"]})
        session = AssistSession.objects.latest("id")
        answers.append(kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                                         {"step": "send_code"}).content.decode())
    assert "验证码已发到" in answers[0] and "验证码已发到" in answers[1]
    assert "这台帮办终端" in answers[2] and "分钟后再试" in answers[2]
    kiosk_rows = OneTimeCode.objects.exclude(ip_index=crypto.blind_index("ip", HELP_POINT))
    assert kiosk_rows.count() == 2


def test_identity_checks_at_a_kiosk_have_their_own_budget(mother, kiosk_client, settings):
    from accounts.actions import BindingError, match_person

    settings.IDENTITY_CHECKS_PER_ADDRESS_PER_HOUR = 1
    settings.IDENTITY_CHECKS_PER_KIOSK_PER_HOUR = 3
    with pytest.raises(BindingError):
        match_person(name="王秀兰", id_number=GRANDMA["id_number"], ip=HELP_POINT)  # a neighbour's typo
    kiosk = kiosk_client.get("/assist/").wsgi_request.kiosk
    for _ in range(2):
        with pytest.raises(BindingError, match="对不上"):
            match_person(name="王秀兰", id_number=GRANDMA["id_number"], ip=HELP_POINT, kiosk_id=kiosk.pk)
    assert match_person(name="王秀英", id_number=GRANDMA["id_number"], ip=HELP_POINT, kiosk_id=kiosk.pk) == mother


def test_a_listed_help_point_address_gets_the_larger_budget(db, settings):
    settings.OTP_MAX_PER_IP_PER_HOUR = 1
    settings.HELP_POINT_NETWORKS = ["203.0.113.0/28", "not a network"]
    settings.OTP_MAX_PER_HELP_POINT_PER_HOUR = 3
    for i in range(3):
        Client(REMOTE_ADDR="203.0.113.5").post("/accounts/login/", {"phone": f"1391234{5700 + i}", "action": "send_sms"})
    assert OneTimeCode.objects.count() == 3
    body = Client(REMOTE_ADDR="203.0.113.5").post(
        "/accounts/login/", {"phone": "13912345799", "action": "send_sms"}).content.decode()
    assert "太频繁" in body and "以后" in body
