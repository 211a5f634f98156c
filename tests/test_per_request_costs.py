"""What the cuts of issue 16 keep true for a person: her session still slides while she uses the portal (but the
row is written once a minute, not on every page), pages reach her phone compressed, her voice guide is not,
and a push sent from a worker with no event loop of its own still arrives (docs/scale.md)."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django.contrib.sessions.models import Session

from core.qr import FIXED_MASK, qr_png_data_uri
from portal.middleware import REFRESHED_KEY


def _expiry(client) -> dt.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_her_pages_within_a_minute_do_not_rewrite_her_session(mother_client, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    mother_client.get("/")
    first = _expiry(mother_client)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 30, tzinfo=dt.UTC), tick=False)
    mother_client.get("/records/")
    assert _expiry(mother_client) == first


def test_her_session_still_slides_while_she_keeps_using_the_portal(mother_client, time_machine, settings):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    mother_client.get("/")
    first = _expiry(mother_client)
    # Every 20 minutes a page: never 30 quiet minutes, so she is never signed out.
    for minutes in (20, 40, 60, 80):
        time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes), tick=False)
        response = mother_client.get("/")
        assert response.status_code == 200 and response.wsgi_request.user.is_authenticated
    assert _expiry(mother_client) == first + dt.timedelta(minutes=80)
    assert mother_client.session[REFRESHED_KEY] > 0


def test_thirty_quiet_minutes_still_sign_her_out(mother_client, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    mother_client.get("/")
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 31, tzinfo=dt.UTC), tick=False)
    assert not mother_client.get("/").wsgi_request.user.is_authenticated


def test_keep_going_saves_her_session_at_once(mother_client, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    mother_client.get("/")
    first = _expiry(mother_client)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 20, tzinfo=dt.UTC), tick=False)
    mother_client.post("/elder/keepalive/")
    assert _expiry(mother_client) == first + dt.timedelta(seconds=20)


def test_a_visitor_without_a_session_gets_no_session_row(client, db):
    client.get("/")
    assert Session.objects.count() == 0


def test_pages_reach_her_phone_compressed(mother_client):
    response = mother_client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert "医保通" in gzip.decompress(response.content).decode()


def test_her_voice_guide_is_sent_as_it_is(client, db):
    response = client.get("/elder/voice/cmn/normal/home.audio", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "Content-Encoding" not in response


def test_her_code_is_drawn_with_one_fixed_mask_and_still_reads(mother_client):
    import base64
    import io

    import zxingcpp
    from PIL import Image

    uri = qr_png_data_uri("ABCdef-_0123456789" * 7)
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == ["ABCdef-_0123456789" * 7]
    assert FIXED_MASK in range(8)


@pytest.mark.django_db(transaction=True)
def test_a_push_from_a_thread_with_no_event_loop_reaches_her_socket(mother_user):
    """What a Celery worker does: publish from plain sync code (the in-memory layer, as in `make run`)."""
    import threading

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from live.groups import person_group
    from live.publish import _run
    from tests.socket_helpers import listening_channel

    layer = get_channel_layer()
    channel = listening_channel(layer, person_group(mother_user.person_id))
    event_message = {"type": "live.fragment", "kind": "k", "target": "t", "role": "person", "person_id": None,
                     "operator_id": None, "stop_watching": None, "html": {"zh-hans": "<p>x</p>"}}
    sent: list[str] = []

    def worker() -> None:
        async def one() -> None:
            await layer.group_send(person_group(mother_user.person_id), event_message)

        _run(layer, one)
        sent.append("ok")

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(5)
    assert sent == ["ok"]
    assert async_to_sync(layer.receive)(channel)["html"] == {"zh-hans": "<p>x</p>"}
