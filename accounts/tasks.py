from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.models import MessageStatus, OutboundMessage
from accounts.sms import GatewayError, get_gateway


@shared_task(bind=True, max_retries=5, acks_late=True)
def deliver_message(self, message_id: int) -> str:
    """Send one outbound message. Safe to run twice: a sent message is never sent again."""
    error: GatewayError | None = None
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status == MessageStatus.SENT:
            return "skipped"
        message.attempts += 1
        try:
            get_gateway().deliver(message)
        except GatewayError as exc:
            error = exc
            message.last_error = str(exc)[:200]
            if self.request.retries >= self.max_retries:
                message.status = MessageStatus.FAILED
        else:
            message.status = MessageStatus.SENT
            message.sent_at = timezone.now()
        message.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    if error is not None and message.status != MessageStatus.FAILED:
        raise self.retry(exc=error, countdown=2**self.request.retries)
    return message.status
