"""A real ASGI server (uvicorn) in a thread of the test process, for browser tests that need websockets.

pytest-django's ``live_server`` is WSGI and cannot answer a websocket. This server runs
``portal.asgi:application`` in the test process, so it shares the test database, the in-memory channel
layer and the eager Celery of the test settings: a settlement made through it is settled and pushed
to every open socket at once, as in production with a worker.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

STARTUP_SECONDS = 20


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def asgi_live_server(transactional_db) -> Iterator[str]:
    """The base URL of a uvicorn server running the portal; stopped after the test."""
    import uvicorn
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from portal.asgi import application

    port = _free_port()
    # Static files from the apps' folders, as runserver and pytest-django's live_server serve them
    # (the test settings have DEBUG off, so WhiteNoise alone would look for collected files).
    server = uvicorn.Server(uvicorn.Config(
        ASGIStaticFilesHandler(application), host="127.0.0.1", port=port, log_level="warning", lifespan="off",
        ws_ping_interval=None,
    ))
    thread = threading.Thread(target=server.run, name=f"asgi-live-server-{port}", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(f"{base_url}/healthz"):
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"The ASGI test server on {base_url} did not answer /healthz within {STARTUP_SECONDS} s.",
                        pytrace=False)
        time.sleep(0.1)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
