"""Redis goes away while the worker pushes the result: the settlement still completes, exactly once,
and grandma's page shows the final state as soon as it reconnects.

The worker reaches the channel layer through a small TCP proxy in this test; the server and the
broker talk to Redis directly. The proxy is cut just after the provisional split reached her page, so
only the final push meets the outage. Two kinds of outage: Redis refuses connections (down, or the
port closed), and Redis accepts but never answers (stalled, or a link that silently drops packets).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import make_citizen, make_person
from insurance.models import InsuredPerson
from insurance.policy import Accumulator
from live.groups import person_group
from service.service_processes import (
    open_status_socket,
    session_cookie,
    signed_post,
    wait_for_settlement,
    wait_until_logged,
)
from settlement.models import FINAL_STATUSES, SettlementEvent
from vouchers.codes import issue_code_token

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"},
    {"code": "J02", "name": "血常规检查", "category": "A", "quantity": "1", "unit_price": "120.00"},
]}


class RedisLink:
    """A TCP proxy between the worker and Redis that the test can break, as an outage would.

    `cut("refuse")`: the port closes and open connections are reset — new connections are refused.
    `cut("silent")`: connections are still accepted but nothing is forwarded or answered, ever.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mode = "forward"
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.append(client)
                if self.mode == "silent":
                    threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self.mode == "forward":
                    sink.sendall(data)
        self._close(source, sink)

    def _swallow(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while client.recv(65536):
                pass

    def _close(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def cut(self, how: str) -> None:
        assert how in ("refuse", "silent")
        with self._lock:
            self.mode = how
            open_sockets = list(self._sockets) if how == "refuse" else []
        if how == "refuse":
            self._close(self.listener, *open_sockets)

    def close(self) -> None:
        with self._lock:
            self.mode = "closed"
            open_sockets = list(self._sockets)
        self._close(self.listener, *open_sockets)


@pytest.fixture
def redis_link(services: dict[str, str]):
    target = urlsplit(services["redis_url"])
    link = RedisLink(target.hostname or "127.0.0.1", target.port or 6379)
    yield link
    link.close()


def _through(link: RedisLink, redis_url: str) -> str:
    """The same Redis database, reached through the link."""
    return urlunsplit(urlsplit(redis_url)._replace(netloc=f"127.0.0.1:{link.port}"))


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


@pytest.mark.service
@pytest.mark.parametrize("outage", ["refuse", "silent"], ids=["redis-refuses", "redis-stops-answering"])
def test_the_settlement_completes_and_her_page_shows_it_after_reconnecting_when_redis_is_away(
    outage, services, start_server, start_worker, private_broker, redis_link, institution,
):
    grandma_user = make_citizen(make_person(name="王秀英", account_balance=Decimal("2380.50")))
    grandma = grandma_user.person
    balance_before = grandma.account_balance
    session = session_cookie(grandma_user)
    server = start_server("asgi-server-redis-away", CELERY_BROKER_URL=private_broker)
    worker = start_worker(f"worker-redis-{outage}", CELERY_BROKER_URL=private_broker,
                          CHANNEL_REDIS_HOSTS=_through(redis_link, services["redis_url"]),
                          SETTLEMENT_PAUSE_AFTER_PRESETTLE="1")

    with open_status_socket(server, session) as page:
        response = signed_post(server, institution, "/api/v1/settlements",
                               {**BILL, "code": issue_code_token(grandma.voucher.public_id)})
        assert response.status_code == 202, response.text + "\n" + server.describe()
        public_id = response.json()["id"]
        assert 'data-status="received"' in page.recv(timeout=10)
        # The provisional split came from the worker, through the link: the path works until now.
        assert 'data-status="presettled"' in page.recv(timeout=10), worker.describe()

        redis_link.cut(outage)

        settled = wait_for_settlement(public_id, FINAL_STATUSES, 20, worker, server)
        assert settled.status == "settled", f"{settled.status}: {settled.reason}"
        # The failed push did not hold the worker up, nor fail or retry the task.
        wait_until_logged(worker, f"push of settlement.status {settled.pk} to {person_group(grandma.pk)} failed", 15)
        wait_until_logged(worker, "succeeded in", 15)
        assert re.search(r"run_settlement\[[0-9a-f-]+\] succeeded in [0-9.]+s: 'settled'", worker.log()), \
            worker.describe()
        # Her open page heard nothing more while Redis was away.
        with pytest.raises(TimeoutError):
            page.recv(timeout=1)

    # She reconnects (the page does so by itself): the first thing it shows is the final split.
    with open_status_socket(server, session) as page_again:
        first = page_again.recv(timeout=10)
    assert 'data-status="settled"' in first
    assert "结算完成" in first
    for testid, amount in (("fund-pay", settled.fund_pay), ("account-pay", settled.account_pay),
                           ("self-pay", settled.self_pay)):
        assert f'data-testid="{testid}">{_money(amount)} 元' in first, first

    # Settled once, booked once.
    history = list(SettlementEvent.objects.filter(settlement=settled).values_list("status", flat=True))
    assert history == ["received", "presettled", "settled"]
    assert Accumulator.objects.get(person=grandma).fund_paid == settled.fund_pay
    assert InsuredPerson.objects.get(pk=grandma.pk).account_balance == balance_before - settled.account_pay
