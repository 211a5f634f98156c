"""Forms that forgive: what she typed comes back, odd ways of typing an ID number are
accepted, a long name gets a message, messages name the buttons she sees, her 长辈版 survives signing in, and
the "字太小？" offer is made once, to citizens only. (Focus and reload in a real browser:
tests/browser/test_forms_that_forgive_in_browser.py.)"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from conftest import client_for, latest_code_sent_to, make_citizen, make_person
from insurance.identity import id_check_char
from tests.helpers import GRANDMA, GRANDMA_PHONE

OFFER = "字太小？"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９ｘ")


def _quoted_buttons(message: str) -> list[str]:
    return re.findall(r"点“([^”]+)”", message)


def _buttons_on(page: str) -> set[str]:
    return {re.sub(r"<[^>]+>|\s+", "", b) for b in re.findall(r"<button[^>]*>(.*?)</button>", page, re.S)}


def test_a_failed_submit_gives_back_what_she_typed(client, mother):
    body = client.post("/activate/", {**GRANDMA, "name": "王秀兰", "action": "send_sms"}).content.decode()
    assert "对不上医保登记" in body
    assert 'value="王秀兰"' in body and 'value="13800138001"' in body and f'value="{GRANDMA["id_number"]}"' in body


def test_full_width_digits_and_a_small_x_are_accepted_in_the_id_number_on_the_form(client, db):
    first17 = "33010019560101123"
    id_number = first17 + id_check_char(first17)
    if not id_number.endswith("X"):  # find a number whose check character is X
        first17 = next(f"3301001956010112{d}" for d in range(10)
                       if id_check_char(f"3301001956010112{d}") == "X")
        id_number = first17 + "X"
    person = make_person(name="张阿姨", id_number=id_number)
    typed = id_number.translate(FULL_WIDTH).replace("ｘ", "x")
    assert typed != id_number and typed.endswith("x")
    body = client.post("/activate/", {"name": "张阿姨", "id_number": typed, "phone": person.phone[3:],
                                      "action": "send_sms"}).content.decode()
    assert "验证码已发到" in body
    full_width_x = id_number.translate(FULL_WIDTH)
    body = client.post("/activate/", {"name": "张阿姨", "id_number": full_width_x, "phone": person.phone[3:],
                                      "action": "verify", "code": latest_code_sent_to(person.phone)})
    assert body.status_code == 302 and body.url == "/activate/confirm/"


@pytest.mark.parametrize(("path", "fields"), [
    ("/activate/", {"id_number": GRANDMA["id_number"], "phone": "13800138001", "action": "send_sms"}),
])
def test_a_name_over_the_limit_gets_a_message_not_a_silent_cut(client, mother, path, fields):
    page = client.get(path).content.decode()
    name_input = re.search(r'<input[^>]*name="name"[^>]*>', page).group(0)
    assert "maxlength" not in name_input  # the browser would cut it without a word
    body = client.post(path, {**fields, "name": "王" * 41}).content.decode()
    assert "姓名太长了" in body


def test_a_long_name_in_the_family_and_kiosk_forms_gets_the_message_too(son):
    client = client_for(son)
    body = client.post("/family/add/", {"name": "王" * 41, "id_number": GRANDMA["id_number"],
                                        "relationship": "child", "scopes": ["show_code"]}).content.decode()
    assert "姓名太长了" in body
    assert "maxlength" not in re.search(r'<input[^>]*name="name"[^>]*>', body).group(0)


def test_code_messages_name_the_button_the_page_shows(client, mother, settings):
    settings.OTP_RESEND_AFTER_SECONDS = 60
    # Activation: asking again too soon.
    client.post("/activate/", {**GRANDMA, "action": "send_sms"})
    page = client.post("/activate/", {**GRANDMA, "action": "send_sms"}).content.decode()
    error = re.search(r'data-speak="([^"]*)"', page).group(1)
    assert _quoted_buttons(error) and set(_quoted_buttons(error)) <= _buttons_on(page), (error, _buttons_on(page))
    # Sign-in: a code typed before asking for one.
    other = Client()
    page = other.post("/accounts/login/", {"phone": "13912340001", "code": "123456", "action": "verify"}).content.decode()
    error = re.search(r'class="field-error"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert _quoted_buttons(error) and set(_quoted_buttons(error)) <= _buttons_on(page), (error, _buttons_on(page))


def test_the_consent_code_messages_name_the_consent_pages_button(son, mother, settings):
    from family.models import ProxyGrant

    settings.OTP_RESEND_AFTER_SECONDS = 60
    son_client = client_for(son)
    son_client.post("/family/add/", {"name": "王秀英", "id_number": GRANDMA["id_number"], "relationship": "child",
                                     "scopes": ["show_code"]})
    grant = ProxyGrant.objects.get()
    page = son_client.post(f"/family/{grant.public_id}/consent/", {"action": "resend"}).content.decode()
    error = re.search(r'data-speak="([^"]*)"', page).group(1)
    assert _quoted_buttons(error) and set(_quoted_buttons(error)) <= _buttons_on(page), (error, _buttons_on(page))


def test_the_agree_checkbox_message_names_the_box_by_its_words(client, mother):
    client.post("/activate/", {**GRANDMA, "action": "send_sms"})
    client.post("/activate/", {**GRANDMA, "code": latest_code_sent_to(GRANDMA_PHONE), "action": "verify"})
    client.post("/activate/confirm/")
    page = client.post("/activate/agree/", {"elder_mode": "1"}).content.decode()
    quoted = re.search(r"请先勾选“([^”]+)”", page).group(1)
    assert re.search(rf"<label[^>]*>\s*{re.escape(quoted)}\s*</label>", page), quoted


def test_a_chosen_large_print_stays_chosen_after_signing_in(client, mother):
    user = make_citizen(mother)
    user.elder_mode = False  # chosen standard once, on another phone
    user.save(update_fields=["elder_mode"])
    client.post("/elder/switch/", {"elder_mode": "1", "next": "/"})  # today, on this phone, before signing in
    assert 'data-elder="on"' in client.get("/accounts/login/").content.decode()
    client.post("/accounts/login/", {"phone": "13800138001", "action": "send_sms"})
    client.post("/accounts/login/", {"phone": "13800138001", "code": latest_code_sent_to(GRANDMA_PHONE),
                                     "action": "verify"})
    assert 'data-elder="on"' in client.get("/").content.decode()
    user.refresh_from_db()
    assert user.elder_mode is True


def test_the_large_print_offer_is_made_once_to_a_citizen_and_not_after_she_chose(client, db):
    assert OFFER in client.get("/").content.decode()
    assert OFFER not in client.get("/").content.decode()  # once: the 长辈版 switch stays in the header
    chooser = Client()
    chooser.post("/elder/switch/", {"elder_mode": "0", "next": "/"})
    assert OFFER not in chooser.get("/").content.decode()


def test_workers_are_never_offered_large_print(db):
    user = User.objects.create_user("+8613300133006", "a-long-helper-password", role=Role.HELPER)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key="3132333435363738393031323334353637383930")
    worker = client_for(user)
    for path in ("/", "/accounts/login/"):
        assert OFFER not in worker.get(path).content.decode()


def test_only_her_name_and_phone_are_kept_for_a_reload_never_the_id_number_or_a_code(client, db):
    page = client.post("/activate/", {**GRANDMA, "action": "send_sms"}).content.decode()
    kept = {m.group(1) for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*data-keep', page)} | \
        {m.group(1) for m in re.finditer(r'<input[^>]*data-keep[^>]*name="([^"]+)"', page)}
    assert kept == {"name", "phone"}
    assert "js/keep-typed.js" in page
    sign_in = client.get("/accounts/login/").content.decode()
    assert re.search(r'<input[^>]*name="phone"[^>]*data-keep|<input[^>]*data-keep[^>]*name="phone"', sign_in)


def test_after_getting_a_code_the_code_box_is_where_she_looks_next(client, mother):
    page = client.post("/activate/", {**GRANDMA, "action": "send_sms"}).content.decode()
    code_input = re.search(r'<input[^>]*name="code"[^>]*>', page).group(0)
    assert "data-focus-next" in code_input
    sign_in = Client().post("/accounts/login/", {"phone": "13800138001", "action": "send_sms"}).content.decode()
    assert "data-focus-next" in re.search(r'<input[^>]*name="code"[^>]*>', sign_in).group(0)

