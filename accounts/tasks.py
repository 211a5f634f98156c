from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Channel, MessageStatus, OutboundMessage
from accounts.sms import GatewayError, get_gateway

logger = logging.getLogger(__name__)


def _attempt(message: OutboundMessage, *, last_try: bool) -> GatewayError | None:
    """One try at the gateway for a locked, pending message; records the outcome on the row (not saved)."""
    message.attempts += 1
    try:
        get_gateway().deliver(message)
    except GatewayError as exc:
        message.last_error = str(exc)[:200]
        if last_try:
            message.status = MessageStatus.FAILED
        return exc
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    return None


@shared_task(bind=True, max_retries=5, acks_late=True)
def deliver_message(self, message_id: int) -> str:
    """Send one outbound message. Safe to run twice: a sent message is never sent again."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != MessageStatus.PENDING:
            return "skipped"
        error = _attempt(message, last_try=self.request.retries >= self.max_retries)
        message.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    if error is not None and message.status != MessageStatus.FAILED:
        raise self.retry(exc=error, countdown=2**self.request.retries)
    return message.status


def queue_delivery(message_id: int) -> bool:
    """Hand a saved message to the workers. Used from `transaction.on_commit`, so it never raises: when the
    broker cannot take it the message stays pending and `resend_pending_messages` (beat) sends it later."""
    try:
        deliver_message.delay(message_id)
    except Exception as exc:  # the broker's connection errors differ by transport
        logger.warning("message %s not queued, left for the re-send job: %s", message_id, type(exc).__name__)
        return False
    return True


def delivery_possible() -> bool:
    """Whether the broker answers now, checked before a one-time code is made: a code we cannot hand to the
    workers is better not made at all than sent minutes late. (Eager mode needs no broker.)"""
    app = deliver_message.app
    if app.conf.task_always_eager:
        return True
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                         timeout=settings.SMS_BROKER_CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        logger.warning("message broker unreachable: %s", type(exc).__name__)
        return False
    return True


def _resend_one(message_id: int) -> bool:
    """Deliver one pending message under its row lock; a row another worker holds is skipped (it is being
    sent), a row no longer pending is skipped (sent already). True when this call sent it."""
    with transaction.atomic():
        message = (OutboundMessage.objects.select_for_update(skip_locked=True)
                   .filter(pk=message_id, status=MessageStatus.PENDING).first())
        if message is None:
            return False
        error = _attempt(message, last_try=message.attempts + 1 >= settings.SMS_RESEND_MAX_ATTEMPTS)
        message.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    return error is None


@shared_task(acks_late=True)
def resend_pending_messages() -> int:
    """Beat, every minute: send messages still pending a minute after they were made (their task was never
    queued, e.g. the broker was down, or was lost). Gives up, marking them failed, on messages too old to
    be useful or tried too often, so nothing stays pending for ever. Safe to run twice or at once on two
    workers: each message is sent under its row lock and only while pending."""
    now = timezone.now()
    gave_up = OutboundMessage.objects.filter(status=MessageStatus.PENDING).filter(
        Q(created_at__lt=now - dt.timedelta(seconds=settings.SMS_RESEND_MAX_AGE_SECONDS))
        # A voice call only ever reads out a one-time code: useless once the code has expired.
        | Q(channel=Channel.VOICE, created_at__lt=now - dt.timedelta(seconds=settings.OTP_CODE_TTL_SECONDS))
        | Q(attempts__gte=settings.SMS_RESEND_MAX_ATTEMPTS)
    ).update(status=MessageStatus.FAILED, last_error="gave up: too old or too many attempts")
    if gave_up:
        logger.warning("gave up on %d pending messages", gave_up)
    due = (OutboundMessage.objects
           .filter(status=MessageStatus.PENDING,
                   created_at__lte=now - dt.timedelta(seconds=settings.SMS_RESEND_AFTER_SECONDS))
           .order_by("created_at").values_list("pk", flat=True)[:settings.SMS_RESEND_BATCH])
    return sum(1 for message_id in list(due) if _resend_one(message_id))
