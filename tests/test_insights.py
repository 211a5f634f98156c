"""The staff dashboard (/staff/insights/): staff only (password + TOTP); bad input answered in plain words,
never a 500; each figure beside its target, met or not in words; accessible server-drawn charts with their
numbers beside them; the CSV; the activation funnel noted by the real activation screens; and the query budget:
a fixed number of queries however much data there is (the figures against a computed truth are in
tests/test_insights_figures.py)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import Via
from conftest import client_for, latest_code_sent_to, make_citizen, make_person, make_staff, worker_client
from feedback.models import Complaint
from insights.forms import period_bounds
from insights.models import FunnelVisit
from insurance.filings import Filing, ReviewStatus
from tests.helpers import GRANDMA, GRANDMA_PHONE
from vouchers.actions import activate_voucher, suspend_voucher

TZ = timezone.get_current_timezone()
NOW = dt.datetime(2026, 6, 28, 12, 0, tzinfo=TZ)
# The budget: the whole page in at most this many queries, whatever the amount of data (insights/figures.py).
QUERY_BUDGET = 30


@pytest.fixture
def staff(db) -> User:
    return make_staff()


@pytest.fixture
def staff_client(staff):
    return worker_client(staff)


def figure(body: str, key: str) -> tuple[str, str]:
    """(the value, the verdict in words) of one figure's row."""
    row = re.search(rf'data-key="{key}" data-value="([^"]*)">(.*?)</tr>', body, re.S)
    assert row, key
    verdict = re.search(r'data-testid="verdict">(.*?)</td>', row.group(2), re.S).group(1)
    return row.group(1), re.sub(r"<[^>]+>|⚠ ", "", verdict).strip()


def settle(time_machine, person, at: dt.datetime, status: str, seconds: int) -> None:
    key = str(uuid.uuid4())
    time_machine.move_to(at, tick=False)
    record_event(action=Kind.SETTLEMENT_RECEIVED, via=Via.INSTITUTION, subject=person, detail={"settlement": key})
    time_machine.move_to(at + dt.timedelta(seconds=seconds), tick=False)
    kind = {"settled": Kind.SETTLEMENT_SETTLED, "failed": Kind.SETTLEMENT_FAILED,
            "manual": Kind.SETTLEMENT_MANUAL}[status]
    record_event(action=kind, via=Via.SYSTEM, subject=person, detail={"settlement": key})


# --- who may ------------------------------------------------------------------------------------------


def test_citizens_helpers_and_staff_without_totp_are_kept_out(client, mother_client, helper, staff):
    for someone in (client, mother_client, worker_client(helper), client_for(staff)):
        for page in ("/staff/insights/", "/staff/insights/export.csv"):
            response = someone.get(page)
            assert response.status_code == 302 and "/accounts/worker/login/" in response.url, page


def test_staff_with_totp_see_the_dashboard_and_only_read_it(staff_client):
    assert staff_client.get("/staff/insights/").status_code == 200
    assert staff_client.post("/staff/insights/").status_code == 405


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "says"), [
    ("region=999999", "没有这个地区"),
    ("region=<script>", "没有这个地区"),
    ("period=decade", "请从列表里选一个时间段"),
    ("period=range&date_from=2026-13-01&date_to=2026-06-01", "请按“年-月-日”填写日期"),
    ("period=range&date_from=2026-06-10&date_to=2026-06-01", "结束日期不能早于开始日期"),
    ("period=range&date_to=2026-06-01", "请填开始日期"),
    ("period=range&date_from=2000-01-01&date_to=2026-06-01", "一次最多看三年"),
])
def test_bad_choices_get_a_plain_message_under_the_field_and_no_figures(staff_client, query, says):
    response = staff_client.get(f"/staff/insights/?{query}")
    body = response.content.decode()
    assert response.status_code == 200
    assert says in body and 'data-testid="figures"' not in body
    csv = staff_client.get(f"/staff/insights/export.csv?{query}")
    assert csv.status_code == 400 and says in csv.content.decode()


def test_a_period_with_no_data_says_so(staff_client, mother_user):
    body = staff_client.get("/staff/insights/?period=range&date_from=2020-01-01&date_to=2020-01-31").content.decode()
    assert "这段时间没有数据" in body
    assert "暂无数据" in body
    assert "2020-01-01 至 2020-01-31" in body


# --- the page -----------------------------------------------------------------------------------------


def test_each_figure_stands_beside_its_target_met_or_not_in_words(staff_client, mother, time_machine):
    for n in range(18):
        settle(time_machine, mother, NOW - dt.timedelta(days=3, minutes=n), "settled", 5)
    settle(time_machine, mother, NOW - dt.timedelta(days=2), "failed", 20)
    settle(time_machine, mother, NOW - dt.timedelta(days=2, hours=1), "manual", 301)
    time_machine.move_to(NOW, tick=False)
    body = staff_client.get("/staff/insights/?period=month").content.decode()
    assert figure(body, "settlement_success") == ("90.0", "未达标")
    assert figure(body, "fallback_p95") == ("301", "未达标")
    assert "不低于95%" in body and "不超过5分钟" in body
    assert "5分1秒" in body  # a time is said in minutes and seconds


def test_what_the_stored_events_cannot_give_is_said_not_invented(staff_client, mother_user):
    body = staff_client.get("/staff/insights/").content.decode()
    assert figure(body, "counter_push_p95") == ("", "暂无数据")
    assert "推送送达手机的时间没有记录，不做估算" in body
    assert figure(body, "voice_share") == ("", "暂无数据")
    assert "语音播报的设置只存在她的浏览器里" in body


def test_the_charts_are_accessible_svg_with_their_numbers_beside_them(staff_client, mother, time_machine):
    settle(time_machine, mother, NOW - dt.timedelta(days=1), "settled", 5)
    time_machine.move_to(NOW, tick=False)
    body = staff_client.get("/staff/insights/?period=month").content.decode()
    charts = re.findall(r'<svg role="img" aria-labelledby="([\w-]+)-title ([\w-]+)-desc"', body)
    assert len(charts) >= 2
    for chart_id, _desc in charts:
        assert f'<title id="{chart_id}-title">' in body and f'<desc id="{chart_id}-desc">' in body
    rates = re.search(r'<desc id="chart-rates-desc">(.*?)</desc>', body).group(1)
    assert "结算成功率：100.0%" in rates and "虚线是95%" in rates
    assert 'data-testid="funnel"' in body and 'data-testid="chart-rates-table"' in body
    assert "<script" not in body.split('data-testid="figures"')[1].split("</main>")[0]


def test_the_csv_names_its_scope_and_every_figure(staff_client, mother, time_machine):
    settle(time_machine, mother, NOW - dt.timedelta(days=1), "settled", 5)
    time_machine.move_to(NOW, tick=False)
    response = staff_client.get("/staff/insights/export.csv?period=month&region=330100")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="insights-330100-20260601.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert "范围,杭州市，2026-06-01 至 2026-06-30" in text
    assert "结算成功率,100.0,1,1,不低于95%,达标," in text
    assert "柜台结算到手机收到推送的时间（95%分位）,,,,越短越好,暂无数据," in text


# --- the funnel, noted by the real screens ------------------------------------------------------------


def test_each_activation_screen_is_noted_once_per_visitor_across_signing_in(client, mother):
    client.get("/activate/")
    client.get("/activate/")  # coming back does not count twice
    client.post("/activate/", {**GRANDMA, "action": "send_sms"})
    client.post("/activate/", {**GRANDMA, "code": latest_code_sent_to(GRANDMA_PHONE), "action": "verify"})
    client.get("/activate/confirm/")
    client.post("/activate/confirm/")
    client.get("/activate/agree/")
    assert client.post("/activate/agree/", {"agree": "on", "elder_mode": "1"}).url == "/code/"
    visits = list(FunnelVisit.objects.order_by("at", "id").values_list("step", "region_code"))
    # One visitor, though signing in changed her session key; her region reaches the first screen too.
    assert visits == [("identity", "330100"), ("confirm", "330100"), ("agree", "330100"), ("done", "330100")]
    assert FunnelVisit.objects.values("visitor").distinct().count() == 1
    assert GRANDMA["id_number"] not in str(FunnelVisit.objects.values_list("visitor", flat=True)[0])


def test_a_visitor_who_gives_up_on_the_first_screen_counts_there_only(client, db, staff_client):
    client.get("/activate/")
    body = staff_client.get("/staff/insights/").content.decode()
    assert 'data-step="identity" data-visitors="1"' in body
    assert 'data-step="confirm" data-visitors="0" data-drop-rate="100.0"' in body


# --- the other targets --------------------------------------------------------------------------------


def test_complaints_answered_within_24_hours_come_from_feedback(staff_client, mother, time_machine):
    def complaint(made: dt.datetime, answered: dt.datetime | None) -> None:
        time_machine.move_to(made, tick=False)
        Complaint.objects.create(person=mother, text="药店不让我用医保码", due_by=made + dt.timedelta(hours=24),
                                 answered_at=answered)

    day = NOW - dt.timedelta(days=5)
    complaint(day, day + dt.timedelta(hours=3))
    complaint(day, day + dt.timedelta(hours=30))  # late
    complaint(day, None)  # never answered: breached
    complaint(NOW - dt.timedelta(hours=2), None)  # still inside its 24 hours: not counted yet
    time_machine.move_to(NOW, tick=False)
    body = staff_client.get("/staff/insights/?period=month").content.decode()
    assert figure(body, "complaints_24h") == ("33.3", "未达标")
    assert "1 / 3" in body


def test_filings_and_claims_are_measured_against_their_promised_limits(staff_client, mother, mother_user,
                                                                      time_machine, settings):
    time_machine.move_to(NOW, tick=False)
    due = NOW - dt.timedelta(days=1)
    for decided in (due - dt.timedelta(hours=1), due + dt.timedelta(hours=1)):
        Filing.objects.create(person=mother, filing_type="residence", region_code="310000",
                              status=ReviewStatus.APPROVED, valid_from=NOW.date(), submitted_by=mother_user,
                              due_by=due, decided_at=decided)
    claim = str(uuid.uuid4())
    time_machine.move_to(NOW - dt.timedelta(days=20), tick=False)
    record_event(action=Kind.CLAIM_SUBMITTED, via=Via.SELF, actor=mother_user, subject=mother,
                 detail={"claim": claim})
    time_machine.move_to(NOW - dt.timedelta(days=19), tick=False)
    record_event(action=Kind.CLAIM_APPROVED, via=Via.STAFF, subject=mother, detail={"claim": claim})
    time_machine.move_to(NOW, tick=False)
    body = staff_client.get("/staff/insights/?period=month").content.decode()
    assert figure(body, "filings_on_time") == ("50.0", "未达标")
    assert figure(body, "claims_on_time") == ("100.0", "达标")


def test_helper_sessions_and_proxy_use_are_counted_by_region(staff_client, mother, son, helper, time_machine):
    time_machine.move_to(NOW - dt.timedelta(days=1), tick=False)
    record_event(action=Kind.ASSIST_STARTED, via=Via.HELPER, actor=helper, subject=mother)
    record_event(action=Kind.ASSIST_CONSENTED, via=Via.HELPER, actor=helper, subject=mother)
    record_event(action=Kind.CODE_SHOWN, via=Via.PROXY, actor=son, subject=mother, detail={"grant_id": 1})
    record_event(action=Kind.RECORDS_VIEWED, via=Via.PROXY, actor=son, subject=mother, detail={"grant_id": 1})
    time_machine.move_to(NOW, tick=False)
    here = staff_client.get("/staff/insights/?period=month&region=330100").content.decode()
    assert [figure(here, k)[0] for k in ("assist_started", "assist_consented", "proxy_uses", "proxies")] == [
        "1", "1", "2", "1"]
    there = staff_client.get("/staff/insights/?period=month&region=310000").content.decode()
    assert figure(there, "proxy_uses")[0] == "0"


# --- the query budget ---------------------------------------------------------------------------------


def _queries(client) -> int:
    client.get("/staff/insights/?period=year")  # the session's once-a-minute save lands here, not in the count
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/insights/?period=year").status_code == 200
    return len(queries)


def _seed(time_machine, people: int) -> None:
    for n in range(people):
        person = make_person(region_code="330100" if n % 2 else "310000")
        user = make_citizen(person)
        record_event(action=Kind.RECORDS_VIEWED, via=Via.SELF, actor=user, subject=person)
        for m in range(4):
            settle(time_machine, person, NOW - dt.timedelta(days=n * 20 + m), ["settled", "failed", "manual"][m % 3],
                   30 + m)
        claim = str(uuid.uuid4())
        record_event(action=Kind.CLAIM_SUBMITTED, via=Via.SELF, actor=user, subject=person, detail={"claim": claim})
        record_event(action=Kind.CLAIM_APPROVED, via=Via.STAFF, subject=person, detail={"claim": claim})
    time_machine.move_to(NOW, tick=False)


def test_the_page_stays_within_its_query_budget_however_much_data_there_is(staff_client, time_machine,
                                                                            django_assert_max_num_queries):
    _seed(time_machine, 1)
    some = _queries(staff_client)
    _seed(time_machine, 15)
    assert _queries(staff_client) == some  # no query per row: the count does not grow with the data
    with django_assert_max_num_queries(QUERY_BUDGET):
        staff_client.get("/staff/insights/?period=year")


def test_a_suspended_code_is_not_active_until_it_is_reactivated(staff_client, mother, mother_user, son):
    # 奶奶 (杭州) active, then suspended ("我的手机丢了"); her son (上海) active.
    body = staff_client.get("/staff/insights/?period=month&region=330100").content.decode()
    assert figure(body, "activation_rate")[0] == "100.0"
    suspend_voucher(mother, actor=mother_user)
    body = staff_client.get("/staff/insights/?period=month").content.decode()
    assert figure(body, "activation_rate")[0] == "50.0"
    activate_voucher(mother, actor=mother_user)
    body = staff_client.get("/staff/insights/?period=month").content.decode()
    assert figure(body, "activation_rate")[0] == "100.0"


@pytest.mark.parametrize(("period", "today", "first", "after"), [
    ("week", dt.date(2026, 12, 31), dt.date(2026, 12, 28), dt.date(2027, 1, 4)),
    ("month", dt.date(2026, 12, 31), dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
    ("quarter", dt.date(2026, 11, 5), dt.date(2026, 10, 1), dt.date(2027, 1, 1)),
    ("quarter", dt.date(2026, 2, 28), dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
    ("year", dt.date(2028, 2, 29), dt.date(2028, 1, 1), dt.date(2029, 1, 1)),
])
def test_this_week_month_quarter_and_year_run_from_their_first_day_across_the_new_year(period, today, first,
                                                                                       after):
    assert period_bounds(period, today) == (first, after)
