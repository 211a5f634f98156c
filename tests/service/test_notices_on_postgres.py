"""A settlement fails while a real Celery worker on Redis runs it and nobody has a page open: within seconds
her phone and her son's (view_settlements) each have exactly one notice, with the next step; running the task
again sends nothing more."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import MessageStatus, OutboundMessage
from accounts.tasks import deliver_message
from audit.models import AuditEvent
from core import crypto
from family.models import GrantStatus, ProxyGrant
from insurance.policy import PolicyRule
from notices import actions
from notices.models import Notice, NoticeStatus
from service.service_processes import ServiceProcess, wait_for_settlement
from settlement.actions import ItemIn, submit_settlement
from settlement.models import Status
from settlement.tasks import run_settlement
from vouchers.codes import issue_code_token

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

PILLS = ItemIn("Y0001", "阿莫西林胶囊", "A", Decimal("2"), Decimal("25.00"))


def _notices_to(phone: str) -> list[OutboundMessage]:
    index = crypto.blind_index("phone", phone)
    return [m for m in OutboundMessage.objects.filter(phone_index=index).order_by("id") if "验证码" not in m.body]


def _wait_for_sent(phones: list[str], worker: ServiceProcess, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(any(m.status == MessageStatus.SENT for m in _notices_to(p)) for p in phones):
            return
        time.sleep(0.2)
    pytest.fail(f"notices not delivered within {seconds}s\n{worker.describe()}", pytrace=False)


def test_a_failed_settlement_reaches_her_phone_and_her_sons_once_each(
        services, celery_worker, institution, mother_user, mother, son):
    assert connection.vendor == "postgresql"
    ProxyGrant.objects.create(principal=mother, proxy=son, relationship="child", scopes=["view_settlements"],
                              requested_scopes=["view_settlements"], status=GrantStatus.ACTIVE,
                              expires_at=timezone.now() + dt.timedelta(days=365))
    PolicyRule.objects.filter(region_code=mother.region_code).delete()  # no table: she goes to the manual window
    settlement = submit_settlement(institution=institution, code=issue_code_token(mother.voucher.public_id),
                                   visit_type="outpatient", items=[PILLS])
    wait_for_settlement(str(settlement.public_id), {Status.MANUAL}, 20, celery_worker)
    _wait_for_sent([mother.phone, son.phone], celery_worker)

    for phone in (mother.phone, son.phone):
        (notice,) = _notices_to(phone)
        assert "没有成功" in notice.body and "下一步" in notice.body and "人工窗口" in notice.body
        assert notice.attempts == 1
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.SENT}

    # The settlement task again, the notices again, the delivery again: nothing more is sent.
    run_settlement.apply(args=[settlement.pk])
    event = AuditEvent.objects.get(action="settlement.manual")
    assert actions.notify(event) == []
    for notice in Notice.objects.all():
        assert deliver_message.apply(args=[notice.message_id]).get() == "skipped"
    time.sleep(1)
    assert [len(_notices_to(p)) for p in (mother.phone, son.phone)] == [1, 1]
    assert Notice.objects.count() == 2
