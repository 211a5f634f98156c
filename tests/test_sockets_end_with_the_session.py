"""A page's socket lives no longer than the browser session that opened it: signing out (or the session
ending any other way) closes it, and it hears nothing more of her, while her other signed-in browser
keeps receiving her settlements. Each socket that must hear nothing first hears a settlement while its
session lives, so a push that never works cannot pass for a socket that was closed."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from conftest import INSTITUTION_SECRET, SignedApi, make_citizen, make_person
from insurance.models import Institution
from tests.socket_helpers import page_socket, settle_at_the_counter, until_settled

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED = {"type": "websocket.close", "code": 4401}


def _grandma_with_two_browsers():
    grandma = make_citizen(make_person(name="王秀英"))
    Institution.objects.create(code="H1", name="测试第一医院", level="tertiary", region_code="330100",
                               api_key_id="test-h1", api_secret=INSTITUTION_SECRET)
    browsers = []
    for _ in range(2):
        browser = Client()
        browser.force_login(grandma, backend="accounts.backends.PhonePasswordBackend")
        browsers.append(browser)
    return grandma, browsers, SignedApi(Client(), "test-h1", INSTITUTION_SECRET)


def test_signing_out_closes_that_browsers_socket_and_her_other_browser_keeps_hearing_her_settlements():
    grandma, (phone, tablet), api = _grandma_with_two_browsers()

    async def scenario():
        on_phone = page_socket(phone.cookies["sessionid"].value)
        on_tablet = page_socket(tablet.cookies["sessionid"].value)
        assert (await on_phone.connect())[0] and (await on_tablet.connect())[0]
        # Signed in, both browsers hear her settlement: the silence after sign-out is not a broken push.
        await settle_at_the_counter(api, grandma)
        assert 'id="settlement-status"' in await until_settled(on_phone)
        assert 'id="settlement-status"' in await until_settled(on_tablet)

        signed_out = await database_sync_to_async(phone.post)("/accounts/logout/")
        assert signed_out.status_code == 302
        assert await on_phone.receive_output(timeout=2) == CLOSED

        await settle_at_the_counter(api, grandma)
        assert 'id="settlement-status"' in await until_settled(on_tablet)
        assert await on_phone.receive_nothing(timeout=0.5)
        await on_tablet.disconnect()

    async_to_sync(scenario)()


def test_a_session_that_expired_without_anyone_saying_so_hears_nothing_more_and_is_closed():
    grandma, (phone, tablet), api = _grandma_with_two_browsers()
    phone_session = phone.cookies["sessionid"].value

    async def scenario():
        on_phone = page_socket(phone_session)
        on_tablet = page_socket(tablet.cookies["sessionid"].value)
        assert (await on_phone.connect())[0] and (await on_tablet.connect())[0]
        await settle_at_the_counter(api, grandma)
        assert 'data-status="settled"' in await until_settled(on_phone)
        assert 'data-status="settled"' in await until_settled(on_tablet)
        # Expired in the store, no signal: only the consumer's own check can notice.
        await database_sync_to_async(Session.objects.filter(session_key=phone_session).update)(
            expire_date=timezone.now() - dt.timedelta(seconds=1))

        await settle_at_the_counter(api, grandma)
        assert await on_phone.receive_output(timeout=3) == CLOSED
        assert await on_phone.receive_nothing(timeout=0.5)
        assert 'data-status="settled"' in await until_settled(on_tablet)
        await on_tablet.disconnect()

    async_to_sync(scenario)()


def test_signing_in_as_someone_else_in_the_same_browser_closes_her_open_socket():
    grandma, (phone, _tablet), api = _grandma_with_two_browsers()
    neighbour = make_citizen(make_person(name="赵大海"))

    async def scenario():
        on_phone = page_socket(phone.cookies["sessionid"].value)
        assert (await on_phone.connect())[0]
        await settle_at_the_counter(api, grandma)
        assert 'data-status="settled"' in await until_settled(on_phone)
        # Django's sign-in flushes the previous user's session in that browser.
        await database_sync_to_async(phone.force_login)(neighbour, backend="accounts.backends.PhonePasswordBackend")
        assert await on_phone.receive_output(timeout=2) == CLOSED
        await settle_at_the_counter(api, grandma)
        assert await on_phone.receive_nothing(timeout=0.5)

    async_to_sync(scenario)()


def test_a_proxys_sign_out_closes_his_watching_socket():
    from family.actions import invite_proxy

    grandma, _browsers, api = _grandma_with_two_browsers()
    son = make_citizen(make_person(name="李建国"))
    invite_proxy(principal_user=grandma, phone_e164=son.phone, relationship="child", scopes=["view_settlements"])
    sons_phone = Client()
    sons_phone.force_login(son, backend="accounts.backends.PhonePasswordBackend")

    async def scenario():
        watching = page_socket(sons_phone.cookies["sessionid"].value)
        assert (await watching.connect())[0]
        await settle_at_the_counter(api, grandma)
        assert 'id="family-live"' in await until_settled(watching)
        await database_sync_to_async(sons_phone.post)("/accounts/logout/")
        assert await watching.receive_output(timeout=2) == CLOSED
        await settle_at_the_counter(api, grandma)
        assert await watching.receive_nothing(timeout=0.5)

    async_to_sync(scenario)()
