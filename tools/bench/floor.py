"""The floor of the settlement loop on this stack (`python manage.py bench --measure floor`): what the plumbing
alone costs, so the sustained rate can be read against the most this machine could give.

POST /bench/floor/ (only in the benchmark's URLs, tools/bench/urls.py) inserts one settlement row and queues one
task on commit; the task (a worker imports this module through CELERY_IMPORTS in tools/bench/server_settings.py)
marks it settled and pushes one fragment to her own pages through `live`, so her socket checks her session
before it shows it, as for every push. Nothing else of a settlement happens here."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from functools import cache

from celery import shared_task
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from live import publish, register_fragment, to_person
from settlement.models import Settlement, Status
from tools.bench.people import BILL_TOTAL, demo_institution

FLOOR_PATH = "/bench/floor/"
FLOOR_FRAGMENT = "bench.floor"


def _render(public_id: str, language: str) -> str:
    # What the bench's sockets recognise as a final fragment (tools/bench/sockets.py): the status and the id.
    return (f'<div id="settlement-status" hx-swap-oob="true" data-status="settled">'
            f'<a href="/code/?after={public_id}">ok</a></div>')


register_fragment(FLOOR_FRAGMENT, "settlement-status", _render)


@csrf_exempt
@require_POST
def floor_settlement(request: HttpRequest) -> JsonResponse:
    payload = json.loads(request.body)
    settlement = Settlement.objects.create(
        institution_id=_institution_id(), person_id=int(payload["person"]), voucher_id=int(payload["voucher"]),
        code_nonce=uuid.uuid4().hex, visit_type="outpatient", total=BILL_TOTAL)
    transaction.on_commit(lambda: settle_floor.delay(settlement.pk))
    return JsonResponse({"id": str(settlement.public_id)}, status=202)


@cache
def _institution_id() -> int:
    return demo_institution().pk


@shared_task
def settle_floor(settlement_id: int) -> None:
    with transaction.atomic():
        settlement = Settlement.objects.only("person_id", "public_id").get(pk=settlement_id)
        Settlement.objects.filter(pk=settlement_id).update(
            status=Status.SETTLED, fund_pay=BILL_TOTAL, account_pay=Decimal("0"), self_pay=Decimal("0"),
            finished_at=timezone.now())
        publish(FLOOR_FRAGMENT, to_person(settlement.person_id), str(settlement.public_id))
