"""The bill as the institution API and the offline upload receive it: one schema for both, so an online
settlement, a signed batch and the counter's own upload are read by the same rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from settlement.actions import ItemIn


def _storable(value: str) -> str:
    """No NUL (PostgreSQL text refuses it) and no lone surrogate (UTF-8 cannot encode it). The API's parser
    already answers these with 400 naming the field (portal/api.py); this also guards the counter's upload."""
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        raise ValueError("text holds a character that cannot be stored")
    return value


Text = Annotated[str, AfterValidator(_storable)]


class Item(Schema):
    # minLength/enum are stated for clients; validate_bill enforces them with its own plain messages.
    code: Text = Field(..., max_length=40, json_schema_extra={"minLength": 1}, description="项目编码，不能是空白")
    name: Text = Field(..., max_length=100, json_schema_extra={"minLength": 1}, description="项目名称，不能是空白")
    category: Text = Field(..., max_length=1, description="A 甲类 | B 乙类 | C 丙类",
                           json_schema_extra={"enum": ["A", "B", "C"]})
    quantity: Decimal
    unit_price: Decimal


class BillIn(Schema):
    code: Text = Field(..., max_length=400, json_schema_extra={"minLength": 1})
    visit_type: Literal["outpatient", "inpatient", "pharmacy"]
    items: list[Item] = Field(..., max_length=200, json_schema_extra={"minItems": 1})
    # Admin-editable data, so no enum: an unknown code is answered 422 unknown_condition by submit_settlement.
    condition: Text | None = Field(None, max_length=20, description=(
        "可选。门诊慢特病病种编码（例如 M03900 高血压）。她有这个病种的认定时按慢特病待遇结算；没有认定按普通规定结算；"
        "不认识的编码得到 422 unknown_condition。住院不按慢特病结算。"))


def bill_items(payload: BillIn) -> list[ItemIn]:
    return [ItemIn(i.code, i.name, i.category, i.quantity, i.unit_price) for i in payload.items]
