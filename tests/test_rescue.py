"""Give-up rescue: three failures (or no tries left, or activation left halfway) bring the offer of help at once;
a call-back request lands in the helpers' queue with what went wrong in plain words and never a secret; a helper
takes it and records the outcome (docs/architecture.md "Give-up rescue")."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role, User
from audit.kinds import Kind
from audit.models import AuditEvent
from conftest import HELPER_PASSWORD, WORKER_TOTP_KEY, worker_client
from feedback.models import CallbackRequest, CallbackStatus

pytestmark = pytest.mark.django_db

WRONG_ID = "330100194403121124"  # her number with a wrong check digit


def wrong_id_number(client: Client) -> str:
    return client.post("/activate/", {"action": "verify", "name": "王秀英", "id_number": WRONG_ID,
                                      "phone": "13800138001", "code": "123456"}).content.decode()


def other_helper() -> User:
    from django_otp.plugins.otp_totp.models import TOTPDevice  # only this helper needs a second device

    user = User.objects.create_user("+8613600136005", HELPER_PASSWORD, role=Role.HELPER, display_name="李芳")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
    return user


def test_the_third_wrong_id_number_brings_the_offer_of_help_and_not_before(mother):
    client = Client()
    assert 'data-testid="rescue"' not in wrong_id_number(client)
    assert 'data-testid="rescue"' not in wrong_id_number(client)
    page = wrong_id_number(client)
    assert 'data-testid="rescue"' in page and "请帮办员打电话给我" in page and "请家人帮我" in page
    assert page.index('data-testid="rescue"') < page.index("<form method=\"post\" novalidate id=\"identity-form\"")


def test_an_anonymous_caller_gets_a_call_back_with_what_went_wrong_in_plain_words_and_no_secret(mother):
    client = Client()
    for _ in range(3):
        wrong_id_number(client)
    page = client.post("/rescue/call-me/", {"phone": "12345"}).content.decode()
    assert "手机号格式不对" in page and not CallbackRequest.objects.exists()
    response = client.post("/rescue/call-me/", {"phone": "139 0000 1111"})
    assert response.status_code == 302
    done = client.get(response["Location"]).content.decode()
    assert "工作时间两小时内" in done and "139****1111" in done
    callback = CallbackRequest.objects.get()
    assert (callback.phone, callback.step, callback.status) == ("+8613900001111", "activation", CallbackStatus.WAITING)
    assert "身份证号" in callback.what_went_wrong and "3" in callback.what_went_wrong
    assert WRONG_ID not in callback.what_went_wrong and "123456" not in callback.what_went_wrong
    event = AuditEvent.objects.get(action=Kind.CALLBACK_REQUESTED)
    assert WRONG_ID not in str(event.detail)
    # The offer has done its job: the next wrong try starts a new count.
    assert 'data-testid="rescue"' not in wrong_id_number(client)


def test_signed_in_she_is_called_on_her_own_number_unless_she_gives_another(mother_user, mother_client):
    page = mother_client.get("/rescue/call-me/").content.decode()
    assert "138****8001" in page
    mother_client.post("/rescue/call-me/", {"phone": ""})
    callback = CallbackRequest.objects.get()
    assert (callback.phone, callback.person, callback.user, callback.region_code) == (
        mother_user.phone, mother_user.person, mother_user, "330100")


def test_asking_again_and_again_is_refused_with_a_plain_message(db):
    client = Client()
    for _ in range(2):
        assert client.post("/rescue/call-me/", {"phone": "13900001111"}).status_code == 302
    page = client.post("/rescue/call-me/", {"phone": "13900001111"}).content.decode()
    assert "已经请过帮办员回电" in page and CallbackRequest.objects.count() == 2


def test_running_out_of_code_tries_at_sign_in_offers_help_at_once(mother_user):
    client = Client()
    client.post("/accounts/login/", {"phone": "13800138001", "action": "send_sms"})
    page = ""
    for _ in range(5):
        page = client.post("/accounts/login/", {"phone": "13800138001", "code": "000000",
                                                "action": "verify"}).content.decode()
    assert 'data-testid="rescue"' in page


def test_leaving_activation_halfway_and_coming_home_offers_help_once(mother):
    client = Client()
    wrong_id_number(client)
    assert 'data-testid="rescue"' in client.get("/").content.decode()
    assert 'data-testid="rescue"' not in client.get("/").content.decode()


def test_a_helper_takes_a_call_back_and_records_the_outcome_and_nobody_else_can(helper, mother_client, stranger_client):
    mother_client.post("/rescue/call-me/", {"phone": ""})
    callback = CallbackRequest.objects.get()
    # Citizens and strangers never see the queue.
    assert stranger_client.get("/rescue/callbacks/").status_code == 302
    assert stranger_client.post(f"/rescue/callbacks/{callback.public_id}/take/").status_code == 403
    client = worker_client(helper)
    assert "请求回电" in client.get("/assist/").content.decode()
    queue = client.get("/rescue/callbacks/").content.decode()
    assert callback.what_went_wrong in queue and "13800138001" not in queue
    response = client.post(f"/rescue/callbacks/{callback.public_id}/take/")
    assert response.status_code == 302
    other = worker_client(other_helper())
    assert other.post(f"/rescue/callbacks/{callback.public_id}/take/").status_code == 409
    assert other.get(f"/rescue/callbacks/{callback.public_id}/").status_code == 404
    detail = client.get(response["Location"]).content.decode()
    assert "+8613800138001" in detail
    page = client.post(response["Location"], {"outcome": "nonsense"}).content.decode()
    assert "请选一个回电结果" in page
    client.post(response["Location"], {"outcome": "resolved", "note": "教她开通了"})
    callback.refresh_from_db()
    assert (callback.status, callback.outcome_note, callback.helper) == (CallbackStatus.RESOLVED, "教她开通了", helper)
    assert callback.handled_at is not None
    kinds = list(AuditEvent.objects.filter(action__startswith="feedback.callback").values_list("action", flat=True))
    assert sorted(kinds) == sorted([Kind.CALLBACK_REQUESTED, Kind.CALLBACK_TAKEN, Kind.CALLBACK_DONE])


def test_the_queue_shows_her_region_first_then_the_oldest(helper):
    for phone, region in (("13900001111", ""), ("13900002222", "310000"), ("13900003333", "330100")):
        CallbackRequest.objects.create(phone=f"+86{phone}", step="other", what_went_wrong=phone, region_code=region)
    page = worker_client(helper).get("/rescue/callbacks/?region=330100").content.decode()
    assert page.index("13900003333") < page.index("13900001111") < page.index("13900002222")
