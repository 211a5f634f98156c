"""Sockets obey the grant: a proxy with view_settlements sees her results live, one without sees nothing,
and a revoked proxy's open socket stops at once."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from conftest import INSTITUTION_SECRET, SignedApi, make_citizen, make_person
from family.actions import invite_proxy, revoke_grant
from insurance.demo import seed_policy_rules
from insurance.models import Institution
from tests.test_records_and_push import BILL, _communicator, session_cookie
from vouchers.codes import issue_code_token

pytestmark = pytest.mark.django_db(transaction=True)


def _setup(scopes):
    seed_policy_rules()
    mother = make_citizen(make_person(name="王秀英"))
    son = make_citizen(make_person(name="李建国"))
    grant = invite_proxy(principal_user=mother, phone_e164=son.phone, relationship="child", scopes=scopes)
    Institution.objects.create(code="H1", name="测试第一医院", level="tertiary", region_code="330100",
                               api_key_id="test-h1", api_secret=INSTITUTION_SECRET)
    return mother, son, grant, SignedApi(Client(), "test-h1", INSTITUTION_SECRET)


async def _settle(api, mother):
    token = await database_sync_to_async(issue_code_token)(mother.person.voucher.public_id)
    response = await database_sync_to_async(api.post)("/api/v1/settlements", {**BILL, "code": token})
    assert response.status_code == 202


async def _until_settled(comm) -> str:
    while True:
        html = await comm.receive_from(timeout=3)
        if 'data-status="settled"' in html:
            return html


def test_a_proxy_with_view_settlements_sees_her_result_live():
    mother, son, _grant, api = _setup(["view_settlements"])
    son_session = session_cookie(son)

    async def scenario():
        comm = _communicator(son_session)
        assert (await comm.connect())[0]
        await _settle(api, mother)
        html = await _until_settled(comm)
        assert 'id="family-live"' in html and "王** 的结算" in html
        await comm.disconnect()

    async_to_sync(scenario)()


def test_a_proxy_without_view_settlements_receives_nothing():
    mother, son, _grant, api = _setup(["show_code"])
    son_session = session_cookie(son)

    async def scenario():
        comm = _communicator(son_session)
        assert (await comm.connect())[0]
        await _settle(api, mother)
        assert await comm.receive_nothing(timeout=0.5)
        await comm.disconnect()

    async_to_sync(scenario)()


def test_a_revoked_proxys_open_socket_stops_at_once():
    mother, son, grant, api = _setup(["view_settlements", "show_code"])
    son_session = session_cookie(son)

    async def scenario():
        comm = _communicator(son_session)
        assert (await comm.connect())[0]
        await database_sync_to_async(revoke_grant)(grant, by=mother)
        notice = await comm.receive_from(timeout=1)
        assert "已解除授权" in notice
        await _settle(api, mother)
        assert await comm.receive_nothing(timeout=0.5)
        await comm.disconnect()

    async_to_sync(scenario)()
