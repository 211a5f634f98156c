"""Community help points (帮办点) by region: where to get help in person."""

from django.utils.translation import gettext_lazy as _

HELP_POINTS = {
    "330100": [_("翠苑街道社区卫生服务中心 帮办窗口（文三路）"), _("西湖区医保服务中心 1号窗口")],
    "310000": [_("徐汇区医保事务中心 帮办窗口"), _("长宁区江苏路街道社区事务受理中心")],
    "110000": [_("海淀区医保中心 便民服务窗口")],
    "440100": [_("越秀区医保局 政务服务大厅")],
    "440300": [_("福田区医保服务站")],
    "510100": [_("锦江区医保服务大厅 长者窗口")],
}
DEFAULT_POINT = _("就近的社区服务中心或医院医保窗口")


def nearest_help_point(region_code: str | None) -> str:
    points = HELP_POINTS.get(region_code or "")
    return str(points[0]) if points else str(DEFAULT_POINT)
