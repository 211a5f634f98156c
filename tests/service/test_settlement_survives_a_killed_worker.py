"""The Celery worker dies (SIGKILL) between pre-settlement and final settlement; the next worker finishes
the job, and grandma's account and year-to-date totals change exactly once.

Which path brings the task back: the broker's own redelivery, not the periodic `requeue_unstarted`.
`run_settlement` is acks_late, so the killed worker never acknowledged its message; kombu's Redis
transport keeps it in the `unacked` hash and a worker's restore pass puts it back on the queue once it
is older than the visibility timeout. A worker runs that pass when it starts polling, then only every
~100 s; so the next worker is started once the 5 s visibility timeout has passed, and the test checks
it ran the very same task id the killed worker had received (a requeue would have a new id).
Only the workers need CELERY_VISIBILITY_TIMEOUT: the server just pushes the message onto the queue.
"""

from __future__ import annotations

import re
import signal
import time
from decimal import Decimal

import pytest

from conftest import make_citizen, make_person
from insurance.models import InsuredPerson
from insurance.policy import Accumulator
from service.service_processes import signed_post, wait_for_settlement
from settlement.models import FINAL_STATUSES, Settlement, SettlementEvent
from vouchers.codes import issue_code_token

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 5  # seconds; the settings' minimum
PAUSE_AFTER_PRESETTLE = 3  # the doomed worker sleeps here, and is killed while it does
BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"},
    {"code": "J02", "name": "血常规检查", "category": "A", "quantity": "1", "unit_price": "120.00"},
]}


def _task_ids_received(log: str) -> set[str]:
    return set(re.findall(r"Task settlement\.tasks\.run_settlement\[([0-9a-f-]+)\] received", log))


@pytest.mark.service
def test_a_settlement_whose_worker_is_killed_midway_is_finished_by_the_next_worker_and_booked_once(
    start_server, start_worker, private_broker, institution,
):
    grandma = make_citizen(make_person(name="王秀英", account_balance=Decimal("2380.50"))).person
    balance_before = grandma.account_balance
    server = start_server("asgi-server-worker-killed", CELERY_BROKER_URL=private_broker)
    doomed = start_worker("worker-killed-midway", CELERY_BROKER_URL=private_broker,
                          CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
                          SETTLEMENT_PAUSE_AFTER_PRESETTLE=str(PAUSE_AFTER_PRESETTLE))

    response = signed_post(server, institution, "/api/v1/settlements",
                           {**BILL, "code": issue_code_token(grandma.voucher.public_id)})
    assert response.status_code == 202, response.text + "\n" + server.describe()
    public_id = response.json()["id"]

    wait_for_settlement(public_id, {"presettled"}, 15, doomed, server)
    presettled_seen = time.monotonic()
    doomed.kill()  # asleep between presettle and finalize, its message not acknowledged
    assert doomed.process.returncode == -signal.SIGKILL
    [task_id] = _task_ids_received(doomed.log(tail=500_000))

    # Killed midway: provisional split shown, nothing booked yet.
    settlement = Settlement.objects.get(public_id=public_id)
    assert settlement.status == "presettled" and not settlement.booked
    assert not Accumulator.objects.filter(person=grandma, fund_paid__gt=0).exists()
    assert InsuredPerson.objects.get(pk=grandma.pk).account_balance == balance_before

    # The next worker's first restore pass must find the message older than the visibility timeout.
    time.sleep(max(0.0, presettled_seen + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
    successor = start_worker("worker-after-the-kill", CELERY_BROKER_URL=private_broker,
                             CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    settled = wait_for_settlement(public_id, FINAL_STATUSES, 30, successor, server)

    assert settled.status == "settled", f"{settled.status}: {settled.reason}\n{successor.describe()}"
    # The broker redelivered the killed worker's own message; nobody re-queued a new one.
    successor_log = successor.log(tail=500_000)
    assert _task_ids_received(successor_log) == {task_id}, successor.describe()
    assert re.search(rf"run_settlement\[{task_id}\] succeeded in [0-9.]+s: 'settled'", successor_log), \
        successor.describe()

    # Booked exactly once: the year's fund total, her personal account and the history agree.
    assert settled.booked
    assert settled.fund_pay + settled.account_pay + settled.self_pay == settled.total == Decimal("170.00")
    assert settled.account_pay > 0, "the bill should touch her personal account, or the balance check proves little"
    accumulator = Accumulator.objects.get(person=grandma)
    assert accumulator.fund_paid == settled.fund_pay
    assert InsuredPerson.objects.get(pk=grandma.pk).account_balance == balance_before - settled.account_pay
    history = list(SettlementEvent.objects.filter(settlement=settled).values_list("status", flat=True))
    assert history == ["received", "presettled", "settled"]
