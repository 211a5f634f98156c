"""Offline captures uploaded in a batch: the one upload path (docs/decisions.md, "One batch-upload path").

Two doors lead here, each only saying who is uploading: the institution API (`POST /api/v1/settlements/batch`,
signed with an offline terminal's own key; settlement/api.py) and the counter's enrolled browser (`POST
/counter/batch`, an operator's session; counter/views.py). Past the door, both use this module: one schema
(`BatchItemIn`), one set of limits (`MAX_BATCH` here; the floor limit, the 72 hours and the code's validity
at `captured_at` in `submit_settlement`), one answer per item (`BatchResult`), idempotent per client_id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ValidationError

from insurance.models import Institution, OfflineTerminal
from settlement.actions import SettlementError, submit_settlement
from settlement.schemas import BillIn, Text, bill_items

MAX_BATCH = 100


class BatchItemIn(BillIn):
    client_id: Text = Field(..., min_length=1, max_length=64)
    captured_at: dt.datetime = Field(..., description="采集时间（收费电脑的时钟，带时区）；不能晚于现在，72小时内上传")


class BatchIn(Schema):
    # Stated for clients; `check_size` answers an empty batch with 422 empty_batch and more than 100 with 413.
    settlements: list[BatchItemIn] = Field(..., json_schema_extra={"minItems": 1, "maxItems": MAX_BATCH})


class BatchResult(Schema):
    client_id: str
    ok: bool
    id: UUID | None = None
    status: str | None = None
    error: str | None = None
    message: str | None = None


class BatchOut(Schema):
    accepted: int
    rejected: int
    results: list[BatchResult]


def read_batch(body: bytes) -> list:
    """A raw JSON body {"settlements": [...]} to its entries, each still to be validated by `upload_entry`.
    The API's parser and `BatchIn` do this for the signed door; the counter's door has only the body."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise SettlementError(400, "bad_json", _("上传的内容不是有效的 JSON。")) from None
    entries = data.get("settlements") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SettlementError(422, "bad_batch", _("上传内容里缺少结算列表（settlements）。"))
    return entries


def check_size(entries: Sequence) -> None:
    if not entries:
        raise SettlementError(422, "empty_batch", _("批量上传里没有结算。"))
    if len(entries) > MAX_BATCH:
        raise SettlementError(413, "batch_too_large", _("一次最多上传%(n)s笔，请分几次上传。") % {"n": MAX_BATCH})


def upload_batch(institution: Institution, entries: Sequence[BatchItemIn | object], *, terminal: OfflineTerminal,
                 operator=None) -> dict:
    """Every entry settled at most once per client_id, each with its own answer (a `BatchOut`). A refused entry
    does not stop the others. The batch as a whole is refused (SettlementError) only when it is empty or too big."""
    check_size(entries)
    results = [upload_entry(institution, entry, terminal=terminal, operator=operator) for entry in entries]
    accepted = sum(1 for r in results if r["ok"])
    return {"accepted": accepted, "rejected": len(results) - accepted, "results": results}


def upload_entry(institution: Institution, entry: BatchItemIn | object, *, terminal: OfflineTerminal,
                 operator=None) -> dict:
    """One offline capture (a `BatchResult`). An entry not yet validated is validated with `BatchItemIn`; one that
    does not fit is answered `bad_item` and not uploaded. The terminal is checked and recorded by
    `submit_settlement`."""
    if not isinstance(entry, BatchItemIn):
        try:
            entry = BatchItemIn.model_validate(entry)
        except ValidationError:
            client_id = entry.get("client_id") if isinstance(entry, dict) else None
            return _result(str(client_id or "")[:64], error="bad_item",
                           message=_("这笔离线结算的内容不完整或格式不对，没有上传。请让病人到人工窗口办理。"))
    try:
        s = submit_settlement(institution=institution, code=entry.code, visit_type=entry.visit_type,
                              items=bill_items(entry), captured_at=entry.captured_at, client_id=entry.client_id,
                              operator=operator, terminal=terminal, condition=entry.condition)
    except SettlementError as exc:
        return _result(entry.client_id, error=exc.error, message=exc.message)
    return _result(entry.client_id, settlement_id=s.public_id, status=s.status)


def _result(client_id: str, *, settlement_id: UUID | None = None, status: str | None = None, error: str | None = None,
            message: str | None = None) -> dict:
    """A `BatchResult` with every field, whichever door asked: accepted with id and status, or refused with
    error and message."""
    return {"client_id": client_id, "ok": error is None, "id": settlement_id, "status": status, "error": error,
            "message": message}
