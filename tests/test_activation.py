"""奶奶 activates her e-voucher: identity, confirm, agree, code shown. Bad input gets plain answers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import OneTimeCode, User
from audit.models import AuditEvent
from conftest import latest_code_sent_to
from tests.helpers import GRANDMA, activate_all_the_way
from tests.helpers import GRANDMA_PHONE as PHONE
from vouchers.models import Voucher, VoucherStatus


def send_code(client, **overrides):
    return client.post("/activate/", {**GRANDMA, **overrides, "action": "send_sms"})


def verify(client, code, **overrides):
    return client.post("/activate/", {**GRANDMA, **overrides, "code": code, "action": "verify"})


def test_grandma_goes_from_identity_to_a_shown_code_in_three_screens(client, mother):
    home = client.get("/")
    assert "开通并出示医保码" in home.content.decode()
    activate_all_the_way(client)
    page = client.get("/code/")
    body = page.content.decode()
    assert 'data-testid="qr"' in body
    assert "王**" in body and "职工医保" in body
    assert Voucher.objects.get(person=mother).status == VoucherStatus.ACTIVE
    user = User.objects.get(person=mother)
    assert user.elder_mode is True
    actions = list(AuditEvent.objects.filter(subject=mother).values_list("action", flat=True))
    assert {"account.real_name_bound", "voucher.activated", "voucher.code_shown"} <= set(actions)


def test_the_code_is_sent_only_when_name_id_and_phone_match(client, mother):
    response = send_code(client)
    assert "验证码已发到 138****8001" in response.content.decode()
    assert OneTimeCode.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"id_number": "330100194403121124"}, "校验不通过"),
        ({"id_number": "3301001944"}, "应该是18位"),
        ({"id_number": "33010019440312112Z"}, "只能是数字"),
        ({"name": "王秀兰"}, "姓名、身份证号和手机号对不上医保登记"),
        ({"phone": "13912345678"}, "姓名、身份证号和手机号对不上医保登记"),
        ({"phone": "12345"}, "手机号格式不对"),
        ({"id_number": "110101194912310016"}, "姓名、身份证号和手机号对不上医保登记"),
        ({"name": ""}, "请填写姓名"),
    ],
)
def test_bad_identity_input_is_refused_with_a_plain_reason_and_no_code_is_sent(client, mother, overrides, says):
    response = send_code(client, **overrides)
    assert response.status_code == 200
    assert says in response.content.decode()
    assert OneTimeCode.objects.count() == 0


def test_a_wrong_code_says_how_many_tries_are_left(client, mother):
    send_code(client)
    right = latest_code_sent_to(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    body = verify(client, wrong).content.decode()
    assert "验证码不对，还可以再试4次" in body
    assert not User.objects.filter(person=mother).exists()


def test_five_wrong_tries_burn_the_code_even_the_right_one_afterwards(client, mother):
    send_code(client)
    right = latest_code_sent_to(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        verify(client, wrong)
    body = verify(client, right).content.decode()
    assert "作废" in body
    assert not User.objects.filter(person=mother).exists()


def test_an_expired_code_is_refused(client, mother):
    send_code(client)
    code = latest_code_sent_to(PHONE)
    OneTimeCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert "已过期" in verify(client, code).content.decode()


def test_a_used_code_cannot_be_used_again(client, mother):
    send_code(client)
    code = latest_code_sent_to(PHONE)
    verify(client, code)
    client.logout()
    assert "已经用过" in verify(client, code).content.decode()


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567", " "])
def test_a_code_that_is_not_six_digits_is_refused(client, mother, code):
    send_code(client)
    body = verify(client, code).content.decode()
    assert "6位" in body


def test_too_many_codes_for_one_phone_are_refused(client, mother, settings):
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 3
    for _ in range(3):
        send_code(client)
    body = send_code(client).content.decode()
    assert "太多" in body
    assert OneTimeCode.objects.count() == 3


def test_too_many_codes_from_one_device_are_refused(client, db, settings):
    from conftest import make_person

    settings.OTP_MAX_PER_IP_PER_HOUR = 2
    people = [make_person(name="测试人") for _ in range(3)]
    for person in people[:2]:
        client.post("/activate/", {"name": "测试人", "id_number": person.id_number, "phone": person.phone,
                                   "action": "send_sms"})
    body = client.post("/activate/", {"name": "测试人", "id_number": people[2].id_number, "phone": people[2].phone,
                                      "action": "send_sms"}).content.decode()
    assert "太频繁" in body


def test_a_code_cannot_be_resent_within_the_waiting_time(client, mother, settings):
    settings.OTP_RESEND_AFTER_SECONDS = 60
    send_code(client)
    assert "秒后再点“获取验证码”" in send_code(client).content.decode()  # the button's label on that page


def test_repeated_burnt_codes_lock_the_phone_and_the_lock_ends_by_itself(client, mother):
    for _ in range(3):
        send_code(client)
        for _ in range(5):
            verify(client, "000000" if latest_code_sent_to(PHONE) != "000000" else "111111")
    assert "分钟后再试" in send_code(client).content.decode()
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=16))
    assert "验证码已发到" in send_code(client).content.decode()


def test_a_voice_call_code_is_offered_instead_of_sms(client, mother):
    from accounts.models import OutboundMessage

    response = client.post("/activate/", {**GRANDMA, "action": "send_voice"})
    assert "打电话" in response.content.decode()
    message = OutboundMessage.objects.get()
    assert message.channel == "voice"
    assert "语音验证码" in message.body


def test_later_steps_cannot_be_reached_without_the_identity_step(client, mother_client):
    assert client.get("/activate/confirm/").status_code == 302
    assert mother_client.get("/activate/confirm/").url == "/activate/"
    assert mother_client.post("/activate/agree/", {"agree": "on", "elder_mode": "1"}).url == "/activate/"


def test_without_agreeing_nothing_is_activated(client, mother):
    send_code(client)
    verify(client, latest_code_sent_to(PHONE))
    client.post("/activate/confirm/")
    body = client.post("/activate/agree/", {"elder_mode": "1"}).content.decode()
    assert "请先勾选" in body
    assert not Voucher.objects.filter(person=mother, status=VoucherStatus.ACTIVE).exists()


def test_lost_phone_suspends_the_code_and_reactivation_asks_for_identity_again(client, mother):
    activate_all_the_way(client)
    client.post("/code/lost/")
    assert Voucher.objects.get(person=mother).status == VoucherStatus.SUSPENDED
    page = client.get("/code/").content.decode()
    assert "已暂停" in page and 'data-testid="qr"' not in page
    assert client.get("/code/card/").content.decode().count("qr") == 0
    # Reactivation: the identity step again, with a fresh code.
    activate_all_the_way(client)
    assert Voucher.objects.get(person=mother).status == VoucherStatus.ACTIVE
    actions = set(AuditEvent.objects.filter(subject=mother).values_list("action", flat=True))
    assert {"voucher.suspended", "voucher.reactivated"} <= actions


def test_someone_already_bound_cannot_bind_a_second_identity(son, client, mother):
    from conftest import client_for

    son_client = client_for(son)
    son_client.post("/activate/", {**GRANDMA, "action": "send_sms"})
    body = son_client.post("/activate/", {**GRANDMA, "code": latest_code_sent_to(PHONE), "action": "verify"})
    # The code proves the phone is grandma's, so this signs in as her account, never binds her to the son.
    son.refresh_from_db()
    assert son.person.name == "李建国"
    assert body.status_code in (200, 302)


def test_garbage_posts_never_give_a_server_error(client, mother):
    for data in ({}, {"action": "nonsense"}, {"name": "x" * 5000, "id_number": "\x00", "phone": "☃", "code": "😀"}):
        assert client.post("/activate/", data).status_code == 200


# --- who is insured stays hidden (docs/threat-model.md) ---------------------------------------------------

UNKNOWN_ID = "110101194912310016"  # a valid ID number nobody in the register has


def _page_without_what_was_typed(response) -> str:
    """The page as anyone would see it, minus what this visitor typed and what changes on every response
    (the CSRF token, the script nonce)."""
    body = response.content.decode()
    body = re.sub(r'"X-CSRFToken": "[^"]*"', "", body)
    body = re.sub(r'nonce="[^"]*"', "", body)
    # The offer of help after the third try depends on the count only, never on what was wrong (core/rescue.py).
    body = re.sub(r'<section class="alert alert-info alert-rescue".*?</section>', "", body, flags=re.S)
    body = re.sub(r"\s+", " ", body)
    return re.sub(r'value="[^"]*"', "", body)


def test_unknown_id_wrong_name_and_wrong_phone_get_the_very_same_page(client, mother):
    client.get("/")  # the one-time "字太小？" offer is made on her first page, not on the pages compared
    pages = [
        _page_without_what_was_typed(send_code(client, id_number=UNKNOWN_ID)),
        _page_without_what_was_typed(send_code(client, name="王秀兰")),
        _page_without_what_was_typed(send_code(client, phone="13912345678")),
    ]
    assert pages[0] == pages[1] == pages[2]
    assert "姓名、身份证号和手机号对不上医保登记" in pages[0]
    assert "社区帮办点" in pages[0] and "12393" in pages[0]
    assert OneTimeCode.objects.count() == 0


def test_the_same_holds_when_she_types_a_code_instead_of_asking_for_one(client, mother):
    client.get("/")  # the one-time "字太小？" offer is made on her first page, not on the pages compared
    pages = {_page_without_what_was_typed(verify(client, "123456", **wrong))
             for wrong in ({"id_number": UNKNOWN_ID}, {"name": "王秀兰"}, {"phone": "13912345678"})}
    assert len(pages) == 1
    assert "对不上医保登记" in pages.pop()


def _people(count: int) -> list:
    from conftest import make_person

    return [make_person(name="测试人") for _ in range(count)]


def test_the_eleventh_mismatch_from_one_address_is_slowed_down_with_a_plain_way_to_get_help(client, mother):
    for person in _people(10):
        body = send_code(client, name="猜错了", id_number=person.id_number, phone=person.phone[3:]).content.decode()
        assert "对不上医保登记" in body
    # Now even her own, correct details wait: the guesser cannot tell a hit from the limit.
    response = send_code(client)
    body = response.content.decode()
    assert response.status_code == 200
    assert "核对的次数太多了" in body and "分钟后再试" in body
    assert "社区帮办点" in body and "12393" in body and "请家人帮忙" in body
    assert OneTimeCode.objects.count() == 0


def test_the_sixth_mismatch_on_one_id_number_is_slowed_down_even_from_other_addresses(client, mother):
    for n in range(5):
        body = client.post("/activate/", {**GRANDMA, "name": f"猜错{n}", "action": "send_sms"},
                           REMOTE_ADDR=f"198.51.100.{n + 1}").content.decode()
        assert "对不上医保登记" in body
    response = client.post("/activate/", {**GRANDMA, "action": "send_sms"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert "核对的次数太多了" in response.content.decode()
    assert OneTimeCode.objects.count() == 0


def test_a_limited_attempt_says_when_to_try_again_and_the_limit_ends_by_itself(client, mother, settings):
    from core import rate_limit as limits

    settings.IDENTITY_CHECKS_PER_ID_NUMBER_PER_HOUR = 1
    send_code(client, name="王秀兰")
    body = send_code(client).content.decode()
    assert "请60分钟后再试" in body
    # An hour later (the counters' window is the cache's expiry) she is let through.
    limits.cache.clear()
    assert "验证码已发到" in send_code(client).content.decode()


def test_the_limit_says_the_clock_time_to_come_back_and_gives_a_button_that_calls_the_hotline(
        client, mother, settings, time_machine):
    settings.IDENTITY_CHECKS_PER_ID_NUMBER_PER_HOUR = 1
    time_machine.move_to(dt.datetime(2026, 11, 23, 21, 10, 5, tzinfo=timezone.get_current_timezone()), tick=False)
    send_code(client, name="王秀兰")
    body = send_code(client).content.decode()
    error = re.search(r'<div class="alert alert-error"[^>]*data-testid="form-error">(.*?)</div></div>', body, re.S)
    assert error, body
    assert "请60分钟后再试（22:10以后）" in error.group(1)
    assert 'href="tel:12393"' in error.group(1) and "拨打 12393" in error.group(1)


def test_the_error_is_right_under_the_title_focusable_and_spoken_before_the_guide(client, mother):
    body = send_code(client, name="王秀兰").content.decode()
    title, error, guide = (body.index(mark) for mark in ("<h1>", 'data-testid="form-error"', 'data-testid="voice-guide"'))
    assert title < error < guide  # on the first screen, above the step's guide and the form
    alert = re.search(r'<div class="alert alert-error"[^>]*>', body).group(0)
    assert 'tabindex="-1"' in alert and "data-error-focus" in alert
    assert 'data-speak="姓名、身份证号和手机号对不上医保登记' in alert  # voice.js reads this instead of the guide


def test_checks_that_match_are_not_counted_so_a_busy_help_point_is_not_held_up(db, settings):
    from accounts.actions import match_person

    settings.IDENTITY_CHECKS_PER_ADDRESS_PER_HOUR = 2
    people = _people(6)
    for person in people:
        assert match_person(name="测试人", id_number=person.id_number, phone_e164=person.phone, ip="10.1.1.1") == person


def test_every_kind_of_mismatch_does_the_same_work_so_the_time_taken_does_not_tell(mother):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.actions import BindingError, match_person

    work = []
    for wrong in ({"id_number": UNKNOWN_ID}, {"name": "王秀兰"}, {"phone_e164": "+8613912345678"}):
        given = {"name": "王秀英", "id_number": GRANDMA["id_number"], "phone_e164": PHONE, **wrong}
        with CaptureQueriesContext(connection) as queries, pytest.raises(BindingError):
            match_person(ip="192.0.2.1", **given)
        work.append([re.sub(r"'[^']*'", "?", q["sql"]) for q in queries.captured_queries])
    assert work[0] == work[1] == work[2]
