"""Live updates reach each open page in that page's language, each kind in its own place on the page."""

from __future__ import annotations

import html
import re

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from conftest import INSTITUTION_SECRET, SignedApi, client_for, make_citizen, make_person
from family.actions import invite_proxy
from insurance.models import Institution
from live.consumers import page_language
from live.fragments import fragment_kind, registered_kinds
from tests.socket_helpers import listening_channel, page_socket
from vouchers.codes import issue_code_token

BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}]}
WS_CONNECT = re.compile(r'ws-connect="([^"]+)"')
HAN = re.compile(r"[\u4e00-\u9fff]")


def socket_of(page: str) -> str:
    """The socket URL the page itself opens (htmx reads the attribute, entities decoded)."""
    found = WS_CONNECT.search(page)
    assert found, "the page opens no live socket"
    return html.unescape(found.group(1))


def communicator(browser: Client, path: str) -> WebsocketCommunicator:
    """The socket this browser's page opens, at the URL the page gave it."""
    return page_socket(browser.cookies["sessionid"].value, path)


async def until_settled(comm: WebsocketCommunicator) -> list[str]:
    seen = [await comm.receive_from(timeout=3)]
    while 'data-status="settled"' not in seen[-1]:
        seen.append(await comm.receive_from(timeout=3))
    return seen


def _grandma_and_her_hospital() -> tuple:
    """奶奶 with an active code, and the signed API of the hospital she shows it at."""
    grandma = make_citizen(make_person(name="王秀英"))
    Institution.objects.create(code="H1", name="测试第一医院", level="tertiary", region_code="330100",
                               api_key_id="test-h1", api_secret=INSTITUTION_SECRET)
    return grandma, SignedApi(Client(), "test-h1", INSTITUTION_SECRET)


@pytest.mark.django_db(transaction=True)
def test_a_page_served_in_english_gets_her_payment_in_english_while_her_chinese_page_gets_chinese():
    grandma, api = _grandma_and_her_hospital()
    # English only because her browser asks for it: no language cookie on either browser.
    english_browser, chinese_browser = client_for(grandma), client_for(grandma)
    english_page = english_browser.get("/code/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    chinese_page = chinese_browser.get("/code/").content.decode()
    assert '<html lang="en"' in english_page and '<html lang="zh-Hans"' in chinese_page

    async def scenario():
        in_english = communicator(english_browser, socket_of(english_page))
        in_chinese = communicator(chinese_browser, socket_of(chinese_page))
        assert (await in_english.connect())[0] and (await in_chinese.connect())[0]
        token = await database_sync_to_async(issue_code_token)(grandma.person.voucher.public_id)
        response = await database_sync_to_async(api.post)("/api/v1/settlements", {**BILL, "code": token})
        assert response.status_code == 202
        english, chinese = await until_settled(in_english), await until_settled(in_chinese)
        await in_english.disconnect()
        await in_chinese.disconnect()
        return english, chinese

    english, chinese = async_to_sync(scenario)()
    assert 'id="settlement-status"' in english[-1] and "Payment done" in english[-1]
    # Only data (the hospital's name) is left in Chinese: not the headline, labels or the sentence read aloud.
    assert all(not HAN.search(fragment.replace("测试第一医院", "")) for fragment in english), english[-1]
    assert "结算完成" in chinese[-1] and "Payment done" not in chinese[-1]


@pytest.mark.django_db(transaction=True)
def test_a_push_is_rendered_once_in_chinese_and_carries_what_an_english_page_renders_its_own_from():
    """docs/scale.md: the publisher no longer renders languages no open page may speak."""
    from channels.layers import get_channel_layer

    from live.groups import person_group
    from live.publish import Event as LiveEvent
    from live.publish import send_now, to_person
    from settlement.models import Settlement
    from settlement.push import STATUS

    grandma, api = _grandma_and_her_hospital()
    token = issue_code_token(grandma.person.voucher.public_id)
    assert api.post("/api/v1/settlements", {**BILL, "code": token}).status_code == 202
    settlement = Settlement.objects.get(person=grandma.person)
    layer = get_channel_layer()
    channel = listening_channel(layer, person_group(grandma.person_id))
    send_now([LiveEvent(STATUS, to_person(grandma.person_id), settlement)])
    message = async_to_sync(layer.receive)(channel)
    assert set(message["html"]) == {"zh-hans"} and message["ref"] == settlement.pk


def _scope(query: bytes = b"", cookie: str | None = None) -> dict:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return {"query_string": query, "headers": headers}


def test_a_socket_speaks_its_pages_language_else_the_cookies_else_chinese():
    assert page_language(_scope(b"lang=en")) == "en"
    assert page_language(_scope(b"lang=zh-hans", cookie="django_language=en")) == "zh-hans"
    # An older page without ?lang, or a language the site does not speak: the cookie, then the default.
    assert page_language(_scope(b"", cookie="django_language=en")) == "en"
    assert page_language(_scope(b"lang=fr", cookie="django_language=en")) == "en"
    assert page_language(_scope(b"lang=%3Cscript%3E")) == "zh-hans"
    assert page_language(_scope()) == "zh-hans"


# A service request's status names its own element (`filing-<id>`, `claim-<id>`, `order-<id>`); a new one goes to
# the top of her open list: they have no one place on every page.
SERVICE_SLOTS = {"filing-status", "filing-rows", "entitlement-status", "claim-status", "claim-rows", "order-status",
                 "complaint-status", "visit-status"}
# Practice mode's pretend results live on practice pages only (their own socket, /ws/practice/).
PRACTICE_SLOTS = {"practice-result", "practice-notice", "practice-seats"}


def test_each_kind_of_live_message_has_one_place_of_its_own_on_his_page(mother_user, son):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                 scopes=["view_settlements", "show_code"])
    page = client_for(son).get("/code/").content.decode()
    targets = {kind: fragment_kind(kind).target_id for kind in registered_kinds()}
    # her own, a watched person's, access ended, a family notice (and the counter's, on the counter page); a
    # filing's and an application's status name their own element (`filing-<id>`), on the pages that show them
    assert set(targets.values()) == {"settlement-status", "family-live", "access-notice", "family-notice",
                                     "counter-status", *SERVICE_SLOTS, *PRACTICE_SLOTS}
    for kind, target in targets.items():
        if target != "counter-status" and target not in SERVICE_SLOTS | PRACTICE_SLOTS:
            assert page.count(f'id="{target}"') == 1, (kind, target)
    assert "?lang=zh-hans" in socket_of(page)


@pytest.mark.django_db(transaction=True)
def test_her_call_for_help_reaches_her_sons_open_english_page_in_its_own_place_and_not_a_strangers():
    from family.actions import ask_family_for_help

    mother = make_citizen(make_person(name="王秀英"))
    son = make_citizen(make_person(name="李建国"))
    stranger = make_citizen(make_person(name="赵大海"))
    invite_proxy(principal_user=mother, phone_e164=son.phone, relationship="child", scopes=["show_code"])
    his_browser, strangers_browser = client_for(son), client_for(stranger)
    his_page = his_browser.get("/", headers={"Accept-Language": "en"}).content.decode()
    strangers_page = strangers_browser.get("/").content.decode()

    async def scenario():
        his, theirs = communicator(his_browser, socket_of(his_page)), communicator(strangers_browser, socket_of(strangers_page))
        assert (await his.connect())[0] and (await theirs.connect())[0]
        assert await database_sync_to_async(ask_family_for_help)(principal_user=mother) == 1
        heard = await his.receive_from(timeout=3)
        assert await theirs.receive_nothing(timeout=0.3)
        # The stranger's page is not deaf: the one who may call on him is heard at once.
        await database_sync_to_async(invite_proxy)(principal_user=mother, phone_e164=stranger.phone,
                                                   relationship="other", scopes=["show_code"])
        await database_sync_to_async(ask_family_for_help)(principal_user=mother)
        assert 'id="family-notice"' in await theirs.receive_from(timeout=3)
        await his.disconnect()
        await theirs.disconnect()
        return heard

    heard = async_to_sync(scenario)()
    assert 'id="family-notice"' in heard and "王** asks for your help" in heard
