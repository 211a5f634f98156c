"""Celery tasks of payments. They take ids, never personal data, and are safe to run twice: a provider event is
applied once (payments/actions.py), a payout is sent with its key as the provider's idempotency key."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from payments import actions, payouts  # modules, not their names: both import this module too
from payments.providers import get_provider


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=1, retry_backoff_max=30, max_retries=8)
def send_sandbox_notices(transaction_id: int, kind: str) -> int:
    """The sandbox provider's callbacks for one of its events (with the duplicates and disorder it is told
    to produce), handed to the same function the callback view calls."""
    provider = get_provider("sandbox")
    sent = 0
    for headers, body in provider.notices_for(transaction_id, kind):
        actions.receive_callback("sandbox", headers, body)
        sent += 1
    return sent


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=1, retry_backoff_max=30, max_retries=8)
def send_payout(payout_id: int) -> str:
    return payouts.process_payout(payout_id)


@shared_task(acks_late=True)
def reconcile_payments() -> dict[str, int]:
    return actions.reconcile_payments()


@shared_task(acks_late=True)
def reconcile_payouts() -> dict[str, int]:
    return payouts.reconcile_payouts()
