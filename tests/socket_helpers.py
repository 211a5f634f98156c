"""A page's live socket, as several test modules open it (so that none imports another's)."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from conftest import client_for
from portal.asgi import application
from tests.helpers import BILL
from vouchers.codes import issue_code_token


def session_cookie(user) -> str:
    """Sign in (synchronously, before any event loop runs) and return the session id."""
    return client_for(user).cookies["sessionid"].value


def page_socket(session: str | None, path: str = "/ws/status/") -> WebsocketCommunicator:
    """The live socket an open page of this browser session opens (anonymous without a session)."""
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if session is not None:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def settle_at_the_counter(api, citizen) -> None:
    """The hospital scans her fresh code and submits the test bill (from inside a socket scenario)."""
    token = await database_sync_to_async(issue_code_token)(citizen.person.voucher.public_id)
    response = await database_sync_to_async(api.post)("/api/v1/settlements", {**BILL, "code": token})
    assert response.status_code == 202


async def until_settled(comm) -> str:
    """The first fragment on this socket that shows a finished settlement."""
    while True:
        html = await comm.receive_from(timeout=3)
        if 'data-status="settled"' in html:
            return html


def listening_channel(layer, group: str) -> str:
    """A channel of the layer that has joined `group`: what a page's socket does, without the socket."""
    async def join() -> str:
        name = await layer.new_channel()
        await layer.group_add(group, name)
        return name

    return async_to_sync(join)()
