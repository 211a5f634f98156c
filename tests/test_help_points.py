"""The help-point directory: public, filters by district, service and language, sorts by distance when the
browser shares where she is, and never breaks on odd input."""

from __future__ import annotations

import pytest
from django.test import Client

from assist.help_points import Place, distance_km, parse_place, seed_demo_help_points
from assist.models import HelpPoint

pytestmark = pytest.mark.django_db

CUIYUAN = ("30.2839", "120.1258")  # at the door of the 翠苑 community centre


@pytest.fixture
def points() -> int:
    return seed_demo_help_points()


def names(response) -> list[str]:
    return [p.name for p in response.context["page"]]


def test_anyone_can_open_the_directory_without_signing_in(points):
    response = Client().get("/assist/help-points/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "用我的位置找最近的" in page and 'href="tel:0571-88123401"' in page


def test_choosing_a_district_shows_only_its_points(points):
    response = Client().get("/assist/help-points/", {"district": "440100"})
    assert set(names(response)) == {"越秀区医保局 政务服务大厅", "中山大学附属第一医院 医保窗口"}


def test_service_and_language_filters_narrow_the_list(points):
    cantonese = names(Client().get("/assist/help-points/", {"language": "yue"}))
    assert cantonese and all("yue" in HelpPoint.objects.get(name=n).languages for n in cantonese)
    miao_or_bouyei_none = names(Client().get("/assist/help-points/", {"language": "hmn"}))
    assert miao_or_bouyei_none == []
    chronic_in_hangzhou = names(Client().get("/assist/help-points/", {"district": "330100", "service": "chronic"}))
    assert set(chronic_in_hangzhou) == {"西湖区医保服务中心 1号窗口", "浙江省人民医院 医保窗口"}


def test_her_location_puts_the_nearest_first_with_its_distance(points):
    response = Client().get("/assist/help-points/", {"near": "1", "lat": CUIYUAN[0], "lng": CUIYUAN[1]})
    listed = list(response.context["page"])
    assert listed[0].name == "翠苑街道社区卫生服务中心 帮办窗口"
    distances = [p.distance_km for p in listed]
    assert distances == sorted(distances)
    page = response.content.decode()
    assert "约 0.0 公里" in page and "按离您的远近排好了" in page


def test_the_distance_is_the_great_circle_one():
    hangzhou, shanghai = Place(30.2741, 120.1551), Place(31.2304, 121.4737)
    assert 160 < distance_km(hangzhou, shanghai) < 170


@pytest.mark.parametrize(("lat", "lng"), [("abc", "1"), ("91", "120"), ("30", "181"), ("nan", "inf"), ("", ""),
                                          ("1e400", "0"), ("30" * 50, "120")])
def test_nonsense_coordinates_give_a_plain_message_not_an_error(points, lat, lng):
    response = Client().get("/assist/help-points/", {"near": "1", "lat": lat, "lng": lng})
    assert response.status_code == 200
    assert response.context["location_problem"]
    assert len(names(response)) > 0  # the list is still there, by district


def test_a_refused_location_says_so_and_the_district_search_still_works(points):
    response = Client().get("/assist/help-points/", {"near": "1", "denied": "1", "district": "330100"})
    page = response.content.decode()
    assert "没有拿到您的位置" in page
    assert "翠苑街道社区卫生服务中心 帮办窗口" in page


@pytest.mark.parametrize("query", [{"district": "999999"}, {"service": "<script>"}, {"page": "-3"}, {"page": "x"}])
def test_odd_filters_never_break_the_page(points, query):
    assert Client().get("/assist/help-points/", query).status_code == 200


def test_parse_place_keeps_real_places_only():
    assert parse_place("30.1", "120.2") == Place(30.1, 120.2)
    assert parse_place(None, None) is None


def test_the_list_is_paged_and_the_filters_follow_the_pages(points):
    first = Client().get("/assist/help-points/", {"language": "cmn"})
    assert first.context["page"].paginator.num_pages == 2
    assert "language=cmn&amp;page=2" in first.content.decode()


def test_each_point_has_its_own_page_and_a_closed_one_is_gone(points):
    point = HelpPoint.objects.get(name="三墩镇兰里村卫生室")
    page = Client().get(f"/assist/help-points/{point.public_id}/").content.decode()
    assert "周一至周六 8:00-11:30" in page and "吴语" in page
    HelpPoint.objects.filter(pk=point.pk).update(is_active=False)
    assert Client().get(f"/assist/help-points/{point.public_id}/").status_code == 404


def test_the_directory_speaks_english_too(points):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en"})
    response = client.get("/assist/help-points/")
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()
