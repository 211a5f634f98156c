"""Live status of a contribution order: her open pages and the payer's (her son paying for her) show the
order's status fragment, `#order-<public_id>` (hx-swap-oob), as soon as the provider's callback is booked.
Registered at start-up by PaymentsConfig.ready."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from live import Event, publish_all, register_fragment, to_person, to_user
from payments.models import PaymentOrder

ORDER = "payments.order"
# live bookkeeping only: the fragment names its own element (`order-<public_id>`), see the template.
TARGET = "order-status"


def _render(ref: Any, language: str) -> str | None:
    order = ref if isinstance(ref, PaymentOrder) else PaymentOrder.objects.select_related("person").filter(
        pk=ref).first()
    if order is None:
        return None
    with translation.override(language):
        return render_to_string("payments/_order_status.html", {"order": order, "live": True})


def push_order(order: PaymentOrder) -> None:
    """On commit: to her pages and to the payer's (once if they are the same person)."""
    events = [Event(ORDER, to_person(order.person_id), order.pk)]
    if order.payer.person_id != order.person_id:
        events.append(Event(ORDER, to_user(order.payer_id), order.pk))
    publish_all(events)


def register_payments_live() -> None:
    register_fragment(ORDER, TARGET, _render)
