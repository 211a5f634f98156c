"""The help-point directory: filters, and distance from where she is (great-circle, no map service)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet

from assist.models import HelperArea, HelpLanguage, HelpPoint, HelpService
from elder_mode.help_points import nearest_help_point
from insurance.regions import CITIES, city

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float


def parse_place(lat: str | None, lng: str | None) -> Place | None:
    """Coordinates the browser sent; anything that is not a real place on Earth is simply no place."""
    try:
        latitude, longitude = float(Decimal((lat or "").strip()[:20])), float(Decimal((lng or "").strip()[:20]))
    except (InvalidOperation, ValueError):
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Place(latitude, longitude)


def distance_km(a: Place, b: Place) -> float:
    """Haversine distance along the Earth's surface."""
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def place_of(point: HelpPoint) -> Place:
    return Place(float(point.latitude), float(point.longitude))


def district_choices() -> list[tuple[str, str]]:
    """The districts that have an open help point, by the regions' own names."""
    used = set(HelpPoint.objects.filter(is_active=True).values_list("district", flat=True))
    return [(c.code, str(c.name)) for c in CITIES if c.code in used]


def known_district(code: str | None) -> str:
    return code if code and city(code) is not None else ""


def active_points() -> QuerySet[HelpPoint]:
    return HelpPoint.objects.filter(is_active=True)


def search(*, district: str = "", service: str = "", language: str = "", near: Place | None = None) -> list[HelpPoint]:
    """Open help points matching the filters; with `near`, nearest first and each with `distance_km` set.
    Services and languages are JSON lists, filtered in Python so SQLite and PostgreSQL answer the same
    (a directory of a few hundred points)."""
    points = list(active_points().filter(district=district) if district else active_points())
    if service in HelpService.values:
        points = [p for p in points if service in p.services]
    if language in HelpLanguage.values:
        points = [p for p in points if language in p.languages]
    if near is not None:
        for point in points:
            point.distance_km = distance_km(near, place_of(point))
        points.sort(key=lambda p: p.distance_km)
    return points


def nearest_to_district(district: str, limit: int = 3) -> list[HelpPoint]:
    """Where she can go instead when no helper comes to her district: that district's points first, then
    the points nearest to them (or any open point)."""
    own = list(active_points().filter(district=district)[:limit])
    if len(own) >= limit or not own:
        return own or list(active_points()[:limit])
    rest = [p for p in active_points().exclude(district=district)]
    anchor = place_of(own[0])
    rest.sort(key=lambda p: distance_km(anchor, place_of(p)))
    return own + rest[: limit - len(own)]


def fallback_point(district: str) -> str:
    """The static line of the help block (elder_mode/help_points.py), when the directory has nothing."""
    return nearest_help_point(district)


# --- demo data (portal/demo.py seeds these; real points are kept by staff in the admin) ----------------------

DEMO_POINTS = [
    ("翠苑街道社区卫生服务中心 帮办窗口", "community", "330100", "杭州市西湖区文三路翠苑一区12号", "30.283900", "120.125800",
     "周一至周五 8:30-17:00，周六上午", "0571-88123401", ["activate", "family", "filing", "claim"], ["cmn", "wuu"]),
    ("西湖区医保服务中心 1号窗口", "bureau", "330100", "杭州市西湖区文二西路2号", "30.280100", "120.107200",
     "周一至周五 9:00-17:00", "0571-88123402", ["activate", "family", "filing", "claim", "payment", "chronic"],
     ["cmn", "wuu"]),
    ("浙江省人民医院 医保窗口", "hospital", "330100", "杭州市上塘路158号门诊一楼", "30.289300", "120.159800",
     "每天 7:30-17:30", "0571-88123403", ["activate", "claim", "chronic"], ["cmn"]),
    ("三墩镇兰里村卫生室", "village", "330100", "杭州市西湖区三墩镇兰里村村委旁", "30.338000", "120.067500",
     "周一至周六 8:00-11:30", "0571-88123404", ["activate", "payment"], ["cmn", "wuu"]),
    ("徐汇区医保事务中心 帮办窗口", "bureau", "310000", "上海市徐汇区南丹路17号", "31.193700", "121.437800",
     "周一至周五 9:00-17:00", "021-64123405", ["activate", "family", "filing", "claim", "payment", "chronic"],
     ["cmn", "wuu"]),
    ("长宁区江苏路街道社区事务受理中心", "community", "310000", "上海市长宁区愚园路1000号", "31.221500", "121.430900",
     "周一至周六 8:30-17:00", "021-62123406", ["activate", "family", "payment"], ["cmn", "wuu"]),
    ("海淀区医保中心 便民服务窗口", "bureau", "110000", "北京市海淀区紫竹院路112号", "39.942600", "116.309800",
     "周一至周五 9:00-17:00", "010-88123407", ["activate", "family", "filing", "claim", "chronic"], ["cmn"]),
    ("越秀区医保局 政务服务大厅", "bureau", "440100", "广州市越秀区东风中路318号", "23.133600", "113.265200",
     "周一至周五 9:00-12:00，14:00-17:30", "020-83123408", ["activate", "family", "filing", "claim", "payment"],
     ["cmn", "yue"]),
    ("中山大学附属第一医院 医保窗口", "hospital", "440100", "广州市中山二路58号", "23.128700", "113.292500",
     "每天 8:00-17:00", "020-87123409", ["activate", "claim", "chronic"], ["cmn", "yue", "nan"]),
    ("福田区医保服务站", "community", "440300", "深圳市福田区福华三路88号", "22.538400", "114.058800",
     "周一至周五 9:00-18:00", "0755-83123410", ["activate", "family", "filing"], ["cmn", "yue", "nan"]),
    ("锦江区医保服务大厅 长者窗口", "bureau", "510100", "成都市锦江区东大街上东大街段246号", "30.654700", "104.083200",
     "周一至周五 9:00-17:00", "028-86123411", ["activate", "family", "filing", "claim", "payment", "chronic"],
     ["cmn", "sc"]),
    ("龙泉驿区洛带镇宝胜村卫生室", "village", "510100", "成都市龙泉驿区洛带镇宝胜村3组", "30.642100", "104.324500",
     "周一至周六 8:00-12:00", "028-84123412", ["activate", "payment"], ["cmn", "sc"]),
]
DEMO_HELPER_DISTRICTS = ["330100"]


def seed_demo_help_points(helper=None) -> int:
    """The demo directory, and the demo helper's area (so a visit asked for in Hangzhou finds him)."""
    for name, kind, district, address, lat, lng, hours, phone, services, languages in DEMO_POINTS:
        HelpPoint.objects.update_or_create(name=name, defaults={
            "kind": kind, "district": district, "address": address, "latitude": Decimal(lat),
            "longitude": Decimal(lng), "hours": hours, "phone": phone, "services": services,
            "languages": languages, "is_active": True})
    if helper is not None:
        for district in DEMO_HELPER_DISTRICTS:
            HelperArea.objects.get_or_create(helper=helper, district=district)
    return len(DEMO_POINTS)
