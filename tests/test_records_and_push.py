"""Her consumption records and receipts, and the live status pushed to her open pages."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from settlement.models import Settlement
from tests.helpers import BILL
from tests.socket_helpers import page_socket, session_cookie
from vouchers.codes import issue_code_token

# Another patient's bill, told apart from hers by its total (75.00, not 50.00).
OTHER_BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "3", "unit_price": "25.00"}]}


@pytest.fixture
def settled(api, mother_user, mother, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/settlements", {**BILL, "code": issue_code_token(mother.voucher.public_id)})
    return Settlement.objects.get(public_id=response.json()["id"])


def test_grandma_sees_the_settlement_in_her_records_with_a_printable_receipt(mother_client, settled):
    body = mother_client.get("/records/").content.decode()
    assert "测试第一医院" in body and "50.00" in body and "结算完成" in body
    receipt = mother_client.get(f"/records/{settled.public_id}/").content.decode()
    assert "医保结算电子收据" in receipt and "阿莫西林胶囊" in receipt
    assert str(settled.self_pay) in receipt


def test_a_stranger_cannot_open_grandmas_receipt(stranger_client, settled):
    assert stranger_client.get(f"/records/{settled.public_id}/").status_code == 404
    assert "测试第一医院" not in stranger_client.get("/records/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_anonymous_socket_is_closed_with_4401():
    async def scenario():
        comm = page_socket(None)
        connected, _ = await comm.connect()
        assert connected
        message = await comm.receive_output(timeout=2)
        assert message == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_citizen_cannot_open_the_counter_socket(db):
    from conftest import make_citizen, make_person

    session = session_cookie(make_citizen(make_person(name="赵大海")))

    async def scenario():
        comm = page_socket(session, "/ws/counter/")
        await comm.connect()
        assert await comm.receive_output(timeout=2) == {"type": "websocket.close", "code": 4403}

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pause", [0, 0.05], ids=["final-at-once", "bureau-pauses"])
def test_her_open_page_receives_each_state_and_a_strangers_does_not(pause, settings):
    from django.test import Client

    from conftest import INSTITUTION_SECRET, SignedApi, make_citizen, make_person
    from insurance.models import Institution
    from settlement.tasks import run_settlement

    settings.SETTLEMENT_PAUSE_AFTER_PRESETTLE = pause
    grandma = make_citizen(make_person(name="王秀英"))
    stranger = make_citizen(make_person(name="赵大海"))
    Institution.objects.create(code="H1", name="测试第一医院", level="tertiary", region_code="330100",
                               api_key_id="test-h1", api_secret=INSTITUTION_SECRET)
    api = SignedApi(Client(), "test-h1", INSTITUTION_SECRET)
    grandma_session, stranger_session = session_cookie(grandma), session_cookie(stranger)
    token = issue_code_token(grandma.person.voucher.public_id)

    async def scenario():
        mine, theirs = page_socket(grandma_session), page_socket(stranger_session)
        assert (await mine.connect())[0] and (await theirs.connect())[0]
        from channels.db import database_sync_to_async

        response = await database_sync_to_async(api.post)(
            "/api/v1/settlements", {**BILL, "code": token})
        assert response.status_code == 202
        settlement = await database_sync_to_async(Settlement.objects.get)(public_id=response.json()["id"])
        await database_sync_to_async(run_settlement.apply)(args=[settlement.pk])
        seen = []
        while True:
            html = await mine.receive_from(timeout=3)
            assert 'id="settlement-status"' in html
            seen.append(html)
            if 'data-status="settled"' in html:
                break
        assert 'data-status="received"' in seen[0]
        # The provisional split is shown when the final one takes a while; when it follows at once she is not
        # sent a state that is gone before her phone draws it (both are in the settlement's history).
        assert any('data-status="presettled"' in h for h in seen) == bool(pause)
        assert len(seen) == (3 if pause else 2)
        assert "医保支付" in seen[-1]
        assert await theirs.receive_nothing(timeout=0.3)
        # His page does hear his own settlement, and that is the first thing it hears: the silence above was
        # not a push that never works, and nothing of hers was on its way to him.
        his_token = await database_sync_to_async(issue_code_token)(stranger.person.voucher.public_id)
        response = await database_sync_to_async(api.post)("/api/v1/settlements", {**OTHER_BILL, "code": his_token})
        assert response.status_code == 202
        heard = await theirs.receive_from(timeout=3)
        assert 'id="settlement-status"' in heard and 'data-status="received"' in heard and "75.00" in heard
        await mine.disconnect()
        # Reconnecting shows the current state at once.
        again = page_socket(grandma_session)
        await again.connect()
        assert 'data-status="settled"' in await again.receive_from(timeout=3)
        await again.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()
