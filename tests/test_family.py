"""亲情账户: her son asks, she consents, he helps within what she agreed to, and she sees and ends it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import OutboundMessage
from audit.models import AuditEvent, Via
from conftest import client_for, latest_code_sent_to, make_citizen, make_person
from family.models import GrantStatus, ProxyGrant

GRANDMA = {"name": "王秀英", "id_number": "330100194403121123", "relationship": "child"}


def ask(client, scopes=("show_code", "view_settlements"), **overrides):
    return client.post("/family/add/", {**GRANDMA, **overrides, "scopes": list(scopes)})


@pytest.fixture
def son_client(son):
    return client_for(son)


@pytest.fixture
def active_grant(son, son_client, mother_user, mother):
    ask(son_client, scopes=("show_code", "view_settlements", "view_records"))
    grant = ProxyGrant.objects.get()
    son_client.post(f"/family/{grant.public_id}/consent/", {"code": latest_code_sent_to(mother.phone)})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    return grant


def test_the_son_asks_and_the_mother_consents_with_the_code_she_reads_to_him(son_client, son, mother_user, mother):
    response = ask(son_client)
    grant = ProxyGrant.objects.get()
    assert response.url == f"/family/{grant.public_id}/consent/"
    sms = OutboundMessage.objects.filter(phone_index=mother.phone_index).first().body
    assert "李建国" in sms and "出示您的医保码" in sms  # to her phone: 您的
    son_client.post(f"/family/{grant.public_id}/consent/", {"code": latest_code_sent_to(mother.phone)})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert grant.scopes == ["show_code", "view_settlements"]
    assert grant.expires_at > timezone.now() + dt.timedelta(days=360)
    assert AuditEvent.objects.filter(subject=mother, action="family.granted").exists()


def test_a_wrong_consent_code_leaves_the_request_pending(son_client, mother_user, mother):
    ask(son_client)
    grant = ProxyGrant.objects.get()
    right = latest_code_sent_to(mother.phone)
    body = son_client.post(f"/family/{grant.public_id}/consent/",
                           {"code": "000000" if right != "000000" else "111111"}).content.decode()
    assert "验证码不对" in body
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING


def test_the_mother_can_approve_fewer_things_in_her_own_account(son_client, mother_client, mother):
    ask(son_client, scopes=("show_code", "view_settlements", "act"))
    grant = ProxyGrant.objects.get()
    page = mother_client.get("/family/").content.decode()
    assert "李建国" in page and "想帮您" in page
    mother_client.post(f"/family/{grant.public_id}/answer/", {"decision": "approve", "scopes": ["show_code"]})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.scopes == ["show_code"]


def test_the_mother_can_refuse(son_client, mother_client, mother):
    ask(son_client)
    grant = ProxyGrant.objects.get()
    mother_client.post(f"/family/{grant.public_id}/answer/", {"decision": "refuse"})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REFUSED


def test_the_mother_adds_her_son_by_phone(mother_client, son, mother):
    mother_client.post("/family/invite/", {"phone": "13900139002", "relationship": "child",
                                           "scopes": ["show_code", "view_records"]})
    grant = ProxyGrant.objects.get()
    assert grant.proxy == son and grant.is_active and grant.scopes == ["show_code", "view_records"]


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"name": "王秀兰"}, "对不上"),
        ({"id_number": "330100194403121124"}, "校验"),
        ({"scopes": []}, "请至少选一项"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(son_client, mother, overrides, says):
    scopes = overrides.pop("scopes", ("show_code",))
    body = ask(son_client, scopes=scopes, **overrides).content.decode()
    assert says in body
    assert not ProxyGrant.objects.exists()


def test_nobody_can_add_themselves(son_client, son):
    body = ask(son_client, name="李建国", id_number="310000197008051254").content.decode()
    assert "不能把自己添加为家人" in body


def test_a_duplicate_request_is_refused(son_client, mother):
    ask(son_client)
    assert "正在等对方同意" in ask(son_client).content.decode()
    assert ProxyGrant.objects.count() == 1


def test_a_sixth_proxy_is_refused(mother_client, mother):
    for i in range(5):
        helper = make_citizen(make_person(name=f"家人{i}"))
        mother_client.post("/family/invite/", {"phone": helper.phone, "relationship": "child", "scopes": ["show_code"]})
    sixth = make_citizen(make_person(name="第六人"))
    body = mother_client.post("/family/invite/", {"phone": sixth.phone, "relationship": "child",
                                                  "scopes": ["show_code"]}).content.decode()
    assert "最多" in body
    assert ProxyGrant.objects.filter(principal=mother, status="active").count() == 5


def test_a_parent_binds_a_child_under_16_in_the_same_household_without_a_code(db):
    parent = make_citizen(make_person(name="张父", household_id="H-9"))
    eight = timezone.localdate() - dt.timedelta(days=8 * 366)  # eight years old, whatever the year
    child = make_person(name="张小宝", birth_date=eight, household_id="H-9")
    client_for(parent).post("/family/add/", {"name": "张小宝", "id_number": child.id_number, "relationship": "parent",
                                             "scopes": ["show_code", "view_records"]})
    grant = ProxyGrant.objects.get()
    assert grant.is_active and grant.consent_via == "household"


def test_a_child_in_another_household_still_needs_consent(db):
    parent = make_citizen(make_person(name="张父", household_id="H-9"))
    eight = timezone.localdate() - dt.timedelta(days=8 * 366)
    child = make_person(name="李小宝", birth_date=eight, household_id="H-10")
    client_for(parent).post("/family/add/", {"name": "李小宝", "id_number": child.id_number, "relationship": "parent",
                                             "scopes": ["show_code"]})
    assert ProxyGrant.objects.get().status == GrantStatus.PENDING


def test_acting_for_her_shows_the_banner_and_her_code_and_tells_her(son_client, active_grant, mother,
                                                                     django_capture_on_commit_callbacks):
    son_client.post(f"/family/{active_grant.public_id}/act/")
    with django_capture_on_commit_callbacks(execute=True):
        page = son_client.get("/code/").content.decode()
    assert "正在为 王** 办理" in page
    assert "王** 的医保码" in page and 'data-testid="qr"' in page
    event = AuditEvent.objects.filter(subject=mother, action="voucher.code_shown").latest("id")
    assert event.via == Via.PROXY
    active_grant.refresh_from_db()
    assert active_grant.last_used_at is not None
    assert "打开了您的医保码" in OutboundMessage.objects.filter(phone_index=mother.phone_index).first().body
    son_client.post("/family/stop/")
    assert "正在为" not in son_client.get("/").content.decode()


def test_a_proxy_without_show_code_cannot_open_her_code(son_client, mother_client, mother):
    ask(son_client, scopes=("view_records",))
    grant = ProxyGrant.objects.get()
    mother_client.post(f"/family/{grant.public_id}/answer/", {"decision": "approve", "scopes": ["view_records"]})
    son_client.post(f"/family/{grant.public_id}/act/")
    response = son_client.get("/code/")
    assert response.status_code == 403
    assert son_client.get("/code/card/").status_code == 403
    assert son_client.get("/records/").status_code == 200


def test_a_proxy_without_view_records_cannot_read_her_records(son_client, active_grant, mother):
    ProxyGrant.objects.filter(pk=active_grant.pk).update(scopes=["show_code"])
    son_client.post(f"/family/{active_grant.public_id}/act/")
    assert son_client.get("/records/").status_code == 403
    assert son_client.get("/account/enrollment/").status_code == 403
    assert son_client.get("/account/record/").status_code == 403


def test_a_proxy_cannot_suspend_her_code(son_client, active_grant, mother):
    son_client.post(f"/family/{active_grant.public_id}/act/")
    assert son_client.post("/code/lost/").status_code == 403
    mother.voucher.refresh_from_db()
    assert mother.voucher.status == "active"


def test_with_act_the_son_activates_her_voucher_for_her(son, son_client, mother):
    from family.actions import invite_proxy

    mother_user = make_citizen(mother, active=False)
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["act"])
    grant = ProxyGrant.objects.get()
    son_client.post(f"/family/{grant.public_id}/activate/", {"agree": "on"})
    mother.refresh_from_db()
    assert mother.voucher.status == "active"
    event = AuditEvent.objects.get(subject=mother, action="voucher.activated")
    assert event.via == Via.PROXY and event.actor == son


def test_without_act_the_son_cannot_activate(son_client, active_grant):
    assert son_client.post(f"/family/{active_grant.public_id}/activate/", {"agree": "on"}).status_code == 403


def test_a_stranger_guessing_grant_ids_gets_404(stranger_client, active_grant):
    for path in (f"/family/{active_grant.public_id}/consent/", f"/family/{active_grant.public_id}/activate/"):
        assert stranger_client.get(path).status_code == 404
    for path in ("act", "revoke", "renew", "answer"):
        assert stranger_client.post(f"/family/{active_grant.public_id}/{path}/").status_code == 404
    active_grant.refresh_from_db()
    assert active_grant.status == GrantStatus.ACTIVE


def test_the_mother_sees_who_helps_her_and_revokes_at_once(son_client, mother_client, active_grant, mother):
    son_client.post(f"/family/{active_grant.public_id}/act/")
    page = mother_client.get("/family/").content.decode()
    assert "李**" in page and "出示您的医保码" in page and "有效期到" in page
    mother_client.post(f"/family/{active_grant.public_id}/revoke/")
    active_grant.refresh_from_db()
    assert active_grant.status == GrantStatus.REVOKED
    # His next request is about himself again: no banner, no access to her code.
    page = son_client.get("/code/").content.decode()
    assert "正在为" not in page and "王** 的医保码" not in page
    record = mother_client.get("/account/record/").content.decode()
    assert "解除了亲情账户授权" in record and "家人代办" in record


def test_an_expired_grant_gives_no_access(son_client, active_grant):
    ProxyGrant.objects.filter(pk=active_grant.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    son_client.post(f"/family/{active_grant.public_id}/act/")
    assert "正在为" not in son_client.get("/code/").content.decode()


def test_the_mother_renews_for_a_year(mother_client, active_grant):
    ProxyGrant.objects.filter(pk=active_grant.pk).update(expires_at=timezone.now() + dt.timedelta(days=3))
    mother_client.post(f"/family/{active_grant.public_id}/renew/")
    active_grant.refresh_from_db()
    assert active_grant.expires_at > timezone.now() + dt.timedelta(days=360)


def test_after_a_revoke_the_open_code_page_does_not_turn_into_his_own_code(son_client, mother_client, active_grant):
    son_client.post(f"/family/{active_grant.public_id}/act/")
    page = son_client.get("/code/").content.decode()
    card_url = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert son_client.get(card_url).status_code == 200
    mother_client.post(f"/family/{active_grant.public_id}/revoke/")
    refreshed = son_client.get(card_url)
    assert refreshed.status_code == 403
    assert 'data-testid="qr"' not in refreshed.content.decode()


import re  # noqa: E402


def test_when_her_code_cannot_be_sent_no_request_is_left_pending(son_client, mother, settings):
    from accounts.actions import send_one_time_code

    settings.OTP_RESEND_AFTER_SECONDS = 60
    send_one_time_code(phone_e164=mother.phone, purpose="identity")  # she was sent a code a moment ago
    body = ask(son_client).content.decode()
    assert "秒后再点" in body
    assert not ProxyGrant.objects.exists()
    settings.OTP_RESEND_AFTER_SECONDS = 0
    assert ask(son_client).status_code == 302
    assert ProxyGrant.objects.get().status == GrantStatus.PENDING
