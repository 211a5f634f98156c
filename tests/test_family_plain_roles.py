"""亲情账户 in plain roles: her page leads with 谁在帮我, who is who is said from the reader's
side, 马上解除 asks first and can be undone by her for five minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import OutboundMessage
from audit.models import AuditEvent
from conftest import client_for, latest_code_sent_to
from family.actions import RESTORE_WINDOW, FamilyError, restore_grant, revoke_grant
from family.models import GrantStatus, ProxyGrant

GRANDMA = {"name": "王秀英", "id_number": "330100194403121123"}


@pytest.fixture
def son_client(son):
    return client_for(son)


@pytest.fixture
def active_grant(son, son_client, mother_user, mother):
    # He reads the relationship from his side: she is his mother (父亲或母亲); stored as "he is her child".
    son_client.post("/family/add/", {**GRANDMA, "relationship": "child", "scopes": ["show_code", "view_settlements"]})
    grant = ProxyGrant.objects.get()
    son_client.post(f"/family/{grant.public_id}/consent/", {"code": latest_code_sent_to(mother.phone)})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.relationship == "child"
    return grant


def test_her_family_page_leads_with_who_helps_her_and_adding_someone_she_helps_comes_after(mother_client,
                                                                                          active_grant):
    page = mother_client.get("/family/").content.decode()
    assert page.index("谁在帮我") < page.index("我帮家人") < page.index("添加家人（我来帮她）")


def test_the_relationship_field_reads_from_the_side_of_the_one_filling_it_in(son_client, mother_client):
    his_form = son_client.get("/family/add/").content.decode()
    assert "她（他）是您的" in his_form
    assert '<option value="child">父亲或母亲</option>' in his_form  # she is his mother: he is her child
    her_form = mother_client.get("/family/invite/").content.decode()
    assert "他（她）是您的" in her_form and '<option value="child">儿子或女儿</option>' in her_form
    assert "出示您的医保码" in her_form and "出示她的医保码" not in her_form


def test_each_side_reads_your_relative_and_your_or_her_code_for_who_is_looking(son_client, mother_client,
                                                                              active_grant, son, mother):
    to_her = [m.body for m in OutboundMessage.objects.filter(phone_index=mother.phone_index)]
    assert to_her and all("出示她的" not in body for body in to_her)
    assert any("出示您的医保码" in body and "儿子或女儿" in body for body in to_her)
    hers = mother_client.get("/family/").content.decode()
    assert f"{son.masked_name}（您的儿子或女儿）" in hers
    assert "出示您的医保码" in hers and "出示她的医保码" not in hers
    his = son_client.get("/family/").content.decode()
    assert f"{mother.masked_name}（您的父亲或母亲）" in his and "（子女）" not in his


def test_mashang_jiechu_asks_to_confirm_on_a_page_before_anything_ends(mother_client, active_grant, son):
    hub = mother_client.get("/family/").content.decode()
    assert f'href="/family/{active_grant.public_id}/revoke/"' in hub  # a link to the question, not a post
    page = mother_client.get(f"/family/{active_grant.public_id}/revoke/")
    body = page.content.decode()
    assert page.status_code == 200 and "确定解除" in body and "不解除，返回" in body and "5分钟内可以" in body
    assert "出示您的医保码" in body
    active_grant.refresh_from_db()
    assert active_grant.status == GrantStatus.ACTIVE


def test_she_can_undo_a_revoke_within_five_minutes_and_it_is_in_her_record(mother_client, son_client,
                                                                          active_grant, son):
    mother_client.post(f"/family/{active_grant.public_id}/revoke/")
    active_grant.refresh_from_db()
    assert active_grant.status == GrantStatus.REVOKED
    assert "正在为" not in son_client.get("/code/").content.decode()
    hub = mother_client.get("/family/").content.decode()
    assert "撤销解除" in hub and f"/family/{active_grant.public_id}/restore/" in hub
    response = mother_client.post(f"/family/{active_grant.public_id}/restore/")
    assert response.status_code == 302
    active_grant.refresh_from_db()
    assert active_grant.status == GrantStatus.ACTIVE and active_grant.ended_at is None
    assert AuditEvent.objects.filter(action="family.restored", subject=active_grant.principal,
                                     detail__grant=str(active_grant.public_id)).count() == 1
    son_client.post(f"/family/{active_grant.public_id}/act/")
    assert "正在为" in son_client.get("/code/").content.decode()
    assert "撤销了刚才的解除" in mother_client.get("/account/record/").content.decode()


def test_after_five_minutes_a_revoke_cannot_be_undone(mother_client, active_grant):
    mother_client.post(f"/family/{active_grant.public_id}/revoke/")
    ProxyGrant.objects.filter(pk=active_grant.pk).update(
        ended_at=timezone.now() - RESTORE_WINDOW - dt.timedelta(seconds=1))
    assert "撤销解除" not in mother_client.get("/family/").content.decode()
    response = mother_client.post(f"/family/{active_grant.public_id}/restore/")
    assert response.status_code == 409 and "超过5分钟" in response.content.decode()
    active_grant.refresh_from_db()
    assert active_grant.status == GrantStatus.REVOKED
    assert not AuditEvent.objects.filter(action="family.restored").exists()


def test_only_she_can_restore_and_only_what_she_ended_herself(son, son_client, stranger_client, mother_user,
                                                            active_grant):
    revoke_grant(active_grant, by=son)  # he stopped helping: not hers to bring back
    assert stranger_client.post(f"/family/{active_grant.public_id}/restore/").status_code == 404
    assert son_client.post(f"/family/{active_grant.public_id}/restore/").status_code == 404
    with pytest.raises(FamilyError):
        restore_grant(active_grant, principal_user=mother_user)
    active_grant.refresh_from_db()
    assert active_grant.status == GrantStatus.REVOKED


def test_the_spoken_guide_talks_to_her_on_her_page_and_to_him_when_he_only_helps(son_client, mother_client,
                                                                                active_grant):
    assert "上面是谁在帮您" in mother_client.get("/family/").content.decode()
    his = son_client.get("/family/").content.decode()
    assert "这里是您在帮的家人" in his and "上面是谁在帮您" not in his
    assert "不让他帮您了吗" in mother_client.get(f"/family/{active_grant.public_id}/revoke/").content.decode()
    assert "您不再帮她了吗" in son_client.get(f"/family/{active_grant.public_id}/revoke/").content.decode()
