"""帮办: a helper serves 奶奶 at a kiosk with her consent, does only the chosen tasks, and leaves nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from assist.models import AssistSession, SessionStatus
from audit.models import AuditEvent, Via
from conftest import client_for, latest_code_sent_to

KEY = "3132333435363738393031323334353637383930"
GRANDMA = {"name": "王秀英", "id_number": "330100194403121123"}


def _verified_client(user) -> Client:
    client = Client()
    client.post("/accounts/worker/login/", {"phone": user.phone[3:], "password": "a-long-helper-password"})
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    client.post("/accounts/worker/totp/", {"token": f"{totp(bytes.fromhex(KEY)):06d}"})
    assert client.session.get("otp_device_id"), "helper did not pass TOTP"
    return client


@pytest.fixture
def helper(db) -> User:
    user = User.objects.create_user("+8613600136004", "a-long-helper-password", role=Role.HELPER,
                                    display_name="王志强")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=KEY)
    return user


@pytest.fixture
def kiosk_client(helper):
    client = _verified_client(helper)
    client.post("/assist/kiosk/register/", {"name": "翠苑1号机", "location": "翠苑社区服务中心"})
    assert "kiosk" in client.cookies
    return client


def start(client, tasks=("activate",), **who):
    response = client.post("/assist/start/", {**(who or GRANDMA), "tasks": list(tasks)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return AssistSession.objects.latest("id")


def consent_by_code(client, session, phone):
    client.post(f"/assist/s/{session.public_id}/consent/", {"step": "send_code"})
    client.post(f"/assist/s/{session.public_id}/consent/", {"step": "code", "code": latest_code_sent_to(phone)})
    session.refresh_from_db()
    return session


def test_kiosk_pages_start_in_elder_mode(kiosk_client):
    assert 'data-elder="on"' in kiosk_client.get("/assist/").content.decode()


def test_a_full_assisted_activation_with_her_code(kiosk_client, mother, helper):
    session = start(kiosk_client)
    sms = kiosk_client.get(f"/assist/s/{session.public_id}/consent/")
    assert "请 王** 同意" in sms.content.decode()
    session = consent_by_code(kiosk_client, session, mother.phone)
    assert session.status == SessionStatus.ACTIVE and session.consent_via == "code"
    kiosk_client.post(f"/assist/s/{session.public_id}/activate/")
    mother.refresh_from_db()
    assert mother.voucher.status == "active"
    event = AuditEvent.objects.get(subject=mother, action="voucher.activated")
    assert event.via == Via.HELPER and event.actor == helper and "王**" in event.actor_label
    # Her account record names the helper.
    grandma = User.objects.create_user(mother.phone, person=mother)
    assert "帮办员 王**" in client_for(grandma).get("/account/record/").content.decode()


def test_a_full_assisted_activation_with_the_sons_remote_approval(kiosk_client, mother, son,
                                                                   django_capture_on_commit_callbacks):
    from family.actions import grant_in_helper_session

    grant_in_helper_session(principal=mother, helper=User.objects.get(role="helper"), phone_e164=son.phone,
                            relationship="child", scopes=["act", "show_code"])
    session = start(kiosk_client)
    page = kiosk_client.get(f"/assist/s/{session.public_id}/consent/").content.decode()
    assert "李**" in page
    grant = son.proxy_grants.get()
    with django_capture_on_commit_callbacks(execute=True):
        kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "family", "grant": str(grant.public_id)})
    son_client = client_for(son)
    assert "正在为 王** 办理，等您同意" in son_client.get("/").content.decode()
    approval = son_client.get(f"/assist/approve/{session.public_id}/").content.decode()
    assert "社区帮办员 王** 正在为 王** 办理" in approval and "开通医保码" in approval
    son_client.post(f"/assist/approve/{session.public_id}/", {"decision": "approve"})
    status = kiosk_client.get(f"/assist/s/{session.public_id}/consent/status/")
    assert status["HX-Redirect"] == f"/assist/s/{session.public_id}/"
    kiosk_client.post(f"/assist/s/{session.public_id}/activate/")
    mother.refresh_from_db()
    assert mother.voucher.status == "active"


def test_the_son_can_refuse(kiosk_client, mother, son):
    from family.actions import grant_in_helper_session

    grant_in_helper_session(principal=mother, helper=User.objects.get(role="helper"), phone_e164=son.phone,
                            relationship="child", scopes=["act"])
    session = start(kiosk_client)
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "family",
                                                                   "grant": str(son.proxy_grants.get().public_id)})
    client_for(son).post(f"/assist/approve/{session.public_id}/", {"decision": "refuse"})
    session.refresh_from_db()
    assert session.status == SessionStatus.REFUSED
    assert kiosk_client.post(f"/assist/s/{session.public_id}/activate/").status_code == 410


def test_the_citizen_can_refuse_at_the_kiosk(kiosk_client, mother):
    session = start(kiosk_client)
    body = kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "refuse"}).content.decode()
    assert "她不同意" in body
    session.refresh_from_db()
    assert session.status == SessionStatus.REFUSED


def test_a_family_member_without_act_cannot_approve(kiosk_client, mother, son):
    from family.actions import grant_in_helper_session

    grant_in_helper_session(principal=mother, helper=User.objects.get(role="helper"), phone_e164=son.phone,
                            relationship="child", scopes=["show_code"])
    session = start(kiosk_client)
    page = kiosk_client.get(f"/assist/s/{session.public_id}/consent/").content.decode()
    assert "没有能替她办事的家人" in page


def test_witnessed_consent_needs_a_reason_and_is_flagged_for_staff(kiosk_client, mother):
    session = start(kiosk_client)
    body = kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "witness", "reason": "无"}).content
    assert "请写清楚" in body.decode()
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                      {"step": "witness", "reason": "老人手机没带，也没有绑定家人"})
    session.refresh_from_db()
    assert session.status == SessionStatus.ACTIVE and session.needs_review


def test_staff_see_and_review_witnessed_consent(kiosk_client, mother, db):
    session = start(kiosk_client)
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "witness", "reason": "老人手机没带"})
    staff = User.objects.create_user("+8613300133006", "a-long-helper-password", role=Role.STAFF)
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True, key=KEY)
    staff_client = _verified_client(staff)
    assert "老人手机没带" in staff_client.get("/assist/").content.decode()
    staff_client.post(f"/assist/review/{session.public_id}/")
    session.refresh_from_db()
    assert not session.needs_review and session.reviewed_by == staff


def test_a_helper_cannot_do_a_task_she_did_not_choose(kiosk_client, mother):
    session = consent_by_code(kiosk_client, start(kiosk_client, tasks=("check_records",)), mother.phone)
    response = kiosk_client.post(f"/assist/s/{session.public_id}/activate/")
    assert response.status_code == 403
    assert "不在她同意办理的范围里" in response.content.decode()
    mother.refresh_from_db()
    assert not hasattr(mother, "voucher") or mother.voucher.status != "active"


def test_nothing_can_be_done_before_consent(kiosk_client, mother):
    session = start(kiosk_client)
    assert kiosk_client.post(f"/assist/s/{session.public_id}/activate/").status_code == 403


def test_after_ending_nothing_of_her_is_shown_and_the_cache_is_cleared(kiosk_client, mother):
    session = consent_by_code(kiosk_client, start(kiosk_client, tasks=("check_records", "show_code")), mother.phone)
    assert "王**" in kiosk_client.get(f"/assist/s/{session.public_id}/records/").content.decode()
    ended = kiosk_client.post(f"/assist/s/{session.public_id}/end/", {"reason": "helper"})
    assert ended["Clear-Site-Data"] == '"cache"'
    for path in ("", "records/", "code/", "consent/"):
        response = kiosk_client.get(f"/assist/s/{session.public_id}/{path}")
        body = response.content.decode()
        assert response.status_code == 410, path
        assert "王**" not in body and "330***" not in body, path
    # A replayed action after the end is refused too.
    assert kiosk_client.post(f"/assist/s/{session.public_id}/activate/").status_code == 410


def test_assist_pages_are_never_cached(kiosk_client, mother):
    session = consent_by_code(kiosk_client, start(kiosk_client, tasks=("check_records",)), mother.phone)
    assert "no-store" in kiosk_client.get(f"/assist/s/{session.public_id}/records/")["Cache-Control"]


def test_an_idle_session_ends_by_itself(kiosk_client, mother):
    session = consent_by_code(kiosk_client, start(kiosk_client, tasks=("check_records",)), mother.phone)
    AssistSession.objects.filter(pk=session.pk).update(last_activity_at=timezone.now() - dt.timedelta(minutes=3))
    assert kiosk_client.get(f"/assist/s/{session.public_id}/records/").status_code == 410
    session.refresh_from_db()
    assert session.status == SessionStatus.ENDED and session.end_reason == "timeout"


def test_the_next_helper_at_the_same_kiosk_cannot_see_the_previous_session(kiosk_client, mother, db):
    session = consent_by_code(kiosk_client, start(kiosk_client, tasks=("check_records",)), mother.phone)
    other = User.objects.create_user("+8613600136005", "a-long-helper-password", role=Role.HELPER)
    TOTPDevice.objects.create(user=other, name="phone", confirmed=True, key=KEY)
    other_client = _verified_client(other)
    other_client.cookies["kiosk"] = kiosk_client.cookies["kiosk"].value
    for path in ("", "records/", "code/"):
        assert other_client.get(f"/assist/s/{session.public_id}/{path}").status_code == 404


def test_a_helper_without_totp_is_sent_to_sign_in(helper, mother):
    client = Client()
    client.post("/accounts/worker/login/", {"phone": "13600136004", "password": "a-long-helper-password"})
    response = client.get("/assist/start/")
    assert response.status_code == 302 and "/accounts/worker/login/" in response.url
    assert client.post("/assist/start/", {**GRANDMA, "tasks": ["activate"]}).status_code == 403


def test_citizens_and_strangers_cannot_use_helper_pages(stranger_client, kiosk_client, mother):
    session = start(kiosk_client)
    assert stranger_client.get("/assist/").status_code == 302
    assert stranger_client.get(f"/assist/s/{session.public_id}/").status_code == 302
    assert stranger_client.get(f"/assist/approve/{session.public_id}/").status_code == 404


def test_a_helper_binds_a_family_member_in_the_session(kiosk_client, mother, son):
    session = consent_by_code(kiosk_client, start(kiosk_client, tasks=("bind_family",)), mother.phone)
    kiosk_client.post(f"/assist/s/{session.public_id}/family/", {"phone": "13900139002", "relationship": "child",
                                                                  "scopes": ["show_code", "view_settlements"]})
    grant = son.proxy_grants.get()
    assert grant.is_active and grant.consent_via == "helper"


def test_the_helper_finds_her_by_scanning_her_code(kiosk_client, mother_user, mother):
    from vouchers.codes import issue_code_token

    session = start(kiosk_client, tasks=("check_records",), code=issue_code_token(mother.voucher.public_id))
    assert session.citizen == mother


def test_bad_search_input_is_explained(kiosk_client, mother):
    for data, says in (({"name": "王秀兰", "id_number": GRANDMA["id_number"]}, "对不上"),
                       ({"name": "王秀英", "id_number": "123"}, "18位"), ({"code": "garbage"}, "医保码")):
        body = kiosk_client.post("/assist/start/", {**data, "tasks": ["activate"]}).content.decode()
        assert says in body
    assert not AssistSession.objects.exists()
