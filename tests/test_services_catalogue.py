"""办事: the twelve services on one page, none a dead link; elder mode shows the six most used first, big."""

from __future__ import annotations

import dataclasses
import re

import pytest
from django.urls import resolve

from services.catalogue import SERVICES, Channel, service

TWELVE = ["参保登记", "参保信息查询", "缴费", "缴费记录查询", "待遇查询", "异地就医备案", "门诊慢特病待遇认定", "手工报销",
          "转移接续", "个税扣除查询", "医保码激活", "亲情账户"]
ELDER_FIRST = ["异地就医备案", "待遇查询", "医保码激活", "亲情账户", "缴费记录查询", "门诊慢特病待遇认定"]


def hrefs_of(body: str) -> dict[str, str]:
    """Each entry's first link on the catalogue page, by slug (the button that does it or says how)."""
    links = {}
    for slug, card in re.findall(r'<li class="card service-card" data-service="([^"]+)">(.*?)</li>', body, re.S):
        links[slug] = re.search(r'<a class="button[^"]*" href="([^"]+)"', card).group(1)
    return links


def assert_complete_instruction(body: str, entry) -> None:
    assert 'data-testid="window-address"' in body, entry.slug
    assert "周一至周五" in body, entry.slug  # hours
    assert "12393" in body and 'href="tel:12393"' in body, entry.slug
    for material in entry.materials:
        assert str(material) in body, (entry.slug, material)
    for step in entry.steps:
        assert str(step) in body, (entry.slug, step)


def test_the_catalogue_holds_the_twelve_services_each_with_code_materials_time_steps_and_channels():
    assert sorted(str(s.name) for s in SERVICES) == sorted(TWELVE)
    assert len({s.national_code for s in SERVICES}) == 12
    assert len({s.slug for s in SERVICES}) == 12
    for s in SERVICES:
        assert re.fullmatch(r"\d{6}", s.national_code), s.slug
        assert s.purpose and s.materials and s.time_limit, s.slug
        assert 2 <= len(s.steps) <= 4, s.slug
        assert s.channels and set(s.channels) <= set(Channel), s.slug


def test_the_services_not_yet_online_say_where_to_go_and_the_others_name_their_flow():
    offline = {str(s.name) for s in SERVICES if not s.online}
    assert "缴费" not in offline and service("pay").url_name == "payments:contribution"
    assert "手工报销" not in offline and service("reimbursement").url_name == "services:claims"
    assert service("payment-records").url_name == service("enrolment-info").url_name == "insurance:enrollment"
    assert service("benefit-query").url_name == "services:benefits"
    assert service("cross-region-filing").url_name == "services:filing_start"
    assert service("chronic-care").url_name == "services:chronic"
    assert service("family-account").url_name == "family:hub"


def test_an_entry_goes_online_by_naming_its_url_and_nothing_else():
    transfer = service("transfer")
    assert transfer.href(None) == "/services/transfer/"
    assert dataclasses.replace(transfer, url_name="services:benefits").href(None) == "/services/benefits/"


def test_every_entry_leads_her_to_a_working_flow_or_a_complete_instruction(mother_client):
    body = mother_client.get("/services/").content.decode()
    links = hrefs_of(body)
    assert sorted(links) == sorted(s.slug for s in SERVICES)
    for entry in SERVICES:
        response = mother_client.get(links[entry.slug], follow=True)
        assert response.status_code == 200, (entry.slug, links[entry.slug])
        assert "/accounts/login/" not in response.request["PATH_INFO"], entry.slug
        if not entry.online:
            assert_complete_instruction(response.content.decode(), entry)
            assert "翠苑街道社区卫生服务中心" in response.content.decode()  # her own region's window


def test_every_entry_leads_a_visitor_to_a_page_or_to_sign_in(client, db):
    links = hrefs_of(client.get("/services/").content.decode())
    assert len(links) == 12
    for entry in SERVICES:
        response = client.get(links[entry.slug])
        if response.status_code == 302:
            assert entry.online and response.url.startswith("/accounts/login/"), (entry.slug, response.url)
            continue
        assert response.status_code == 200, entry.slug
        if not entry.online:
            assert_complete_instruction(response.content.decode(), entry)


def test_every_entry_has_its_own_page_with_what_to_bring_and_how_long(client, db):
    for entry in SERVICES:
        body = client.get(f"/services/{entry.slug}/").content.decode()
        assert str(entry.time_limit) in body and entry.national_code in body, entry.slug
        for material in entry.materials:
            assert str(material) in body, entry.slug
        if entry.online:
            assert 'data-testid="service-start"' in body, entry.slug


def test_code_activation_opens_her_code_once_it_is_active_and_the_wizard_otherwise(mother_client, client, db):
    assert hrefs_of(mother_client.get("/services/").content.decode())["code-activation"] == "/code/"
    assert hrefs_of(client.get("/services/").content.decode())["code-activation"] == "/activate/"


def test_the_service_pages_never_hide_the_other_pages_of_the_app(client, db):
    assert resolve("/services/filing/").url_name == "filing_start"
    assert resolve("/services/travel/").url_name == "travel_check"
    assert resolve("/services/benefits/").url_name == "benefits"
    assert resolve("/services/pay/").url_name == "service"
    assert client.get("/services/no-such-service/").status_code == 404


def test_the_standard_page_groups_all_twelve_by_topic(mother_client):
    body = mother_client.get("/services/").content.decode()
    for topic in ("参保", "缴费", "看病和报销", "医保码和家人"):
        assert f">{topic}</h2>" in body
    for name in TWELVE:
        assert f">{name}</h3>" in body
    assert "/services/travel/" in body


@pytest.fixture
def elder(mother_user):
    mother_user.elder_mode = True
    mother_user.save()
    return mother_user


def test_elder_mode_shows_the_six_most_used_first_and_the_other_six_further_down(mother_client, elder):
    body = mother_client.get("/services/").content.decode()
    first = re.search(r'data-testid="services-first">(.*?)</nav>', body, re.S).group(1)
    more = re.search(r'data-testid="services-more">(.*?)</section>', body, re.S).group(1)
    assert re.findall(r">([^<>]+)</a>", first) == ELDER_FIRST
    assert "更多服务" in more
    assert sorted(re.findall(r">([^<>]+)</a>", more)) == sorted(set(TWELVE) - set(ELDER_FIRST))
    assert first.count("button-big") == 6
    assert body.index("services-first") < body.index("services-more")


def test_the_catalogue_has_its_spoken_guide_and_the_help_block(client, db):
    body = client.get("/services/").content.decode()
    assert "/elder/voice/cmn/normal/services.audio" in body
    assert 'id="help-title"' in body and "12393" in body
    assert "/elder/voice/cmn/normal/service_offline.audio" in client.get("/services/transfer/").content.decode()
    assert "/elder/voice/cmn/normal/service_online.audio" in client.get("/services/benefit-query/").content.decode()


def test_the_home_page_links_the_hub_and_the_elder_home_keeps_its_four_choices(mother_client, mother_user):
    assert 'href="/services/"' in mother_client.get("/").content.decode()
    mother_user.elder_mode = True
    mother_user.save()
    body = mother_client.get("/").content.decode()
    nav = re.search(r'<nav class="elder-home".*?</nav>', body, re.S).group(0)
    assert re.findall(r">([^<>]+)</a>", nav) == ["出示医保码", "家人帮我", "查记录", "求助"]
    assert 'href="/services/"' in body


def test_a_visitor_sees_every_listed_window_when_her_region_is_unknown(client, db):
    body = client.get("/services/transfer/").content.decode()
    assert "翠苑街道社区卫生服务中心" in body and "锦江区医保服务大厅" in body


def test_in_elder_mode_the_twelve_buttons_lead_where_the_standard_cards_do(mother_client, mother_user):
    standard = hrefs_of(mother_client.get("/services/").content.decode())
    mother_user.elder_mode = True
    mother_user.save()
    body = mother_client.get("/services/").content.decode()
    elder = {slug: href for href, slug in re.findall(
        r'<a class="button button-big[^"]*" href="([^"]+)" data-service="([^"]+)"', body)}
    assert elder == standard
