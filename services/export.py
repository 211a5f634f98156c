"""Her data to take away: everything the portal holds about her as one JSON document, format version "1"
(docs/export-format.md describes it, docs/export-schema-v1.json is its JSON Schema).

The document is written piece by piece and never held whole: each section reads its rows with
`queryset.iterator(chunk_size=...)` and each row is serialised on its own, so memory stays flat however long
her history is (tests/test_my_data_export.py measures it with 5,000 settlements). `stream` groups the pieces
into chunks of about `CHUNK_BYTES`; the view hands them to a StreamingHttpResponse, as an async iterator under
ASGI (a sync one would be gathered into a list first) and a sync one under WSGI.

Identifiers: her own download has her full name, ID number and phone; a proxy's has them masked (the format
document says why). Her bank account is always masked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.descriptions import describe
from audit.models import AuditEvent
from audit.models import Via as AuditVia
from core.export_sections import export_section
from insurance.filings import Entitlement, Filing
from insurance.models import Contribution, InsuredPerson
from insurance.regions import region_name
from services.models import Claim
from settlement.models import Settlement, SettlementItem

FORMAT = "yibaotong.personal-data"
FORMAT_VERSION = "1"
CHUNK_BYTES = 64 * 1024
ROWS_PER_QUERY = 500
SECTIONS = ("contributions", "settlements", "filings", "entitlements", "claims", "proxies", "account_record")


def _json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


# --- the sections ----------------------------------------------------------------------------------------------


def person_section(person: InsuredPerson, *, full_identifiers: bool) -> dict:
    return {
        "id": str(person.public_id),
        "name": person.name if full_identifiers else person.masked_name,
        "id_number": person.id_number if full_identifiers else person.masked_id_number,
        "phone": person.phone if full_identifiers else person.masked_phone,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "bank_name": person.bank_name,
        "bank_account": person.masked_bank_account,
        "identifiers": "full" if full_identifiers else "masked",
    }


def enrollment_section(person: InsuredPerson) -> dict:
    return {
        "scheme": person.scheme, "scheme_label": person.get_scheme_display(),
        "region_code": person.region_code, "region_name": person.region_name,
        "status": person.status, "status_label": person.get_status_display(),
        "enrolled_since": person.enrolled_since, "account_balance": person.account_balance,
        "household_id": person.household_id,
    }


def contributions(person: InsuredPerson) -> Iterator[dict]:
    rows = Contribution.objects.filter(person=person).order_by("paid_on", "id")
    for c in rows.iterator(chunk_size=ROWS_PER_QUERY):
        yield {"period": c.period, "amount": c.amount, "account_credit": c.account_credit, "paid_on": c.paid_on,
               "payer": c.payer}


def _visit_at(settlement: Settlement) -> dt.datetime:
    return settlement.captured_at or settlement.created_at


def settlements(person: InsuredPerson) -> Iterator[dict]:
    """Her settlements with their items, ROWS_PER_QUERY at a time. The items are read per batch as plain
    tuples rather than with prefetch_related: prefetching links each item back to its settlement, a reference
    cycle that only the cyclic garbage collector frees, so every batch would stay in memory until it ran."""
    rows = Settlement.objects.filter(person=person).select_related("institution").order_by("created_at", "id")
    batch: list[Settlement] = []
    for s in rows.iterator(chunk_size=ROWS_PER_QUERY):
        batch.append(s)
        if len(batch) == ROWS_PER_QUERY:
            yield from _settlement_rows(batch)
            batch = []
    yield from _settlement_rows(batch)


def _settlement_rows(batch: list[Settlement]) -> Iterator[dict]:
    if not batch:
        return
    items: dict[int, list[dict]] = {s.pk: [] for s in batch}
    found = (SettlementItem.objects.filter(settlement_id__in=list(items)).order_by("settlement_id", "id")
             .values_list("settlement_id", "code", "name", "category", "quantity", "unit_price", "amount"))
    for settlement_id, code, name, category, quantity, unit_price, amount in found:
        items[settlement_id].append({"code": code, "name": name, "category": category, "quantity": quantity,
                                     "unit_price": unit_price, "amount": amount})
    for s in batch:
        yield {
            "id": str(s.public_id),
            "visit_at": _visit_at(s),
            "received_at": s.created_at,
            "finished_at": s.finished_at,
            "institution": {"code": s.institution.code, "name": s.institution.name, "level": s.institution.level,
                            "region_code": s.institution.region_code},
            "visit_type": s.visit_type, "visit_type_label": s.get_visit_type_display(),
            "status": s.status, "status_label": s.get_status_display(),
            "offline": s.offline,
            "total": s.total, "fund_pay": s.fund_pay, "account_pay": s.account_pay, "self_pay": s.self_pay,
            "reason": _(s.reason) if s.reason else "",
            "next_step": _(s.next_step) if s.next_step else "",
            "items": items[s.pk],
            "breakdown": s.breakdown or {},
        }


def filings(person: InsuredPerson) -> Iterator[dict]:
    rows = Filing.objects.filter(person=person).order_by("submitted_at", "id")
    for f in rows.iterator(chunk_size=ROWS_PER_QUERY):
        yield {
            "id": str(f.public_id), "type": f.filing_type, "type_label": f.get_filing_type_display(),
            "region_code": f.region_code, "region_name": region_name(f.region_code), "hospital": f.hospital,
            "valid_from": f.valid_from, "valid_until": f.valid_until,
            "status": f.status, "status_label": f.get_status_display(), "reason": f.reason, "via": f.via,
            "submitted_at": f.submitted_at, "decided_at": f.decided_at,
        }


def entitlements(person: InsuredPerson) -> Iterator[dict]:
    rows = Entitlement.objects.filter(person=person).select_related("condition").order_by("submitted_at", "id")
    for e in rows.iterator(chunk_size=ROWS_PER_QUERY):
        yield {
            "id": str(e.public_id), "condition_code": e.condition.code, "condition_name": e.condition.name,
            "hospital": e.hospital, "status": e.status, "status_label": e.get_status_display(),
            "reason": e.reason, "valid_from": e.valid_from, "valid_until": e.valid_until, "via": e.via,
            "submitted_at": e.submitted_at, "decided_at": e.decided_at,
        }


def claims(person: InsuredPerson) -> Iterator[dict]:
    rows = (Claim.objects.filter(person=person).select_related("settlement", "payout")
            .order_by("submitted_at", "id"))
    for c in rows.iterator(chunk_size=ROWS_PER_QUERY):
        payout = c.payout
        yield {
            "id": str(c.public_id),
            "settlement_id": str(c.settlement.public_id) if c.settlement else None,
            "institution_name": c.institution_name, "region_code": c.region_code, "visit_date": c.visit_date,
            "visit_type": c.visit_type, "items": c.items or [], "total": c.total, "invoice_total": c.invoice_total,
            "destination": c.destination, "status": c.status, "status_label": c.get_status_display(),
            "reason": c.reason, "via": c.via, "submitted_at": c.submitted_at, "decided_at": c.decided_at,
            "fund_pay": c.fund_pay, "account_pay": c.account_pay, "self_pay": c.self_pay,
            "breakdown": c.breakdown or {},
            "payout": None if payout is None else {
                "amount": payout.amount, "destination": payout.destination, "status": payout.status,
                "requested_at": payout.requested_at, "paid_at": payout.paid_at},
        }


def _who(event: AuditEvent, person: InsuredPerson) -> str:
    """As her account record says it (audit/views.py): herself, or the masked name and the channel."""
    if event.via == AuditVia.SELF and (event.actor_id is None or getattr(event.actor, "person_id", None)
                                       == person.pk):
        return _("本人")
    return event.actor_label or event.get_via_display()


def account_record(person: InsuredPerson) -> Iterator[dict]:
    rows = AuditEvent.objects.filter(subject=person).select_related("actor").order_by("created_at", "id")
    for e in rows.iterator(chunk_size=ROWS_PER_QUERY):
        yield {"at": e.created_at, "kind": e.action, "what": describe(e.action), "via": e.via,
               "via_label": e.get_via_display(), "who": _who(e, person)}


def proxies(person: InsuredPerson) -> Iterable[dict]:
    provider = export_section("proxies")  # filled by family at start-up (core/export_sections.py)
    return provider(person) if provider is not None else ()


SECTION_ROWS = {"contributions": contributions, "settlements": settlements, "filings": filings,
                "entitlements": entitlements, "claims": claims, "proxies": proxies,
                "account_record": account_record}


# --- writing it --------------------------------------------------------------------------------------------------


def pieces(person: InsuredPerson, *, full_identifiers: bool, downloaded_by: dict) -> Iterator[str]:
    """The document as text pieces, in order; joined, they are one JSON object."""
    head = {
        "format": FORMAT, "version": FORMAT_VERSION,
        "generated_at": timezone.localtime().replace(microsecond=0),
        "language": translation.get_language() or "zh-hans",
        "downloaded_by": downloaded_by,
        "person": person_section(person, full_identifiers=full_identifiers),
        "enrollment": enrollment_section(person),
    }
    yield _json(head)[:-1]  # the head's closing brace is written at the very end
    for name in SECTIONS:
        yield f',"{name}":['
        first = True
        for row in SECTION_ROWS[name](person):
            yield ("" if first else ",") + _json(row)
            first = False
        yield "]"
    yield "}\n"


def stream(person: InsuredPerson, *, full_identifiers: bool, downloaded_by: dict,
           language: str) -> Iterator[bytes]:
    """UTF-8 chunks of about CHUNK_BYTES. Each chunk is made under the page's language: the iterator may be
    run after the view has returned, in another thread (ASGI)."""
    source = pieces(person, full_identifiers=full_identifiers, downloaded_by=downloaded_by)
    while True:
        with translation.override(language):
            buffer, size = [], 0
            for piece in source:
                data = piece.encode()
                buffer.append(data)
                size += len(data)
                if size >= CHUNK_BYTES:
                    break
        if not buffer:
            return
        yield b"".join(buffer)


def _next_chunk(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)


async def astream(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The same chunks for an ASGI server, one at a time. thread_sensitive keeps every step on one thread, so
    the database cursor of a section is always used by the thread that opened it."""
    step = sync_to_async(_next_chunk, thread_sensitive=True)
    while (chunk := await step(chunks)) is not None:
        yield chunk
