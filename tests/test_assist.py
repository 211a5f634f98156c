"""帮办: a helper serves 奶奶 at a kiosk with her consent, does only the chosen tasks, and leaves nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from assist.models import AssistSession, SessionStatus
from audit.models import AuditEvent, Via
from conftest import WORKER_TOTP_KEY, client_for, latest_code_sent_to, worker_client
from tests.socket_helpers import page_socket

GRANDMA = {"name": "王秀英", "id_number": "330100194403121123"}


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
                            relationship="child", scopes=["act", "show_code"], session_consent="code")
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
                            relationship="child", scopes=["act"], session_consent="code")
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
                            relationship="child", scopes=["show_code"], session_consent="code")
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
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
    staff_client = worker_client(staff)
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


def test_every_kiosk_page_she_faces_has_a_spoken_guide(kiosk_client, mother):
    def guide(response) -> str:
        match = re.search(r'data-voice-guide="/elder/voice/cmn/normal/(\w+)\.audio"', response.content.decode())
        return match.group(1) if match else ""

    session = start(kiosk_client)
    assert guide(kiosk_client.get(f"/assist/s/{session.public_id}/consent/")) == "assist_consent"
    session = consent_by_code(kiosk_client, session, mother.phone)
    assert guide(kiosk_client.get(f"/assist/s/{session.public_id}/")) == "assist_session"
    assert guide(kiosk_client.get(f"/assist/s/{session.public_id}/activate/")) == "assist_activate"
    assert guide(kiosk_client.post(f"/assist/s/{session.public_id}/end/", {"reason": "citizen"})) == "assist_ended"


def test_after_the_wipe_the_kiosk_speaks_again_for_the_next_person(kiosk_client, mother):
    assert 'data-voice="on"' in kiosk_client.get("/assist/start/").content.decode()  # a kiosk's default
    kiosk_client.cookies["voice"] = "off"  # she did not want it
    session = consent_by_code(kiosk_client, start(kiosk_client, tasks=("check_records",)), mother.phone)
    assert 'data-voice="off"' in kiosk_client.get(f"/assist/s/{session.public_id}/").content.decode()
    kiosk_client.post(f"/assist/s/{session.public_id}/end/", {"reason": "citizen"})
    nxt = kiosk_client.get("/assist/start/").content.decode()
    assert 'data-voice="on"' in nxt and 'data-elder="on"' in nxt
    # Not at a kiosk, nobody is spoken to unasked.
    assert 'data-voice="off"' in Client().get("/").content.decode()


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
    TOTPDevice.objects.create(user=other, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
    other_client = worker_client(other)
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


# --- witnessed consent cannot take over her account; everything it does is told and can be undone ------


def _witnessed(client, tasks=("activate",)):
    session = start(client, tasks=tasks)
    client.post(f"/assist/s/{session.public_id}/consent/", {"step": "witness", "reason": "老人手机没带，也没有绑定家人"})
    session.refresh_from_db()
    assert session.status == SessionStatus.ACTIVE and session.consent_via == "witnessed"
    return session


def _texts_to(phone: str) -> list[str]:
    from accounts.models import OutboundMessage
    from core import crypto

    return [m.body for m in OutboundMessage.objects.filter(phone_index=crypto.blind_index("phone", phone))
            .order_by("id")]


def _staff_client():
    staff = User.objects.create_user("+8613300133006", "a-long-helper-password", role=Role.STAFF)
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
    return staff, worker_client(staff)


def test_a_witnessed_session_cannot_bind_family_and_tells_the_helper_what_to_do_instead(kiosk_client, mother):
    from family.models import ProxyGrant

    session = _witnessed(kiosk_client, tasks=("activate", "bind_family"))
    assert "请重新开始帮办，让她用手机收到的验证码同意" in kiosk_client.get(f"/assist/s/{session.public_id}/").content.decode()
    for method in ("get", "post"):
        response = getattr(kiosk_client, method)(
            f"/assist/s/{session.public_id}/family/",
            {"phone": "13600136004", "relationship": "child", "scopes": ["show_code", "view_settlements", "act"]})
        assert response.status_code == 403
        body = response.content.decode()
        assert "见证的同意不能用来绑定家人" in body and "已经绑定的家人在手机上同意" in body
    assert not ProxyGrant.objects.filter(principal=mother).exists()
    assert not User.objects.filter(role="citizen").exists()


def test_witnessed_consent_is_refused_when_binding_family_is_all_she_came_for(kiosk_client, mother):
    session = start(kiosk_client, tasks=("bind_family",))
    body = kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                             {"step": "witness", "reason": "老人手机没带，也没有绑定家人"}).content.decode()
    assert "见证的同意不能用来绑定家人" in body
    session.refresh_from_db()
    assert session.status == SessionStatus.AWAITING_CONSENT and not session.needs_review


def test_when_witnessing_can_do_nothing_she_chose_the_page_points_to_ways_one_and_two(kiosk_client, mother):
    session = start(kiosk_client, tasks=("bind_family",))
    page = kiosk_client.get(f"/assist/s/{session.public_id}/consent/").content.decode()
    assert 'data-testid="witness-not-possible"' in page and "请用办法一或办法二" in page
    assert 'value="witness"' not in page and "我见证她同意了" not in page
    refused = kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                                {"step": "witness", "reason": "老人手机没带，也没有绑定家人"}).content.decode()
    message = refused.split('class="alert alert-error"')[1].split("</div>")[0]
    assert "办法一" in message and "重新开始帮办" not in message and "更改手机号" not in message
    assert "更改手机号" not in refused


def test_the_text_that_a_witnessed_session_began_names_only_what_witnessing_may_do(kiosk_client, mother):
    _witnessed(kiosk_client, tasks=("activate", "bind_family"))
    (text,) = [t for t in _texts_to(mother.phone) if "开始办理" in t]
    assert "开始办理：开通医保码" in text and "绑定家人" not in text


def test_the_family_action_itself_refuses_a_grant_on_a_helpers_word_alone(mother, helper):
    from family.actions import FamilyError, grant_in_helper_session
    from family.models import ProxyGrant

    with pytest.raises(FamilyError, match="见证的同意不能用来绑定家人"):
        grant_in_helper_session(principal=mother, helper=helper, phone_e164="+8613600136004", relationship="child",
                                scopes=["act"], session_consent="witnessed")
    assert not ProxyGrant.objects.exists()


def test_a_witnessed_session_cannot_bring_back_a_code_suspended_after_her_phone_was_lost(kiosk_client, mother):
    from vouchers.actions import activate_voucher, suspend_voucher

    activate_voucher(mother)
    suspend_voucher(mother, reason="lost_phone")
    phone_before = mother.phone
    session = _witnessed(kiosk_client)
    response = kiosk_client.post(f"/assist/s/{session.public_id}/activate/")
    assert "重新开通要用她手机收到的验证码" in response.content.decode()
    mother.refresh_from_db()
    assert mother.voucher.status == "suspended"
    # Nothing in the session changed her phone or put her insurance under another phone number.
    assert mother.phone == phone_before
    assert not User.objects.filter(person=mother).exists()


def test_a_session_the_son_approved_can_still_bind_another_family_member(kiosk_client, mother, son):
    from family.actions import grant_in_helper_session
    from family.models import ProxyGrant

    grant_in_helper_session(principal=mother, helper=User.objects.get(role="helper"), phone_e164=son.phone,
                            relationship="child", scopes=["act"], session_consent="code")
    session = start(kiosk_client, tasks=("bind_family",))
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                      {"step": "family", "grant": str(son.proxy_grants.get().public_id)})
    client_for(son).post(f"/assist/approve/{session.public_id}/", {"decision": "approve"})
    session.refresh_from_db()
    assert session.consent_via == "proxy"
    kiosk_client.post(f"/assist/s/{session.public_id}/family/", {"phone": "13700137003", "relationship": "child",
                                                                  "scopes": ["view_settlements"]})
    daughter = User.objects.get_by_phone("+8613700137003")
    assert ProxyGrant.objects.get(principal=mother, proxy=daughter).is_active


def test_each_thing_done_in_a_witnessed_session_is_texted_to_her_and_her_family_at_once(kiosk_client, mother, son):
    from conftest import make_citizen
    from family.actions import invite_proxy

    invite_proxy(principal_user=make_citizen(mother, active=False), phone_e164=son.phone, relationship="child",
                 scopes=["show_code"])
    before_hers, before_his = len(_texts_to(mother.phone)), len(_texts_to(son.phone))

    session = _witnessed(kiosk_client, tasks=("activate", "show_code"))
    hers, his = _texts_to(mother.phone)[before_hers:], _texts_to(son.phone)[before_his:]
    assert len(hers) == 1 and "没有用您手机上的验证码" in hers[0] and "翠苑社区服务中心" in hers[0]
    assert "开始办理：开通医保码、出示医保码" in hers[0] and "12393" in hers[0]
    assert len(his) == 1 and "您的家人王**" in his[0] and "开始办理" in his[0]

    kiosk_client.post(f"/assist/s/{session.public_id}/activate/")
    kiosk_client.get(f"/assist/s/{session.public_id}/code/")
    kiosk_client.get(f"/assist/s/{session.public_id}/code/")  # looked at twice: told once
    hers, his = _texts_to(mother.phone)[before_hers:], _texts_to(son.phone)[before_his:]
    assert [t for t in hers if "开通了医保码" in t] and [t for t in his if "开通了医保码" in t]
    assert len([t for t in hers if "打开了医保码" in t]) == 1 and len([t for t in his if "打开了医保码" in t]) == 1
    assert len(hers) == 3 and len(his) == 3


def test_the_texts_of_a_witnessed_session_leave_when_it_commits(kiosk_client, mother,
                                                                 django_capture_on_commit_callbacks):
    from accounts.models import OutboundMessage

    session = start(kiosk_client)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                          {"step": "witness", "reason": "老人手机没带，也没有绑定家人"})
    assert callbacks
    sent = [m for m in OutboundMessage.objects.exclude(status="pending") if "没有用您手机上的验证码" in m.body]
    assert sent and sent[0].phone == mother.phone


def test_a_session_agreed_with_her_own_code_sends_no_witness_texts(kiosk_client, mother):
    session = consent_by_code(kiosk_client, start(kiosk_client), mother.phone)
    kiosk_client.post(f"/assist/s/{session.public_id}/activate/")
    assert not [t for t in _texts_to(mother.phone) if "没有用您手机上的验证码" in t]


def test_staff_undo_revokes_what_a_witnessed_session_made_and_suspends_the_code_it_activated(
        kiosk_client, mother, son, helper, django_capture_on_commit_callbacks):
    from family.actions import grant_in_helper_session

    session = _witnessed(kiosk_client)
    kiosk_client.post(f"/assist/s/{session.public_id}/activate/")
    # A grant made in this session the way sessions before this rule could make one.
    grant = grant_in_helper_session(principal=mother, helper=helper, phone_e164=son.phone, relationship="child",
                                    scopes=["act", "show_code"], session_consent="code",
                                    detail={"assist_session_id": session.pk})
    mother.refresh_from_db()
    assert mother.voucher.status == "active" and grant.is_active

    staff, staff_client = _staff_client()
    review = staff_client.get("/assist/").content.decode()
    assert "撤销此次办理" in review and "已办：开通医保码" in review
    before_hers, before_his = len(_texts_to(mother.phone)), len(_texts_to(son.phone))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/assist/review/{session.public_id}/undo/", {"confirm": "yes"})
    assert response.status_code == 302

    grant.refresh_from_db()
    mother.refresh_from_db()
    session.refresh_from_db()
    assert grant.status == "revoked"
    assert mother.voucher.status == "suspended"
    assert session.undone_by == staff and session.status == SessionStatus.ENDED and not session.needs_review
    undone = AuditEvent.objects.get(action="assist.undone")
    assert undone.via == Via.STAFF and undone.actor == staff and undone.subject == mother
    assert undone.detail["grants_revoked"] == [str(grant.public_id)] and undone.detail["voucher_suspended"]
    assert AuditEvent.objects.filter(action="family.revoked", via=Via.STAFF, subject=mother).exists()
    assert "已经撤销" in _texts_to(mother.phone)[before_hers:][-1]
    assert "解除了您和王**的亲情账户" in _texts_to(son.phone)[before_his:][-1]
    grandma = User.objects.create_user(mother.phone, person=mother)
    assert "医保局复核后撤销了帮办员见证时办的事" in client_for(grandma).get("/account/record/").content.decode()
    # The helper's kiosk shows nothing of her any more; doing it again changes nothing.
    assert kiosk_client.get(f"/assist/s/{session.public_id}/").status_code == 410
    staff_client.post(f"/assist/review/{session.public_id}/undo/", {"confirm": "yes"})
    assert AuditEvent.objects.filter(action="assist.undone").count() == 1


def test_staff_read_what_undoing_does_tick_to_confirm_and_are_told_what_was_undone(kiosk_client, mother, son, helper):
    from family.actions import grant_in_helper_session

    session = _witnessed(kiosk_client)
    kiosk_client.post(f"/assist/s/{session.public_id}/activate/")
    grant_in_helper_session(principal=mother, helper=helper, phone_e164=son.phone, relationship="child",
                            scopes=["show_code"], session_consent="code", detail={"assist_session_id": session.pk})
    _staff, staff_client = _staff_client()
    review = staff_client.get("/assist/").content.decode()
    card = review.split('action="/assist/review/')[2]  # the undo form
    assert card.index("撤销会解除这次绑定的家人") < card.index("我已核实，确定撤销") < card.index('data-testid="undo-witnessed"')
    assert 'type="checkbox" name="confirm" value="yes"' in card

    unticked = staff_client.post(f"/assist/review/{session.public_id}/undo/")
    assert unticked.status_code == 200 and 'data-testid="undo-unconfirmed"' in unticked.content.decode()
    assert not AuditEvent.objects.filter(action="assist.undone").exists()
    mother.refresh_from_db()
    assert mother.voucher.status == "active"

    done = staff_client.post(f"/assist/review/{session.public_id}/undo/", {"confirm": "yes"}, follow=True)
    assert "已撤销：撤销了1个家人绑定，暂停了她的医保码。" in done.content.decode()
    again = staff_client.post(f"/assist/review/{session.public_id}/undo/", {"confirm": "yes"}, follow=True)
    assert "之前已经撤销过了" in again.content.decode()


def test_a_helper_cannot_undo_and_a_session_she_agreed_to_with_her_code_cannot_be_undone_this_way(
        kiosk_client, mother):
    witnessed = _witnessed(kiosk_client)
    assert kiosk_client.post(f"/assist/review/{witnessed.public_id}/undo/", {"confirm": "yes"}).status_code == 404
    by_code = consent_by_code(kiosk_client, start(kiosk_client), mother.phone)
    _staff, staff_client = _staff_client()
    assert staff_client.post(f"/assist/review/{by_code.public_id}/undo/", {"confirm": "yes"}).status_code == 404
    witnessed.refresh_from_db()
    assert witnessed.undone_at is None


def test_no_assisted_session_can_be_opened_without_a_registered_kiosk(helper, mother):
    not_a_kiosk = worker_client(helper)
    page = not_a_kiosk.get("/assist/start/").content.decode()
    # Said before anything else on the page, and no form to fill in for nothing.
    assert page.index('data-testid="not-a-kiosk"') < page.index("登记为帮办终端</a>")
    assert "还没有登记为帮办终端" in page and 'data-testid="find-citizen"' not in page and 'name="id_number"' not in page
    response = not_a_kiosk.post("/assist/start/", {**GRANDMA, "tasks": ["activate"]})
    assert response.status_code == 200
    assert "还没有登记为帮办终端" in response.content.decode()
    assert not AssistSession.objects.exists()


def test_a_session_goes_on_only_at_the_kiosk_where_it_began(kiosk_client, helper, mother):
    session = consent_by_code(kiosk_client, start(kiosk_client, tasks=("check_records",)), mother.phone)
    helpers_own_phone = worker_client(helper)
    for path in ("", "records/", "consent/"):
        response = helpers_own_phone.get(f"/assist/s/{session.public_id}/{path}")
        assert response.status_code == 403, path
        assert "王**" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_ending_the_session_at_the_kiosk_closes_the_kiosks_open_socket(kiosk_client, mother):
    from asgiref.sync import async_to_sync
    from channels.db import database_sync_to_async

    session = consent_by_code(kiosk_client, start(kiosk_client, tasks=("check_records",)), mother.phone)

    async def scenario():
        kiosk_page = page_socket(kiosk_client.cookies["sessionid"].value)
        assert (await kiosk_page.connect())[0]
        await database_sync_to_async(kiosk_client.post)(f"/assist/s/{session.public_id}/end/", {"reason": "helper"})
        outputs = [await kiosk_page.receive_output(timeout=2) for _ in range(2)]
        assert {"type": "websocket.close", "code": 4401} in outputs

    async_to_sync(scenario)()
