"""A small catalogue of common drugs and services for the counter: pick one instead of typing it.

The names are the items' own names as they go on the bill (data, like a price list), not UI text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class CatalogueItem:
    code: str
    name: str
    category: str  # A 甲类 | B 乙类 | C 丙类
    unit_price: Decimal


CATALOGUE: tuple[CatalogueItem, ...] = (
    CatalogueItem("Y0001", "阿莫西林胶囊", "A", Decimal("25.00")),
    CatalogueItem("Y0002", "布洛芬缓释胶囊", "A", Decimal("18.50")),
    CatalogueItem("Y0003", "硝苯地平控释片", "A", Decimal("32.80")),
    CatalogueItem("Y0004", "盐酸二甲双胍片", "A", Decimal("12.60")),
    CatalogueItem("Y0005", "阿托伐他汀钙片", "B", Decimal("45.00")),
    CatalogueItem("Y0006", "复方丹参滴丸", "B", Decimal("28.00")),
    CatalogueItem("Y0007", "头孢克洛胶囊", "B", Decimal("36.40")),
    CatalogueItem("Y0008", "维生素C片", "C", Decimal("6.00")),
    CatalogueItem("F0001", "普通门诊诊查费", "A", Decimal("10.00")),
    CatalogueItem("F0002", "血常规检查", "A", Decimal("20.00")),
    CatalogueItem("F0003", "胸部X线摄影", "A", Decimal("60.00")),
    CatalogueItem("F0004", "静脉输液（每组）", "A", Decimal("8.00")),
    CatalogueItem("F0005", "中医推拿（每次）", "C", Decimal("80.00")),
)

BY_CODE: dict[str, CatalogueItem] = {item.code: item for item in CATALOGUE}


def lookup(code: str) -> CatalogueItem | None:
    return BY_CODE.get((code or "").strip().upper())
