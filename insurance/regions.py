"""The regions the demo bureau knows, by administrative code."""

from django.utils.translation import gettext_lazy as _

REGION_NAMES = {
    "110000": _("北京市"),
    "310000": _("上海市"),
    "330100": _("杭州市"),
    "440100": _("广州市"),
    "440300": _("深圳市"),
    "510100": _("成都市"),
}


def region_name(code: str) -> str:
    return str(REGION_NAMES.get(code, code))
