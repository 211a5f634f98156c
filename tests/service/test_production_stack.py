"""The production stack as `make run-prod` runs it (deploy/supervisord.conf): two ASGI processes, a Celery worker
and beat kept by supervisord, the channel layer sharded over two Redis servers. Her page is open on one process
and her son's on the other; a settlement reaches both. Then the process her page was on is killed in the middle
of her next settlement: her phone reconnects to the other process and sees how it ended (docs/scale.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from websockets.exceptions import ConnectionClosed

from conftest import make_citizen, make_person
from family.actions import invite_proxy
from service.service_processes import (
    REPO,
    STARTUP_SECONDS,
    VENV_BIN,
    ServiceProcess,
    free_port,
    http,
    open_status_socket,
    redis_database,
    session_cookie,
    signed_post,
    spawn,
    wait_for_settlement,
)
from vouchers.codes import issue_code_token

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}]}
SHARD_DB = 7  # the first shard: a database of the usual Redis that no other test uses


@dataclass
class Stack:
    supervisor: ServiceProcess
    env: dict[str, str]
    web: list[ServiceProcess]  # one per ASGI process: its url; the process itself belongs to supervisord

    def ctl(self, *args: str) -> str:
        result = subprocess.run([str(VENV_BIN / "supervisorctl"), "-c", str(REPO / "deploy" / "supervisord.conf"),
                                 *args], env=self.env, capture_output=True, text=True, timeout=30)
        return result.stdout + result.stderr

    def describe(self) -> str:
        logs = sorted(Path(self.env["RUN_DIR"]).glob("*.log"))
        return self.ctl("status") + "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs)


def _two_free_ports() -> int:
    for _ in range(50):
        port = free_port()
        if port < 65000 and free_port_is(port + 1):
            return port
    raise RuntimeError("no two free ports side by side")


def free_port_is(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for(check, seconds: float, what: str, stack_or_process) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} within {seconds}s.\n{stack_or_process.describe()}", pytrace=False)


@pytest.fixture
def second_redis(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("A second redis-server (the channel layer's second shard) did not start: "
                            "is Redis installed (`redis-server`)?", pytrace=False)
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def production_stack(service_env, services, private_broker, second_redis, tmp_path: Path) -> Iterator[Stack]:
    base = _two_free_ports()
    shards = f"{redis_database(services['redis_url'], SHARD_DB)},{second_redis}"
    for url in shards.split(","):
        redis.Redis.from_url(url).flushdb()
    (tmp_path / "extra").mkdir()
    env = {**service_env, "CELERY_BROKER_URL": private_broker, "CHANNEL_REDIS_HOSTS": shards,
           "WEB_PROCESSES": "2", "WEB_BASE_PORT": str(base), "WEB_HOST": "127.0.0.1", "WORKERS": "1",
           "RUN_DIR": str(tmp_path), "APP_DIR": str(REPO), "VENV_BIN": str(VENV_BIN),
           # Her second settlement waits a moment between its two steps, so the kill lands in the middle.
           "SETTLEMENT_PAUSE_AFTER_PRESETTLE": "2"}
    supervisor = spawn("supervisord", [str(VENV_BIN / "supervisord"), "-c", str(REPO / "deploy" / "supervisord.conf")],
                       env, tmp_path)
    web = [ServiceProcess(name=f"web-{port}", process=supervisor.process, log_path=tmp_path / f"web-{port}.log")
           for port in (base, base + 1)]
    for process in web:
        process.url = f"http://127.0.0.1:{process.name.removeprefix('web-')}"
    stack = Stack(supervisor=supervisor, env=env, web=web)

    def all_running() -> bool:
        status = stack.ctl("status")
        return status.count("RUNNING") == 4 and all(_answers(p.url) for p in web)

    try:
        _wait_for(all_running, STARTUP_SECONDS, "The production stack (2 ASGI processes, a worker and beat) did not "
                  "start", stack)
        yield stack
    finally:
        supervisor.process.send_signal(signal.SIGTERM)
        try:
            supervisor.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(supervisor.process.pid, signal.SIGKILL)
        for url in shards.split(","):
            redis.Redis.from_url(url).flushdb()


def _answers(url: str) -> bool:
    try:
        with http() as session:
            return session.get(url + "/healthz", timeout=2).status_code == 200
    except Exception:
        return False


def _until_final(page, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    while True:
        fragment = page.recv(timeout=max(0.1, deadline - time.monotonic()))
        if 'data-status="settled"' in fragment:
            return fragment


@pytest.mark.service
def test_her_page_and_her_sons_on_two_processes_both_hear_the_result_and_a_killed_process_loses_nothing(
    production_stack, institution,
):
    stack = production_stack
    mother = make_citizen(make_person(name="王秀英", account_balance=Decimal("2380.50")))
    son = make_citizen(make_person(name="李建国"))
    invite_proxy(principal_user=mother, phone_e164=son.phone, relationship="child", scopes=["view_settlements"])
    her_process, his_process = stack.web

    with open_status_socket(her_process, session_cookie(mother)) as her_page, \
            open_status_socket(his_process, session_cookie(son)) as his_page:
        first = signed_post(his_process, institution, "/api/v1/settlements",
                            {**BILL, "code": issue_code_token(mother.person.voucher.public_id)})
        assert first.status_code == 202, first.text + stack.describe()
        assert "结算完成" in _until_final(her_page)
        watched = _until_final(his_page)
        assert 'id="family-live"' in watched and "王** 的结算" in watched

        second = signed_post(his_process, institution, "/api/v1/settlements",
                             {**BILL, "code": issue_code_token(mother.person.voucher.public_id)})
        assert second.status_code == 202, second.text + stack.describe()
        pid = int(stack.ctl("pid", f"web:{her_process.name}").strip())
        os.kill(pid, signal.SIGKILL)  # the process her page was on dies while the worker settles
        with pytest.raises((ConnectionClosed, TimeoutError)):
            while True:
                her_page.recv(timeout=10)
        # Her son's page, on the other process, still hears how it ended.
        assert "王** 的结算" in _until_final(his_page)

    settled = wait_for_settlement(second.json()["id"], {"settled"}, 20, stack.supervisor)
    # Her phone reconnects, and the load balancer sends it to the process that is still up: the page shows the
    # final state at once, nothing was lost while she was away.
    with open_status_socket(his_process, session_cookie(mother)) as her_page_again:
        shown = _until_final(her_page_again, seconds=5)
    assert "结算完成" in shown and f"{settled.total:.2f}" in shown
    # And supervisord started the killed process again.
    _wait_for(lambda: _answers(her_process.url), STARTUP_SECONDS, "The killed ASGI process was not restarted", stack)
