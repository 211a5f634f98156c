"""The regions the demo bureau knows, by national administrative code (GB/T 2260).

Cities are where people are insured and where institutions are; a cross-region filing names a province and
a city. `connected` says whether the city's hospitals settle directly through the national cross-region
network; a filing to a city that is not connected is refused with the next step (docs/architecture.md,
"Services")."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class City:
    code: str
    name: Promise
    province: str
    connected: bool = True


PROVINCES: dict[str, Promise] = {
    "110000": _("北京市"),
    "310000": _("上海市"),
    "320000": _("江苏省"),
    "330000": _("浙江省"),
    "440000": _("广东省"),
    "460000": _("海南省"),
    "510000": _("四川省"),
}

CITIES: list[City] = [
    City("110000", _("北京市"), "110000"),
    City("310000", _("上海市"), "310000"),
    City("320100", _("南京市"), "320000"),
    City("320500", _("苏州市"), "320000"),
    City("330100", _("杭州市"), "330000"),
    City("330200", _("宁波市"), "330000"),
    City("440100", _("广州市"), "440000"),
    City("440300", _("深圳市"), "440000"),
    City("460100", _("海口市"), "460000"),
    City("460200", _("三亚市"), "460000"),
    City("460300", _("三沙市"), "460000", connected=False),
    City("510100", _("成都市"), "510000"),
]
CITY_BY_CODE = {city.code: city for city in CITIES}

# Kept for the code that only needs a name for a code.
REGION_NAMES = {city.code: city.name for city in CITIES}


def region_name(code: str) -> str:
    return str(REGION_NAMES.get(code, code))


def city(code: str) -> City | None:
    return CITY_BY_CODE.get(code)


def cities_of(province_code: str) -> list[City]:
    return [c for c in CITIES if c.province == province_code]


def province_name(code: str) -> str:
    return str(PROVINCES.get(code, code))
