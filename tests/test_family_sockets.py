"""Sockets obey the grant: a proxy with view_settlements sees her results live, one without sees nothing,
and a revoked proxy's open socket stops at once."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from conftest import INSTITUTION_SECRET, SignedApi, make_citizen, make_person
from family.actions import invite_proxy, restore_grant, revoke_grant
from family.models import GrantStatus, ProxyGrant
from insurance.models import Institution
from tests.socket_helpers import page_socket, session_cookie, settle_at_the_counter, until_settled

pytestmark = pytest.mark.django_db(transaction=True)


def _setup(scopes):
    mother = make_citizen(make_person(name="王秀英"))
    son = make_citizen(make_person(name="李建国"))
    grant = invite_proxy(principal_user=mother, phone_e164=son.phone, relationship="child", scopes=scopes)
    Institution.objects.create(code="H1", name="测试第一医院", level="tertiary", region_code="330100",
                               api_key_id="test-h1", api_secret=INSTITUTION_SECRET)
    return mother, son, grant, SignedApi(Client(), "test-h1", INSTITUTION_SECRET)


def test_a_proxy_with_view_settlements_sees_her_result_live():
    mother, son, _grant, api = _setup(["view_settlements"])
    son_session = session_cookie(son)

    async def scenario():
        comm = page_socket(son_session)
        assert (await comm.connect())[0]
        await settle_at_the_counter(api, mother)
        html = await until_settled(comm)
        assert 'id="family-live"' in html and "王** 的结算" in html
        await comm.disconnect()

    async_to_sync(scenario)()


def test_a_proxy_without_view_settlements_receives_nothing():
    mother, son, _grant, api = _setup(["show_code"])
    son_session = session_cookie(son)

    async def scenario():
        comm = page_socket(son_session)
        assert (await comm.connect())[0]
        await settle_at_the_counter(api, mother)
        assert await comm.receive_nothing(timeout=0.5)
        # His own settlement reaches this socket, and first: pushing works, and nothing of hers was on its way.
        await settle_at_the_counter(api, son)
        first = await comm.receive_from(timeout=3)
        assert 'id="settlement-status"' in first and 'data-status="received"' in first
        assert 'id="family-live"' not in await until_settled(comm)
        await comm.disconnect()

    async_to_sync(scenario)()


def _and_his_father(son):
    """A second principal who lets the son watch his settlements: the positive control of a silent socket."""
    father = make_citizen(make_person(name="张德明"))
    invite_proxy(principal_user=father, phone_e164=son.phone, relationship="child", scopes=["view_settlements"])
    return father


def test_a_revoked_proxys_open_socket_stops_at_once():
    mother, son, grant, api = _setup(["view_settlements", "show_code"])
    father = _and_his_father(son)
    son_session = session_cookie(son)

    async def scenario():
        comm = page_socket(son_session)
        assert (await comm.connect())[0]
        await database_sync_to_async(revoke_grant)(grant, by=mother)
        notice = await comm.receive_from(timeout=3)
        assert 'id="access-notice"' in notice and "已解除授权" in notice
        await settle_at_the_counter(api, mother)
        assert await comm.receive_nothing(timeout=0.5)
        # The same socket still shows his father's settlement, and that is the first thing it shows.
        await settle_at_the_counter(api, father)
        first = await comm.receive_from(timeout=3)
        assert 'id="family-live"' in first and "张** 的结算" in first
        await comm.disconnect()

    async_to_sync(scenario)()


def test_a_grant_ended_without_the_announcement_still_stops_her_settlements_and_his_page_is_told():
    mother, son, grant, api = _setup(["view_settlements"])
    father = _and_his_father(son)
    son_session = session_cookie(son)

    async def scenario():
        comm = page_socket(son_session)
        assert (await comm.connect())[0]
        await settle_at_the_counter(api, mother)
        assert "王** 的结算" in await until_settled(comm)
        # Revoked behind the consumer's back (the push that announces it is lost): the next message about her
        # is checked against the grant, and what he gets is the notice and an emptied place, not her bill.
        await database_sync_to_async(ProxyGrant.objects.filter(pk=grant.pk).update)(status=GrantStatus.REVOKED)
        await settle_at_the_counter(api, mother)
        emptied = await comm.receive_from(timeout=3)
        assert 'id="family-live"' in emptied and "王**" not in emptied and "data-status" not in emptied
        notice = await comm.receive_from(timeout=3)
        assert 'id="access-notice"' in notice and "已解除授权" in notice
        assert await comm.receive_nothing(timeout=0.5)
        await settle_at_the_counter(api, father)
        assert "张** 的结算" in await comm.receive_from(timeout=3)
        await comm.disconnect()

    async_to_sync(scenario)()


def test_the_revocation_notice_has_one_place_every_open_page_has_and_carries_the_rest_for_pages_that_show_her(db):
    from family.push import render_access_revoked

    html = render_access_revoked(7, "zh-hans")
    # One out-of-band swap, into the slot of every page with a socket: no page gets one it has no place for
    # (htmx logs oobErrorNoTarget for each). Her code and the acting-for banner ride along as templates that
    # static/js/live-replace.js puts in only where the page shows them.
    # innerHTML: the page's aria-live region stays and only its content changes, so screen readers read it.
    assert html.count("hx-swap-oob") == 1 and 'id="access-notice" hx-swap-oob="innerHTML"' in html
    assert '<template data-replace="acting-code-7"><div id="acting-code-7">' in html
    assert '<template data-replace="acting-banner-7"><div class="acting-banner" id="acting-banner-7"' in html


def test_his_sockets_see_her_again_only_after_she_undoes_her_revoke():
    mother, son, grant, api = _setup(["view_settlements", "show_code"])
    son_session = session_cookie(son)

    async def scenario():
        comm = page_socket(son_session)
        assert (await comm.connect())[0]
        await database_sync_to_async(revoke_grant)(grant, by=mother)
        assert "已解除授权" in await comm.receive_from(timeout=3)
        await settle_at_the_counter(api, mother)  # in the minutes between: nothing of hers
        assert await comm.receive_nothing(timeout=0.5)
        await database_sync_to_async(restore_grant)(grant, principal_user=mother)
        await comm.disconnect()
        again = page_socket(son_session)  # his next page, after she brought the grant back
        assert (await again.connect())[0]
        await settle_at_the_counter(api, mother)
        assert "王** 的结算" in await until_settled(again)
        await again.disconnect()

    async_to_sync(scenario)()
