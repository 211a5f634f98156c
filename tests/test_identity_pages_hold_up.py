"""Whatever is typed as an ID number or phone, the three pages that take one answer with a plain message;
and the son's and the helper's look-ups are limited like the activation page (docs/threat-model.md)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import OneTimeCode, Role, User
from assist.models import AssistSession
from conftest import client_for, make_person
from family.models import ProxyGrant
from insurance.identity import IdNumberField, InvalidIdentifier, normalize_mobile, parse_id_number

GRANDMA_ID = "330100194403121123"
KEY = "3132333435363738393031323334353637383930"

# What people (and attackers) paste into an ID-number box. None of these is her ID number.
ODD_ID_NUMBERS = [
    "²30100194403121123",  # a superscript two: NFKC makes it "2", then the check digit fails
    "٣٣٠١٠٠١٩٤٤٠٣١٢١١٢٣",  # Arabic-Indic digits
    "३३०१००१९४४०३१२११२३",  # Devanagari digits
    "33010019440312112\x00",
    "\x00" * 18,
    "😀" * 18,
    "3" * 100_000,
    "33010019440312112\u0663",
    "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱",
    "\u202e330100194403121123",  # a right-to-left override in front of her number
    "33010019440312112\u0338",  # a combining mark
    "\ufeff" * 18,
]


def _helper() -> User:
    user = User.objects.create_user("+8613600136004", "a-long-helper-password", role=Role.HELPER,
                                    display_name="王志强")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=KEY)
    return user


@pytest.fixture
def kiosk_client(db) -> Client:
    helper = _helper()
    client = Client()
    client.post("/accounts/worker/login/", {"phone": helper.phone[3:], "password": "a-long-helper-password"})
    TOTPDevice.objects.filter(user=helper).update(last_t=-1)
    client.post("/accounts/worker/totp/", {"token": f"{totp(bytes.fromhex(KEY)):06d}"})
    assert client.session.get("otp_device_id"), "helper did not pass TOTP"
    client.post("/assist/kiosk/register/", {"name": "翠苑1号机", "location": "翠苑社区服务中心"})
    assert "kiosk" in client.cookies
    return client


@pytest.fixture
def son_client(son) -> Client:
    return client_for(son)


def _activate(client: Client, id_number: str, **extra):
    return client.post("/activate/", {"name": "王秀英", "id_number": id_number, "phone": "13800138001",
                                      "action": "send_sms", **extra})


def _family_add(client: Client, id_number: str, **extra):
    return client.post("/family/add/", {"name": "王秀英", "id_number": id_number, "relationship": "child",
                                        "scopes": ["show_code"], **extra})


def _assist_start(client: Client, id_number: str, **extra):
    return client.post("/assist/start/", {"name": "王秀英", "id_number": id_number, "tasks": ["activate"], **extra})


@pytest.mark.parametrize("raw", ODD_ID_NUMBERS)
def test_an_odd_id_number_on_the_activation_page_gets_a_plain_message(client, mother, raw):
    response = _activate(client, raw)
    assert response.status_code == 200
    assert "身份证号" in response.content.decode()
    assert OneTimeCode.objects.count() == 0


@pytest.mark.parametrize("raw", ODD_ID_NUMBERS)
def test_an_odd_id_number_on_the_family_page_gets_a_plain_message(son_client, mother, raw):
    response = _family_add(son_client, raw)
    assert response.status_code == 200
    assert "身份证号" in response.content.decode()
    assert not ProxyGrant.objects.exists()


@pytest.mark.parametrize("raw", ODD_ID_NUMBERS)
def test_an_odd_id_number_at_the_kiosk_gets_a_plain_message(kiosk_client, mother, raw):
    response = _assist_start(kiosk_client, raw)
    assert response.status_code == 200
    assert "身份证号" in response.content.decode()
    assert not AssistSession.objects.exists()


def test_a_superscript_digit_is_read_as_a_digit_and_then_fails_the_check_digit(client, mother):
    body = _activate(client, "²30100194403121123").content.decode()
    assert "校验不通过" in body


FULL_WIDTH_GRANDMA = "３３０１００１９４４０３１２１１２３"


def test_her_id_number_typed_in_full_width_digits_is_understood_on_every_page(client, son_client, kiosk_client,
                                                                             mother):
    assert "验证码已发到" in _activate(client, FULL_WIDTH_GRANDMA).content.decode()
    assert _family_add(son_client, FULL_WIDTH_GRANDMA).status_code == 302
    assert ProxyGrant.objects.get().principal == mother
    assert _assist_start(kiosk_client, FULL_WIDTH_GRANDMA).status_code == 302
    assert AssistSession.objects.get().citizen == mother


def test_a_lower_case_x_is_understood_on_the_activation_page(client, db):
    person = make_person(name="李秀梅", id_number="11010519491231002X", phone="+8613700137003")
    body = _activate(client, "11010519491231002x", name="李秀梅", phone="13700137003").content.decode()
    assert "验证码已发到" in body
    assert person.id_number == "11010519491231002X"


@pytest.mark.parametrize("raw", ["１３８００１３８００１", "138 0013 8001", "+86 138-0013-8001"])
def test_her_phone_in_full_width_digits_or_with_spaces_is_understood(client, mother, raw):
    assert "验证码已发到" in client.post("/activate/", {"name": "王秀英", "id_number": GRANDMA_ID, "phone": raw,
                                                       "action": "send_sms"}).content.decode()


@pytest.mark.parametrize("raw", ["١٣٨٠٠١٣٨٠٠١", "1380013800\x00", "😀", "1" * 100_000, "138\u00b2013800"])
def test_an_odd_phone_number_gets_a_plain_message(client, mother, raw):
    response = client.post("/activate/", {"name": "王秀英", "id_number": GRANDMA_ID, "phone": raw,
                                          "action": "send_sms"})
    assert response.status_code == 200
    assert "手机号" in response.content.decode()
    assert OneTimeCode.objects.count() == 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_as_an_id_number_is_either_understood_or_refused_in_words(raw):
    try:
        value = parse_id_number(raw).value
    except InvalidIdentifier as exc:
        assert str(exc)
    else:
        assert len(value) == 18 and value.isascii()
    try:
        cleaned = IdNumberField(optional=True).clean(raw)
    except Exception as exc:  # only the form's own validation error, never anything else
        assert type(exc).__name__ == "ValidationError"
    else:
        assert cleaned == "" or (len(cleaned) == 18 and cleaned.isascii())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_as_a_phone_is_either_understood_or_refused_in_words(raw):
    try:
        value = normalize_mobile(raw)
    except InvalidIdentifier as exc:
        assert str(exc)
    else:
        assert value.startswith("+86") and value.isascii()


# --- the son's and the helper's look-ups are limited too --------------------------------------------


def test_the_son_gets_one_answer_for_an_unknown_id_and_a_wrong_name(son_client, mother):
    unknown = _family_add(son_client, "110101194912310016").content.decode()
    wrong_name = _family_add(son_client, GRANDMA_ID, name="王秀兰").content.decode()
    says = "姓名和身份证号对不上医保登记"
    assert says in unknown and says in wrong_name


def test_guessing_her_name_from_the_family_page_is_slowed_down(son_client, mother):
    for n in range(5):
        assert "对不上医保登记" in _family_add(son_client, GRANDMA_ID, name=f"王秀{n}").content.decode()
    response = _family_add(son_client, GRANDMA_ID)
    assert response.status_code == 200
    assert "核对的次数太多了" in response.content.decode()
    assert not ProxyGrant.objects.exists()


def test_looking_up_many_people_from_one_kiosk_is_slowed_down(kiosk_client, db, settings):
    # A kiosk has its own budget, larger than one address's, but still a limit.
    settings.IDENTITY_CHECKS_PER_KIOSK_PER_HOUR = 10
    people = [make_person(name="测试人") for _ in range(11)]
    for person in people[:10]:
        assert "对不上医保登记" in _assist_start(kiosk_client, person.id_number, name="猜错了").content.decode()
    response = _assist_start(kiosk_client, people[10].id_number, name="测试人")
    assert response.status_code == 200
    assert "核对的次数太多了" in response.content.decode()
    assert not AssistSession.objects.exists()
