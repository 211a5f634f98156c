"""The counter thin client: an operator (password + TOTP) scans 奶奶's code, enters the bill and sees the
result; bad input gets a plain sentence, never a 500; offline captures upload once each."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from conftest import client_for, register_offline_counter
from counter.actions import enrol_terminal_browser
from counter.views import TERMINAL_COOKIE
from settlement.models import Settlement, Status
from vouchers.actions import suspend_voucher
from vouchers.codes import issue_code_token

PASSWORD = "a-long-operator-password"
OPERATOR_PHONE = "+8613700137005"
TOTP_KEY = "3132333435363738393031323334353637383930"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # Chinese characters and punctuation
PILLS = {"code": "Y0001", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}


def current_totp() -> str:
    return f"{totp(bytes.fromhex(TOTP_KEY), t0=0, step=30, digits=6):06d}"


def make_worker(phone: str, *, role: str = Role.OPERATOR, institution=None, name: str = "钱收费") -> User:
    user = User.objects.create_user(phone, PASSWORD, role=role, institution=institution, display_name=name)
    TOTPDevice.objects.create(user=user, name="counter", confirmed=True, key=TOTP_KEY)
    return user


def verified_client(user: User, **client_options) -> Client:
    """Signed in and past the TOTP step, as after /accounts/worker/totp/."""
    client = client_for(user)
    if client_options:
        cookie = client.cookies
        client = Client(**client_options)
        client.cookies = cookie
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture
def operator(institution) -> User:
    return make_worker(OPERATOR_PHONE, institution=institution)


@pytest.fixture
def counter(operator) -> Client:
    return verified_client(operator)


def enrol_as_offline_terminal(client: Client, operator: User) -> Client:
    """This browser registered as the institution's offline terminal, as at /counter/offline/."""
    counter = register_offline_counter(operator.institution)
    _terminal, token = enrol_terminal_browser(operator=operator, key_id=counter.terminal.key_id,
                                              secret=counter.secret)
    client.cookies[TERMINAL_COOKIE] = token
    return client


@pytest.fixture
def offline_desk(counter, operator) -> Client:
    """The counter of a browser registered as an offline terminal."""
    return enrol_as_offline_terminal(counter, operator)


def fresh_code(person, *, age: int = 0) -> str:
    return issue_code_token(person.voucher.public_id, now=int(time.time()) - age)


def bill(code: str, *rows: dict, visit_type: str = "outpatient") -> dict:
    data = {"code": code, "visit_type": visit_type}
    for n, row in enumerate(rows):
        data.update({f"item-{n}-{key}": value for key, value in row.items()})
    return data


def error_shown(response) -> str:
    body = response.content.decode()
    match = re.search(r'data-testid="counter-error">(.*?)</p>', body, re.S)
    assert match, body[:2000]
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --- who may open the counter --------------------------------------------------------------------


def assert_kept_out(client: Client) -> None:
    page = client.get("/counter/")
    assert page.status_code == 302
    assert page.url.startswith("/accounts/worker/login/")
    assert client.post("/counter/", {"code": "x", "visit_type": "outpatient"}).status_code == 403
    upload = client.post("/counter/batch", {"settlements": []}, content_type="application/json")
    assert upload.status_code == 403
    assert upload.json()["error"] == "forbidden"
    assert Settlement.objects.count() == 0


def test_an_anonymous_visitor_is_sent_to_the_worker_sign_in(client, db):
    assert_kept_out(client)


def test_a_citizen_cannot_open_the_counter(mother_client):
    assert_kept_out(mother_client)


def test_a_helper_cannot_open_the_counter_even_after_totp(db):
    helper = make_worker("+8613600136004", role=Role.HELPER, name="张志强")
    assert_kept_out(verified_client(helper))


def test_an_operator_who_has_not_passed_the_totp_step_cannot_open_the_counter(operator):
    assert_kept_out(client_for(operator))


def test_an_operator_with_no_institution_cannot_open_the_counter(db):
    assert_kept_out(verified_client(make_worker("+8613700137099", institution=None)))


def test_an_operator_signs_in_with_password_and_totp_and_reaches_the_counter(client, operator):
    client.post("/accounts/worker/login/", {"phone": "13700137005", "password": PASSWORD})
    assert client.get("/counter/").status_code == 302  # the password alone is not enough
    client.post("/accounts/worker/totp/", {"token": current_totp()})
    page = client.get("/counter/")
    assert page.status_code == 200
    assert "测试第一医院" in page.content.decode()


# --- the page ------------------------------------------------------------------------------------


def test_the_counter_page_takes_a_scanned_code_and_a_bill_and_listens_for_live_status(counter):
    body = counter.get("/counter/").content.decode()
    code_field = re.search(r"<input[^>]*name=\"code\"[^>]*>", body, re.S).group(0)
    assert "autofocus" in code_field
    assert 'ws-connect="/ws/counter/?lang=zh-hans"' in body and 'id="counter-status"' in body
    assert "添加一项" in body and "提交结算" in body and "从常用目录添加" in body
    assert "阿莫西林胶囊" in body  # the catalogue
    assert all(f'name="item-{n}-quantity"' in body for n in range(5))  # five rows work without JavaScript
    assert re.search(r'<script src="/static/js/counter\.js" nonce="[^"]+"', body)
    assert " style=" not in body and "<style" not in body  # the CSP allows no inline styles
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)  # nor inline scripts


@pytest.mark.django_db(transaction=True)  # commits as in production: the eager worker settles at once
def test_submitting_grandmas_code_with_a_bill_settles_it_and_shows_the_split(counter, operator, mother,
                                                                           mother_user, rules):
    response = counter.post("/counter/", bill(fresh_code(mother), PILLS))
    assert response.status_code == 200
    body = response.content.decode()
    assert "结算完成" in body and 'data-status="settled"' in body
    settlement = Settlement.objects.get()
    assert settlement.status == Status.SETTLED
    assert settlement.operator == operator and settlement.institution == operator.institution
    assert settlement.total == Decimal("50.00")
    assert settlement.fund_pay + settlement.account_pay + settlement.self_pay == settlement.total
    assert f"{settlement.self_pay} 元" in body
    assert 'name="code" type="text" value=""' in body  # ready for the next patient


@pytest.mark.django_db(transaction=True)
def test_with_htmx_the_answer_is_the_status_fragment_to_swap_in(counter, mother, mother_user, rules):
    response = counter.post("/counter/", bill(fresh_code(mother), PILLS), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["X-Counter-Outcome"] == "accepted"
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="counter-status" hx-swap-oob="true"' in body and 'data-status="settled"' in body


def test_a_catalogue_code_alone_fills_in_the_name_category_and_price(counter, mother, mother_user, rules):
    counter.post("/counter/", bill(fresh_code(mother), {"code": "y0002", "quantity": "3"}))
    item = Settlement.objects.get().items.get()
    assert (item.code, item.name, item.category, item.unit_price) == ("Y0002", "布洛芬缓释胶囊", "A", Decimal("18.50"))
    assert Settlement.objects.get().total == Decimal("55.50")


# --- bad input: a plain sentence each, never a 500 -----------------------------------------------


def test_a_product_barcode_scanned_by_mistake_is_refused_in_plain_words(counter, mother_user):
    response = counter.post("/counter/", bill("6901234567892", PILLS))
    assert response.status_code == 422
    assert "这不是医保码" in error_shown(response)
    assert Settlement.objects.count() == 0


def test_a_code_cut_short_asks_for_a_new_scan(counter, mother, mother_user):
    assert "医保码不完整" in error_shown(counter.post("/counter/", bill(fresh_code(mother)[:-8], PILLS)))
    assert Settlement.objects.count() == 0


def test_an_unknown_but_well_formed_code_is_refused(counter, mother_user):
    token = issue_code_token(uuid.uuid4())
    assert "找不到这个医保码对应的凭证" in error_shown(counter.post("/counter/", bill(token, PILLS)))
    assert Settlement.objects.count() == 0


def test_an_expired_code_asks_for_a_fresh_one(counter, mother, mother_user):
    message = error_shown(counter.post("/counter/", bill(fresh_code(mother, age=120), PILLS)))
    assert "已过期" in message and "刷新" in message
    assert Settlement.objects.count() == 0


def test_a_used_code_cannot_pay_a_second_time_at_another_counter(counter, institution, mother, mother_user, rules):
    code = fresh_code(mother)
    assert counter.post("/counter/", bill(code, PILLS)).status_code == 200
    other_window = verified_client(make_worker("+8613700137006", institution=institution, name="孙收费"))
    assert "已经用过一次" in error_shown(other_window.post("/counter/", bill(code, PILLS)))
    assert Settlement.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_submit_shows_the_first_result_not_an_error(counter, mother, mother_user, rules):
    code = fresh_code(mother)
    first = counter.post("/counter/", bill(code, PILLS), headers={"HX-Request": "true"})
    again = counter.post("/counter/", bill(code, PILLS), headers={"HX-Request": "true"})
    assert again.status_code == 200 and again["X-Counter-Outcome"] == "accepted"
    body = again.content.decode()
    assert 'data-testid="counter-error"' not in body and "已经用过一次" not in body
    settlement = Settlement.objects.get()
    assert f'data-settlement="{settlement.public_id}"' in body
    assert f'data-settlement="{settlement.public_id}"' in first.content.decode()
    without_js = counter.post("/counter/", bill(code, PILLS))
    assert without_js.status_code == 200 and 'data-testid="counter-error"' not in without_js.content.decode()
    assert f'data-settlement="{settlement.public_id}"' in without_js.content.decode()
    assert Settlement.objects.count() == 1


def test_a_suspended_voucher_is_refused(counter, mother, mother_user):
    code = fresh_code(mother)
    suspend_voucher(mother, actor=mother_user)
    message = error_shown(counter.post("/counter/", bill(code, PILLS)))
    assert "暂停使用" in message and "人工窗口" in message
    assert Settlement.objects.count() == 0


def test_an_empty_bill_is_refused_and_the_scanned_code_is_kept(counter, mother, mother_user):
    code = fresh_code(mother)
    response = counter.post("/counter/", bill(code))
    assert "账单里没有项目" in error_shown(response)
    assert f'value="{code}"' in response.content.decode()
    assert Settlement.objects.count() == 0


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "100000", "1.2345", "NaN"])
def test_a_bad_quantity_is_refused_with_the_row_named(counter, mother, mother_user, quantity):
    response = counter.post("/counter/", bill(fresh_code(mother), {**PILLS, "quantity": quantity}))
    assert response.status_code == 422
    assert "第1项的数量" in error_shown(response)
    assert f'value="{quantity}"' in response.content.decode()  # what she typed stays, to correct it
    assert Settlement.objects.count() == 0


@pytest.mark.parametrize("price", ["0", "-5", "12.345", "一百", "9999999"])
def test_a_bad_price_is_refused_with_the_row_named(counter, mother, mother_user, price):
    message = error_shown(counter.post("/counter/", bill(fresh_code(mother), {**PILLS, "unit_price": price})))
    assert "第1项的单价" in message
    assert Settlement.objects.count() == 0


def test_an_unknown_category_is_refused(counter, mother, mother_user):
    message = error_shown(counter.post("/counter/", bill(fresh_code(mother), {**PILLS, "category": "D"})))
    assert "类别只能是" in message


def test_a_row_without_a_name_is_refused(counter, mother, mother_user):
    message = error_shown(counter.post("/counter/", bill(fresh_code(mother), {**PILLS, "code": "ZZ9", "name": ""})))
    assert "缺少项目编码或名称" in message


def test_an_unknown_visit_type_is_refused(counter, mother, mother_user):
    message = error_shown(counter.post("/counter/", bill(fresh_code(mother), PILLS, visit_type="spa")))
    assert "就诊类型" in message


def test_with_htmx_a_refusal_is_a_message_to_swap_in_not_an_error_page(counter, mother, mother_user):
    response = counter.post("/counter/", bill(fresh_code(mother, age=120), PILLS), headers={"HX-Request": "true"})
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert response["X-Counter-Outcome"] == "refused"
    assert 'id="counter-message" hx-swap-oob="innerHTML"' in response.content.decode()
    assert "已过期" in error_shown(response)


# --- offline captures: /counter/batch ------------------------------------------------------------


def captured(code: str, *, client_id: str | None = None, seconds_ago: int = 5, **overrides) -> dict:
    entry = {
        "client_id": client_id or str(uuid.uuid4()),
        "captured_at": (timezone.now() - dt.timedelta(seconds=seconds_ago)).isoformat(),
        "code": code, "visit_type": "outpatient", "items": [PILLS],
    }
    entry.update(overrides)
    return entry


def upload(client: Client, *entries: dict, **extra):
    return client.post("/counter/batch", {"settlements": list(entries)}, content_type="application/json", **extra)


@pytest.mark.django_db(transaction=True)
def test_an_offline_capture_uploads_once_and_uploading_it_again_changes_nothing(offline_desk, operator, mother,
                                                                              mother_user, rules):
    counter = offline_desk
    good = captured(fresh_code(mother, age=10))
    late = captured(fresh_code(mother, age=200))  # expired before it was captured
    first = upload(counter, good, late)
    assert first.status_code == 200
    body = first.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    ok, refused = body["results"]
    assert ok["ok"] and ok["client_id"] == good["client_id"] and ok["status"] == "settled"
    assert ok["masked_name"] == mother.masked_name and ok["total"] == "50.00" and ok["status_label"] == "结算完成"
    assert not refused["ok"] and refused["error"] == "code_expired" and "过期" in refused["message"]

    again = upload(counter, good).json()
    assert again["results"][0]["ok"] and again["results"][0]["id"] == ok["id"]
    settlement = Settlement.objects.get()
    assert settlement.offline and settlement.operator == operator and settlement.client_id == good["client_id"]
    mother.refresh_from_db()
    balance = mother.account_balance
    upload(counter, good)
    mother.refresh_from_db()
    assert mother.account_balance == balance and Settlement.objects.count() == 1


def test_a_malformed_capture_is_refused_alone_and_the_others_settle(offline_desk, mother, mother_user, rules):
    counter = offline_desk
    good = captured(fresh_code(mother))
    broken = captured(fresh_code(mother), visit_type="spa", items="none")
    body = upload(counter, broken, good).json()
    assert [r["ok"] for r in body["results"]] == [False, True]
    assert body["results"][0]["client_id"] == broken["client_id"] and body["results"][0]["error"] == "bad_item"
    assert Settlement.objects.count() == 1


def test_a_capture_uploaded_after_72_hours_is_refused(offline_desk, mother, mother_user):
    counter = offline_desk
    old = captured(fresh_code(mother), seconds_ago=73 * 3600)
    result = upload(counter, old).json()["results"][0]
    assert result["error"] == "upload_too_late" and "72小时" in result["message"]


def test_a_counter_page_in_english_shows_its_refusals_in_english(offline_desk, mother, mother_user):
    counter = offline_desk
    counter.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    empty = error_shown(counter.post("/counter/", bill(fresh_code(mother))))
    assert "no items" in empty and not CJK.search(empty)
    old = upload(counter, captured(fresh_code(mother), seconds_ago=73 * 3600)).json()["results"][0]
    assert old["error"] == "upload_too_late" and "72 hours" in old["message"] and not CJK.search(old["message"])
    dear = upload(counter, captured(fresh_code(mother), items=[{**PILLS, "quantity": "10"}])).json()["results"][0]
    assert dear["error"] == "over_floor_limit" and "200.00" in dear["message"] and not CJK.search(dear["message"])


def test_an_upload_that_is_not_json_empty_or_too_big_gets_a_clear_answer(offline_desk, mother_user):
    counter = offline_desk
    not_json = counter.post("/counter/batch", "nope", content_type="application/json")
    assert not_json.status_code == 400 and not_json.json()["error"] == "bad_json"
    assert counter.post("/counter/batch", {}, content_type="application/json").status_code == 422
    empty = upload(counter)
    assert empty.status_code == 422 and empty.json()["error"] == "empty_batch"
    too_big = upload(counter, *[captured("x") for _ in range(101)])
    assert too_big.status_code == 413 and "最多上传100笔" in too_big.json()["message"]


def test_the_upload_needs_the_csrf_token_of_the_page(operator, mother, mother_user, rules):
    counter = enrol_as_offline_terminal(verified_client(operator, enforce_csrf_checks=True), operator)
    counter.get("/counter/")  # the page sets the CSRF cookie
    entry = captured(fresh_code(mother))
    assert upload(counter, entry).status_code == 403
    assert Settlement.objects.count() == 0
    allowed = upload(counter, entry, headers={"X-CSRFToken": counter.cookies["csrftoken"].value})
    assert allowed.status_code == 200 and allowed.json()["accepted"] == 1


# --- live status on the counter's socket ----------------------------------------------------------


def socket_for(client: Client, path: str = "/ws/counter/") -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"),
               (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    return WebsocketCommunicator(application(), path, headers=headers)


def application():
    from portal.asgi import application as app

    return app


@pytest.mark.django_db(transaction=True)
def test_each_counter_sees_its_own_settlements_live_and_not_the_next_windows():
    from conftest import make_citizen, make_person
    from insurance.models import Institution

    hospital = Institution.objects.create(code="H9", name="测试第九医院", level="tertiary", region_code="330100",
                                          api_key_id="test-h9", api_secret="s" * 32)
    grandma = make_citizen(make_person(name="王秀英"))
    neighbour = make_citizen(make_person(name="赵大海"))
    window_1 = verified_client(make_worker("+8613700137001", institution=hospital))
    window_2 = verified_client(make_worker("+8613700137002", institution=hospital, name="孙收费"))
    unverified = client_for(User.objects.create_user("+8613700137003", PASSWORD, role=Role.OPERATOR,
                                                     institution=hospital))
    token = issue_code_token(grandma.person.voucher.public_id)
    neighbours_token = issue_code_token(neighbour.person.voucher.public_id)

    async def scenario():
        from channels.db import database_sync_to_async

        mine, next_window, refused = socket_for(window_1), socket_for(window_2), socket_for(unverified)
        assert (await mine.connect())[0] and (await next_window.connect())[0]
        await refused.connect()
        assert await refused.receive_output(timeout=2) == {"type": "websocket.close", "code": 4403}
        response = await database_sync_to_async(window_1.post)("/counter/", bill(token, PILLS))
        assert response.status_code == 200
        seen = []
        while not seen or 'data-status="settled"' not in seen[-1]:
            seen.append(await mine.receive_from(timeout=3))
        assert all('id="counter-status"' in html for html in seen)
        assert grandma.person.masked_name in seen[-1]
        assert await next_window.receive_nothing(timeout=0.3)
        # The next window's own patient does show there, first: its socket works, and nothing of hers was coming.
        response = await database_sync_to_async(window_2.post)("/counter/", bill(neighbours_token, PILLS))
        assert response.status_code == 200
        theirs = await next_window.receive_from(timeout=3)
        assert 'id="counter-status"' in theirs and neighbour.person.masked_name in theirs
        assert grandma.person.masked_name not in theirs
        await mine.disconnect()
        await next_window.disconnect()

    async_to_sync(scenario)()



def test_the_counters_service_worker_is_served_at_the_counters_scope_and_allowed_by_the_csp(counter, client):
    worker = client.get("/counter/sw.js")  # no sign-in needed: it holds nothing of anyone
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/counter/" and "no-cache" in worker["Cache-Control"]
    assert 'var PAGE = "/counter/"' in worker.content.decode()
    page = counter.get("/counter/")
    assert 'data-sw-url="/counter/sw.js"' in page.content.decode()
    assert "worker-src 'self'" in page["Content-Security-Policy"]
