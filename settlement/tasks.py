"""Celery tasks. They take ids, are safe to run twice (row locks + compare-and-set on status), and retry."""

from __future__ import annotations

import datetime as dt
import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from settlement import actions  # a module, not its names: actions imports this module too
from settlement.models import FINAL_STATUSES, Settlement
from settlement.push import push_settlement

WATCHDOG_AFTER = dt.timedelta(minutes=5)
log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=1, retry_backoff_max=30,
             max_retries=8)
def run_settlement(self, settlement_id: int) -> str:
    # The final state follows the provisional split within milliseconds unless the bureau pauses between them:
    # then the split is worth showing and is pushed; otherwise only when the final state cannot follow now
    # (this try fails and is retried), so the pages are not sent a state that is gone before they draw it.
    pause = settings.SETTLEMENT_PAUSE_AFTER_PRESETTLE
    settlement = actions.presettle(settlement_id, push=bool(pause))
    if settlement is None or settlement.status in FINAL_STATUSES:
        return settlement.status if settlement else "missing"
    if pause:
        time.sleep(pause)
    try:
        return actions.finalize_settlement(settlement_id).status
    except BaseException:
        if not pause:
            try:  # the split as it was committed, without asking the database (which may be what failed)
                push_settlement(settlement)
            except Exception:
                log.warning("could not push the provisional split of settlement %s", settlement_id, exc_info=True)
        raise


@shared_task(acks_late=True)
def settlement_watchdog() -> int:
    """Anything without a final state after 5 minutes goes to the counter window, with the reason pushed."""
    cutoff = timezone.now() - WATCHDOG_AFTER
    stuck = list(Settlement.objects.filter(created_at__lt=cutoff).exclude(status__in=FINAL_STATUSES)
                 .values_list("pk", flat=True)[:500])
    for settlement_id in stuck:
        actions.move_to_manual(settlement_id)
    return len(stuck)


@shared_task(acks_late=True)
def requeue_unstarted(older_than_seconds: int = 30) -> int:
    """Settlements whose task was lost (broker down at submit) are queued again; running twice is safe."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    ids = list(Settlement.objects.filter(created_at__lt=cutoff, status__in=["received", "presettled"])
               .values_list("pk", flat=True)[:500])
    for settlement_id in ids:
        run_settlement.delay(settlement_id)
    return len(ids)
