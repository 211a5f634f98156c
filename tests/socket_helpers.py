"""A page's live socket, as several test modules open it (so that none imports another's)."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator

from conftest import client_for
from portal.asgi import application


def session_cookie(user) -> str:
    """Sign in (synchronously, before any event loop runs) and return the session id."""
    return client_for(user).cookies["sessionid"].value


def page_socket(session: str | None, path: str = "/ws/status/") -> WebsocketCommunicator:
    """The live socket an open page of this browser session opens (anonymous without a session)."""
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if session is not None:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)
