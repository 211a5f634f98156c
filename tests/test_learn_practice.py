"""Practice mode (练习, issue 15 item 2): a sandbox that looks like the real portal, says "练习，不会扣钱" on every
screen, is tied to her browser session (the counter side to its secret link), expires by itself, pushes the
pretend result live to her practice code, and never touches a real person, voucher, settlement, audit row,
notice or SMS. A practice code shown at a real counter is refused at both ends."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import OutboundMessage, Role, User
from audit.models import AuditEvent
from conftest import client_for
from core.practice import PRACTICE_PREFIX, is_practice_code
from insurance.models import InsuredPerson
from learn.actions import delete_expired_practices, pretend_split
from learn.models import PracticeBill, PracticeSession
from learn.tasks import delete_expired_practice_sessions
from notices.models import Notice
from portal.asgi import application
from settlement.models import Settlement
from tests.helpers import BILL
from vouchers.models import Voucher

pytestmark = pytest.mark.django_db(transaction=True)

BANNER = "练习，不会扣钱"
PRACTICE_REFUSED = "这是练习用的医保码，不能结算。请让她打开真的医保码。"
HER_PAGE_TOLD = "这是练习码，收费员那边不能用。真的看病时请出示真的医保码。"
OPERATOR_PASSWORD = "a-long-operator-password"
TOTP_KEY = "3132333435363738393031323334353637383930"


# --- helpers -------------------------------------------------------------------------------------------------


def her_phone() -> tuple[Client, PracticeSession]:
    """A phone nobody signed in on presses 开始练习."""
    phone = Client()
    response = phone.post("/learn/practice/")
    assert response.status_code == 302
    practice = PracticeSession.objects.get(public_id=response.url.strip("/").split("/")[-1])
    return phone, practice


def counter_url(practice: PracticeSession) -> str:
    return f"/learn/practice/counter/{practice.counter_secret}/"


def a_class() -> tuple[Client, PracticeSession]:
    teacher = Client()
    response = teacher.post("/learn/practice/class/")
    assert response.status_code == 302
    room = PracticeSession.objects.get(kind="class")
    assert response.url == counter_url(room)
    return teacher, room


def join(room: PracticeSession) -> tuple[Client, PracticeSession]:
    phone = Client()
    response = phone.post("/learn/practice/join/", {"class_code": room.class_code})
    assert response.status_code == 302, response.content.decode()[:500]
    return phone, PracticeSession.objects.get(public_id=response.url.strip("/").split("/")[-1])


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def socket(client: Client, query: str = "") -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if "sessionid" in client.cookies:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, f"/ws/practice/{query}", headers=headers)


def real_counts() -> dict[str, int]:
    return {"people": InsuredPerson.objects.count(), "vouchers": Voucher.objects.count(),
            "settlements": Settlement.objects.count(), "audit": AuditEvent.objects.count(),
            "notices": Notice.objects.count(), "sms": OutboundMessage.objects.count(),
            "users": User.objects.count()}


def operator_desk(institution) -> Client:
    user = User.objects.create_user("+8613700137005", OPERATOR_PASSWORD, role=Role.OPERATOR,
                                    institution=institution, display_name="钱收费")
    TOTPDevice.objects.create(user=user, name="counter", confirmed=True, key=TOTP_KEY)
    client = client_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


# --- the pages -----------------------------------------------------------------------------------------------


def test_every_practice_screen_says_it_is_practice_and_has_its_voice_guide_and_the_help_block():
    phone, practice = her_phone()
    teacher, room = a_class()
    pages = [
        Client().get("/learn/practice/"),
        phone.get(f"/learn/practice/{practice.public_id}/"),
        phone.get(f"/learn/practice/{practice.public_id}/code/"),
        Client().get(counter_url(practice)),
        Client().get("/learn/practice/class/"),
        teacher.get(counter_url(room)),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert BANNER in body
        assert 'data-testid="voice-guide"' in body
        assert "12393" in body  # the help block


def test_her_practice_code_is_recognisably_a_practice_code():
    phone, practice = her_phone()
    body = phone.get(f"/learn/practice/{practice.public_id}/code/").content.decode()
    assert 'ws-connect="/ws/practice/' in body
    assert is_practice_code(PRACTICE_PREFIX + practice.code_token)
    assert is_practice_code("  yBt-practice:abc ") and not is_practice_code("AAAAAA") and not is_practice_code(None)


def test_her_home_offers_the_counter_link_for_someone_else_to_open():
    phone, practice = her_phone()
    body = phone.get(f"/learn/practice/{practice.public_id}/").content.decode()
    assert counter_url(practice) in body
    assert 'data-testid="practice-counter-qr"' in body
    assert "去开通真的医保码" in body


# --- who may open what ---------------------------------------------------------------------------------------


def test_a_stranger_cannot_open_her_practice_pages(stranger_client):
    _phone, practice = her_phone()
    for client in (Client(), stranger_client):
        assert client.get(f"/learn/practice/{practice.public_id}/").status_code == 404
        assert client.get(f"/learn/practice/{practice.public_id}/code/").status_code == 404


def test_the_counter_opens_only_with_its_own_secret_link():
    _phone, practice = her_phone()
    assert Client().get("/learn/practice/counter/not-the-secret/").status_code == 404
    assert Client().get(f"/learn/practice/counter/{practice.code_token}/").status_code == 404  # her QR is not it
    assert Client().post("/learn/practice/counter/x/", {"qty_cold": "1"}).status_code == 404
    assert not PracticeBill.objects.exists()


def test_a_browser_without_a_practice_cannot_listen_on_the_practice_socket():
    comms = [socket(Client()), socket(her_phone_without_practice())]

    async def scenario():
        for comm in comms:
            connected, _ = await comm.connect()
            assert connected
            assert (await comm.receive_output(timeout=2))["code"] == 4403
    async_to_sync(scenario)()


def her_phone_without_practice() -> Client:
    client = Client()
    session = client.session
    session["something"] = "else"
    session.save()
    client.cookies["sessionid"] = session.session_key
    return client


# --- expiry -------------------------------------------------------------------------------------------------


def test_an_expired_practice_is_refused_plainly_on_both_sides_with_a_way_to_start_again():
    phone, practice = her_phone()
    PracticeSession.objects.filter(pk=practice.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    for response in (phone.get(f"/learn/practice/{practice.public_id}/code/"), Client().get(counter_url(practice)),
                     Client().post(counter_url(practice), {"qty_cold": "1"})):
        assert response.status_code == 410
        assert "这次练习已经结束了" in text_of(response)
        assert 'data-testid="practice-restart"' in response.content.decode()
    assert not PracticeBill.objects.exists()
    again = phone.post("/learn/practice/")
    assert phone.get(again.url).status_code == 200


def test_the_expiry_task_deletes_what_is_over_and_is_safe_to_run_twice():
    _phone, old = her_phone()
    _phone2, fresh = her_phone()
    _teacher, room = a_class()
    _seat_phone, seat = join(room)
    PracticeSession.objects.filter(pk__in=[old.pk, room.pk, seat.pk]).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert delete_expired_practice_sessions() == 3
    assert delete_expired_practice_sessions() == 0
    assert list(PracticeSession.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert delete_expired_practices(timezone.now() + dt.timedelta(hours=3)) == 1


# --- class mode ------------------------------------------------------------------------------------------------


def test_a_wrong_class_code_gets_a_plain_error():
    a_class()
    for code, said in (("000000", "没有找到这个课堂号"), ("12ab", "课堂号是6位数字"), ("", "请填老师给的6位课堂号"),
                       ("１２３４５６", "课堂号是6位数字"), ("9" * 500, "课堂号是6位数字")):
        if code == "000000" and PracticeSession.objects.filter(class_code=code).exists():
            continue
        response = Client().post("/learn/practice/join/", {"class_code": code})
        assert response.status_code == 422
        assert said in text_of(response)
        assert BANNER in response.content.decode()
    assert not PracticeSession.objects.filter(kind="seat").exists()


def test_an_ended_class_cannot_be_joined():
    _teacher, room = a_class()
    PracticeSession.objects.filter(pk=room.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = Client().post("/learn/practice/join/", {"class_code": room.class_code})
    assert response.status_code == 422
    assert "这个课堂已经结束了" in text_of(response)


def test_the_class_counter_settles_one_phone_and_only_that_phone_hears_it():
    teacher, room = a_class()
    first_phone, first = join(room)
    second_phone, second = join(room)
    assert (first.seat_number, second.seat_number) == (1, 2)
    assert "2号手机" in text_of(teacher.get(counter_url(room)))

    async def scenario():
        hers, others = socket(first_phone), socket(second_phone)
        assert (await hers.connect())[0] and (await others.connect())[0]
        response = await _post(teacher, counter_url(room), {"seat": str(first.public_id), "qty_cold": "2"})
        assert response.status_code == 200
        html = await hers.receive_from(timeout=3)
        assert 'data-testid="practice-result"' in html and "36.00" in html and BANNER in html
        assert await others.receive_nothing(timeout=0.3)
        # ...while the second phone does hear its own settlement (its silence above was a refusal, not a fault).
        await _post(teacher, counter_url(room), {"seat": str(second.public_id), "qty_reg": "1"})
        assert "10.00" in await others.receive_from(timeout=3)
        assert await hers.receive_nothing(timeout=0.3)
        await hers.disconnect()
        await others.disconnect()
    async_to_sync(scenario)()
    assert PracticeBill.objects.get(session=first).total == Decimal("36.00")


def test_a_class_counter_sees_phones_join_live():
    teacher, room = a_class()
    teacher.get(counter_url(room))  # opening the link lets this browser listen to its counter

    async def scenario():
        comm = socket(teacher)
        assert (await comm.connect())[0]
        first = await comm.receive_from(timeout=3)  # the list as it is now
        assert "已加入0部" in first
        await _join_async(room)
        assert "已加入1部" in await comm.receive_from(timeout=3)
        await comm.disconnect()
    async_to_sync(scenario)()


async def _post(client: Client, url: str, data: dict):
    return await database_sync_to_async(client.post)(url, data)


async def _join_async(room):
    return await database_sync_to_async(join)(room)


# --- the practice counter's bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "said"), [
    ({}, "请至少选一样东西"),
    ({"qty_cold": "abc"}, "数量请填0到9的数字"),
    ({"qty_cold": "-1"}, "数量请填0到9的数字"),
    ({"qty_cold": "100"}, "数量请填0到9的数字"),
    ({"qty_cold": "9" * 400}, "数量请填0到9的数字"),
    ({"qty_cold": "1", "code": "AAAAAAAAAAAAAAAA"}, "这不是练习码"),
    ({"qty_cold": "1", "code": PRACTICE_PREFIX + "someone-elses"}, "不是这个练习收费台的"),
    ({"qty_cold": "1", "code": "x" * 500}, "这不是练习码"),
])
def test_bad_input_at_the_practice_counter_is_a_form_error_not_a_500(data, said):
    _phone, practice = her_phone()
    response = Client().post(counter_url(practice), data)
    assert response.status_code == 422
    assert said in text_of(response)
    assert not PracticeBill.objects.exists()


def test_a_class_counter_needs_a_phone_chosen_from_its_own_class():
    teacher, room = a_class()
    assert "还没有手机加入" in text_of(teacher.post(counter_url(room), {"qty_cold": "1"}))
    _phone, seat = join(room)
    _solo_phone, solo = her_phone()
    for data in ({"qty_cold": "1"}, {"qty_cold": "1", "seat": str(solo.public_id)},
                 {"qty_cold": "1", "seat": "not-a-uuid"}):
        response = teacher.post(counter_url(room), data)
        assert response.status_code == 422
        assert "请" in text_of(response)
    response = teacher.post(counter_url(room), {"qty_cold": "1", "code": PRACTICE_PREFIX + seat.code_token})
    assert response.status_code == 200
    assert PracticeBill.objects.get().session == seat


def test_the_pretend_split_always_sums_to_the_total():
    for cents in range(1, 3000, 7):
        total = Decimal(cents) / 100
        fund, own = pretend_split(total)
        assert fund + own == total and fund >= own


# --- a whole practice, live, touching nothing real ------------------------------------------------------------------


def test_a_whole_practice_settlement_reaches_her_code_page_live_and_touches_nothing_real(mother, mother_user):
    before = real_counts()
    phone, practice = her_phone()
    phone.get(f"/learn/practice/{practice.public_id}/code/")
    son_phone = Client()

    async def scenario():
        comm = socket(phone, "?lang=zh-hans&seen=0")
        assert (await comm.connect())[0]
        response = await _post(son_phone, counter_url(practice), {"qty_cold": "1", "qty_bp": "2"})
        assert response.status_code == 200
        html = await comm.receive_from(timeout=3)
        assert "练习结算好了" in html and "63.70" in html and "27.30" in html  # 91.00 split 70/30
        assert "再练一次" in html and "去开通真的医保码" in html
        await comm.disconnect()
    async_to_sync(scenario)()
    counter_page = son_phone.get(counter_url(practice))
    assert BANNER in counter_page.content.decode()
    assert real_counts() == before


def test_a_page_that_opens_after_the_settlement_is_shown_it_at_once():
    phone, practice = her_phone()
    Client().post(counter_url(practice), {"qty_reg": "1"})
    bill = PracticeBill.objects.get()

    async def scenario():
        late = socket(phone, "?seen=0")
        assert (await late.connect())[0]
        assert "10.00" in await late.receive_from(timeout=3)
        await late.disconnect()
        already = socket(phone, f"?seen={bill.pk}")
        assert (await already.connect())[0]
        assert await already.receive_nothing(timeout=0.3)
        await already.disconnect()
    async_to_sync(scenario)()


# --- a practice code at a real counter ------------------------------------------------------------------------------


def test_a_real_counter_refuses_a_practice_code_and_her_practice_page_is_told(institution):
    desk = operator_desk(institution)
    phone, practice = her_phone()
    before = real_counts()

    async def scenario():
        comm = socket(phone)
        assert (await comm.connect())[0]
        response = await _post(desk, "/counter/", {
            "code": PRACTICE_PREFIX + practice.code_token, "visit_type": "outpatient",
            "item-0-code": "Y0001", "item-0-name": "阿莫西林胶囊", "item-0-category": "A",
            "item-0-quantity": "2", "item-0-unit_price": "25.00"})
        assert response.status_code == 422
        assert PRACTICE_REFUSED in text_of(response)
        html = await comm.receive_from(timeout=3)
        assert HER_PAGE_TOLD in html and 'id="practice-notice"' in html
        await comm.disconnect()
    async_to_sync(scenario)()
    assert real_counts() == before


def test_the_institution_api_refuses_a_practice_code_with_the_clear_message(api):
    _phone, practice = her_phone()
    code = PRACTICE_PREFIX + practice.code_token
    before = real_counts()
    verify = api.post("/api/v1/vouchers/verify", {"code": code})
    assert verify.status_code == 422
    assert verify.json() == {"error": "code_practice", "message": PRACTICE_REFUSED}
    settle = api.post("/api/v1/settlements", {**BILL, "code": code})
    assert settle.status_code == 422
    assert settle.json()["error"] == "code_practice"
    assert settle.json()["message"] == PRACTICE_REFUSED
    assert real_counts() == before


def test_a_practice_code_refused_after_the_practice_ended_tells_nobody_and_still_refuses(api):
    _phone, practice = her_phone()
    PracticeSession.objects.filter(pk=practice.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api.post("/api/v1/settlements", {**BILL, "code": PRACTICE_PREFIX + practice.code_token})
    assert response.status_code == 422 and response.json()["error"] == "code_practice"


def test_a_signed_in_elder_can_practise_too(mother_client):
    response = mother_client.post("/learn/practice/")
    assert response.status_code == 302
    assert mother_client.get(response.url).status_code == 200
