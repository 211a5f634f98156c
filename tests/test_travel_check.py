""""要去外地看病？": where and when, then whether she is covered at the filed rate, what a visit would cost her
with and without a filing, and a button to file now; said aloud in elder mode.

奶奶 is insured in Hangzhou (职工医保). The demo rules for her at a tertiary hospital's outpatient clinic, out of
her region: filed, 起付线 300 and 75%; not filed, 起付线 450 and 60% (insurance/demo.py). For a 1000-yuan
bill with nothing used this year: filed, the fund pays (1000 − 300) × 75% = 525 and she 475; not filed,
(1000 − 450) × 60% = 330 and she 670.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from audit.kinds import Kind
from audit.models import AuditEvent
from conftest import client_for, make_citizen, make_person
from elder_mode.voice.text import clean_spoken_text
from family.actions import invite_proxy
from insurance.filings import Filing, ReviewStatus
from insurance.policy import Accumulator

EXAMPLE_UNCOVERED = "以在三级医院门诊花1000元为例：备案后医保付约525元，您付约475元；不备案医保付约330元，您付约670元。"


def ask(client, city="310000", on=None, province=None):
    params = {"city": city, "on": (on or timezone.localdate()).isoformat()}
    if province is not None:
        params["province"] = province
    return client.get("/services/travel/", params)


def answer_of(response) -> str:
    body = response.content.decode()
    found = re.search(r'data-testid="travel-answer">.*?</section>', body, re.S)
    return found.group(0) if found else ""


def filing(person, *, city="310000", start=None, end=None, status=ReviewStatus.APPROVED) -> Filing:
    start = start or timezone.localdate()
    return Filing.objects.create(person=person, region_code=city, valid_from=start, valid_until=end, status=status)


def test_the_page_asks_where_and_when_with_today_filled_in(mother_client):
    body = mother_client.get("/services/travel/").content.decode()
    assert 'name="province"' in body and 'name="city"' in body
    assert f'type="date" name="on" value="{timezone.localdate().isoformat()}"' in body
    assert '<optgroup label="海南省">' in body
    assert "/elder/voice/cmn/normal/travel_check.audio" in body
    assert 'data-testid="travel-answer"' not in body


def test_without_a_filing_she_learns_what_she_would_pay_and_can_file_now(mother_client):
    today = timezone.localdate()
    response = ask(mother_client, "310000", today)
    assert response.status_code == 200
    answer = answer_of(response)
    assert "您还没有备案" in answer and "上海市" in answer
    assert EXAMPLE_UNCOVERED in answer
    link = re.search(r'href="([^"]+)" data-testid="file-now"', answer)
    url = urlsplit(html.unescape(link.group(1)))
    assert url.path == "/services/filing/"
    assert parse_qs(url.query) == {"city": ["310000"], "from": [today.isoformat()]}


def test_with_a_filing_in_force_she_is_covered_and_told_until_when(mother_client, mother):
    today = timezone.localdate()
    filing(mother, start=today - dt.timedelta(days=3), end=today + dt.timedelta(days=30))
    answer = answer_of(ask(mother_client, "310000", today + dt.timedelta(days=10)))
    until = today + dt.timedelta(days=30)
    assert "您已经备案了" in answer and f"备案到{until.year}年{until.month}月{until.day}日为止" in answer
    assert "备案后医保付约525元" in answer
    assert 'data-testid="file-now"' not in answer


def test_an_open_ended_filing_is_said_to_last(mother_client, mother):
    filing(mother, end=None)
    assert "备案长期有效" in answer_of(ask(mother_client))


def test_a_filing_for_another_city_or_after_the_day_does_not_cover_her(mother_client, mother):
    today = timezone.localdate()
    filing(mother, city="440100")
    filing(mother, start=today + dt.timedelta(days=20), end=today + dt.timedelta(days=40))
    assert "您还没有备案" in answer_of(ask(mother_client, "310000", today + dt.timedelta(days=5)))


def test_a_filing_under_review_is_named_and_not_taken_for_cover(mother_client, mother):
    filing(mother, status=ReviewStatus.PENDING, end=timezone.localdate() + dt.timedelta(days=9))
    answer = answer_of(ask(mother_client))
    assert "备案还没通过" in answer
    assert 'href="/services/filings/"' in answer


def test_her_own_city_needs_no_filing(mother_client):
    answer = answer_of(ask(mother_client, "330100"))
    assert "在本地看病不用备案" in answer
    assert "file-now" not in answer and "以在三级医院" not in answer


def test_a_city_without_direct_settlement_says_pay_keep_the_invoices_and_claim_at_home(mother_client):
    answer = answer_of(ask(mother_client, "460300"))
    assert "三沙市的医院还不能直接用医保结算" in answer and "收好发票" in answer and "手工报销" in answer
    assert 'href="/services/reimbursement/"' in answer and 'href="tel:12393"' in answer
    assert "file-now" not in answer


def test_what_she_has_used_this_year_changes_the_example(mother_client, mother):
    today = timezone.localdate()
    Accumulator.objects.create(person=mother, year=today.year, deductible_used=Decimal("300"))
    # filed: nothing left of the 300 → 1000 × 75% = 750; not filed: 150 left → 850 × 60% = 510.
    answer = answer_of(ask(mother_client, "310000", today))
    assert "备案后医保付约750元，您付约250元；不备案医保付约510元，您付约490元" in answer


def test_a_resident_gets_her_own_schemes_rates(client, db):
    person = make_person(name="居民甲", scheme="resident", region_code="330100")
    # resident: filed 60% after 300 → 420; not filed 45% after 450 → 247.5 → about 248.
    answer = answer_of(ask(client_for(make_citizen(person)), "310000"))
    assert "备案后医保付约420元，您付约580元；不备案医保付约248元，您付约752元" in answer


def test_the_answer_is_spoken_and_can_be_heard_again(mother_client):
    body = ask(mother_client).content.decode()
    spoken = html.unescape(re.search(r'data-speak="([^"]+)" data-testid="travel-answer"', body).group(1))
    assert spoken.startswith("您还没有备案") and spoken.endswith(EXAMPLE_UNCOVERED)
    assert clean_spoken_text(spoken) == spoken  # the voice endpoint will accept it
    listen = html.unescape(re.search(r'href="([^"]+)" data-voice-play', body).group(1))
    assert listen.startswith("/elder/voice/say?") and parse_qs(urlsplit(listen).query)["text"] == [spoken]
    # The answer is the first thing the page says when voice is on.
    assert body.index('data-voice-guide="/elder/voice/say?') < body.index("travel_check.audio")


@pytest.mark.parametrize(("params", "message"), [
    ({"city": "310000", "on": "2020-01-01"}, "请选今天或以后的日期"),
    ({"city": "310000", "on": "2026-13-45"}, "日期请按“年-月-日”填写"),
    ({"city": "310000", "on": "明天"}, "日期请按“年-月-日”填写"),
    ({"city": "310000", "on": ""}, "请填写看病的日期"),
    ({"city": "999999", "on": "TODAY"}, "请从列表里选一个城市"),
    ({"city": "", "on": "TODAY"}, "请选择要去的城市"),
    ({"province": "xx", "city": "310000", "on": "TODAY"}, "请从列表里选一个省份"),
    ({"province": "460000", "city": "310000", "on": "TODAY"}, "这个城市不在您选的省份里"),
    ({"city": "310000", "on": "FAR"}, "只能查一年以内的日期"),
])
def test_bad_input_gets_a_plain_message_under_the_field(mother_client, params, message):
    today = timezone.localdate()
    values = {"TODAY": today.isoformat(), "FAR": (today + dt.timedelta(days=400)).isoformat()}
    response = mother_client.get("/services/travel/", {k: values.get(v, v) for k, v in params.items()})
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and 'class="field-error"' in body
    assert 'data-testid="travel-answer"' not in body


def test_choosing_only_a_province_narrows_the_cities_to_it(mother_client):
    body = mother_client.get("/services/travel/", {"province": "460000", "city": "",
                                                   "on": timezone.localdate().isoformat()}).content.decode()
    assert "请选择要去的城市" in body
    cities = re.search(r'<select name="city".*?</select>', body, re.S).group(0)
    assert "三亚市" in cities and "上海市" not in cities


def test_a_visitor_is_asked_to_sign_in(client, db):
    response = client.get("/services/travel/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_a_stranger_sees_only_his_own_filings(stranger_client, mother):
    filing(mother)
    assert "您还没有备案" in answer_of(ask(stranger_client))


@pytest.fixture
def son_acting(mother_user, son):
    def act(scopes):
        grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=scopes)
        client = client_for(son)
        client.post(f"/family/{grant.public_id}/act/")
        return client, grant
    return act


def test_a_proxy_without_view_records_is_refused(son_acting, mother):
    client, _ = son_acting(["show_code"])
    filing(mother)
    response = ask(client)
    assert response.status_code == 403
    assert "您已经备案了" not in response.content.decode()


def test_a_proxy_with_view_records_sees_her_answer_and_she_reads_that_he_looked(son_acting, mother):
    client, grant = son_acting(["view_records"])
    filing(mother)
    answer = answer_of(ask(client))
    assert "您已经备案了" in answer
    event = AuditEvent.objects.filter(action=Kind.RECORDS_VIEWED, subject=mother).latest("id")
    assert event.detail == {"grant_id": grant.pk} and event.actor == grant.proxy


def test_a_proxy_without_act_is_not_offered_to_file(son_acting):
    client, _ = son_acting(["view_records"])
    answer = answer_of(ask(client))
    assert "您还没有备案" in answer and 'data-testid="file-now"' not in answer


def test_a_proxy_with_act_is_offered_to_file_for_her(mother_user, son):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                         scopes=["view_records", "act"])
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    assert 'data-testid="file-now"' in answer_of(ask(client))


def test_a_helper_at_a_kiosk_outside_a_session_gets_nothing_of_hers(kiosk_client, mother_user, mother):
    filing(mother)
    response = ask(kiosk_client)
    assert response.status_code in (302, 403)
    assert "您已经备案了" not in response.content.decode()
