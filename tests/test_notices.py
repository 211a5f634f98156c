"""Notices off the page: 奶奶 and her son hear of her settlements by SMS or call, once per change, as they chose."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.signals import post_save
from django.test import Client
from django.utils import timezone

from accounts.models import Channel, MessageStatus, OutboundMessage
from accounts.sms import GatewayError
from accounts.tasks import deliver_message
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import AuditEvent, Via
from conftest import client_for
from family.models import GrantStatus, ProxyGrant
from insurance.policy import PolicyRule
from notices import actions
from notices.models import Digest, Notice, NoticePreference, NoticeStatus
from settlement.models import Settlement
from settlement.tasks import run_settlement
from vouchers.codes import issue_code_token

PILLS = {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}


def _grant(son, mother, scopes=("view_settlements",)) -> ProxyGrant:
    return ProxyGrant.objects.create(principal=mother, proxy=son, relationship="child", scopes=list(scopes),
                                     requested_scopes=list(scopes), status=GrantStatus.ACTIVE,
                                     expires_at=timezone.now() + dt.timedelta(days=365))


def _settle(api, mother, capture) -> Settlement:
    with capture(execute=True):
        response = api.post("/api/v1/settlements", {"visit_type": "outpatient", "items": [PILLS],
                                                    "code": issue_code_token(mother.voucher.public_id)})
    assert response.status_code == 202, response.content
    settlement = Settlement.objects.get(public_id=response.json()["id"])
    with capture(execute=True):
        run_settlement.apply(args=[settlement.pk])
    settlement.refresh_from_db()
    return settlement


def _texts_to(phone: str) -> list[OutboundMessage]:
    return [m for m in OutboundMessage.objects.order_by("id") if m.phone == phone and "验证码" not in m.body]


@pytest.fixture
def quiet_morning(time_machine):
    """10:00 in Hangzhou: outside anyone's night-time quiet hours."""
    time_machine.move_to(dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)


def test_a_settled_bill_reaches_her_and_her_son_once_each_with_the_split_and_a_link(
        api, mother_user, mother, son, rules, django_capture_on_commit_callbacks, quiet_morning, settings):
    _grant(son, mother)
    settlement = _settle(api, mother, django_capture_on_commit_callbacks)
    assert settlement.status == "settled"
    hers, his = _texts_to(mother.phone), _texts_to(son.phone)
    assert len(hers) == 1 and len(his) == 1
    assert "医保支付" in hers[0].body and "自付" in hers[0].body
    link = f"{settings.PORTAL_PUBLIC_URL}/records/{settlement.public_id}/"
    assert link in hers[0].body and link in his[0].body
    assert mother.masked_name in his[0].body
    assert hers[0].status == MessageStatus.SENT  # the outbox gateway took it
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.SENT}


def test_retries_and_a_duplicate_signal_send_nothing_more(
        api, mother_user, mother, son, rules, django_capture_on_commit_callbacks, quiet_morning):
    _grant(son, mother)
    settlement = _settle(api, mother, django_capture_on_commit_callbacks)
    event = AuditEvent.objects.get(action=Kind.SETTLEMENT_SETTLED)
    before = OutboundMessage.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.notify(event) == []
        post_save.send(sender=AuditEvent, instance=event, created=True)
        run_settlement.apply(args=[settlement.pk])
    assert OutboundMessage.objects.count() == before
    assert Notice.objects.filter(event=event).count() == 2


def test_a_failure_tells_her_and_her_son_the_reason_and_the_next_step(
        api, mother_user, mother, son, django_capture_on_commit_callbacks, quiet_morning):
    PolicyRule.objects.filter(region_code=mother.region_code).delete()  # no table for her region: manual window
    _grant(son, mother)
    settlement = _settle(api, mother, django_capture_on_commit_callbacks)
    assert settlement.status == "manual"
    for phone in (mother.phone, son.phone):
        (text,) = _texts_to(phone)
        assert "没有成功" in text.body and "人工窗口" in text.body and "下一步" in text.body
    assert all(n.failure for n in Notice.objects.all())


def test_a_proxy_without_view_settlements_hears_nothing(
        api, mother_user, mother, son, rules, django_capture_on_commit_callbacks, quiet_morning):
    _grant(son, mother, scopes=("show_code",))
    _settle(api, mother, django_capture_on_commit_callbacks)
    assert len(_texts_to(mother.phone)) == 1
    assert _texts_to(son.phone) == []


def test_she_turns_settlement_results_off_and_her_son_still_hears(
        api, mother_user, mother, son, rules, django_capture_on_commit_callbacks, quiet_morning):
    _grant(son, mother)
    NoticePreference.objects.create(user=mother_user, settlement=False)
    _settle(api, mother, django_capture_on_commit_callbacks)
    assert _texts_to(mother.phone) == []
    assert len(_texts_to(son.phone)) == 1


def test_she_chooses_calls_and_gets_a_voice_call_without_a_link(
        api, mother_user, mother, rules, django_capture_on_commit_callbacks, quiet_morning):
    NoticePreference.objects.create(user=mother_user, channel=Channel.VOICE)
    _settle(api, mother, django_capture_on_commit_callbacks)
    (call,) = _texts_to(mother.phone)
    assert call.channel == Channel.VOICE
    assert "http" not in call.body and "医保支付" in call.body


def test_quiet_hours_hold_a_success_until_morning_but_not_a_failure(
        api, mother_user, mother, rules, django_capture_on_commit_callbacks, time_machine):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    time_machine.move_to(dt.datetime(2026, 3, 4, 23, 0, tzinfo=shanghai), tick=False)
    NoticePreference.objects.create(user=mother_user, quiet_from=dt.time(22), quiet_until=dt.time(7))
    _settle(api, mother, django_capture_on_commit_callbacks)
    held = Notice.objects.get()
    assert held.status == NoticeStatus.HELD and held.message is None
    assert held.hold_until == dt.datetime(2026, 3, 5, 7, 0, tzinfo=shanghai)
    assert _texts_to(mother.phone) == []

    PolicyRule.objects.filter(region_code=mother.region_code).delete()
    _settle(api, mother, django_capture_on_commit_callbacks)  # a failure at 23:00 goes out at once
    (failure,) = _texts_to(mother.phone)
    assert "没有成功" in failure.body

    with django_capture_on_commit_callbacks(execute=True):
        assert actions.release_held(now=dt.datetime(2026, 3, 5, 6, 59, tzinfo=shanghai)) == 0
    time_machine.move_to(dt.datetime(2026, 3, 5, 7, 1, tzinfo=shanghai), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.release_held() == 1
        assert actions.release_held() == 0
    assert len(_texts_to(mother.phone)) == 2
    held.refresh_from_db()
    assert held.status == NoticeStatus.SENT


def test_more_than_ten_an_hour_are_held_off_but_a_failure_always_passes(
        api, mother_user, mother, rules, django_capture_on_commit_callbacks, quiet_morning):
    settlement = _settle(api, mother, django_capture_on_commit_callbacks)  # notice 1
    with django_capture_on_commit_callbacks(execute=True):
        for _n in range(actions.HOURLY_LIMIT + 2):
            record_event(action=Kind.SETTLEMENT_SETTLED, via=Via.INSTITUTION, subject=mother,
                         detail={"settlement": str(settlement.public_id)})
    statuses = list(Notice.objects.order_by("id").values_list("status", flat=True))
    assert statuses.count(NoticeStatus.SENT) == actions.HOURLY_LIMIT
    assert statuses.count(NoticeStatus.LIMITED) == 3
    Settlement.objects.filter(pk=settlement.pk).update(reason="系统结算超时，这笔没有扣款。",
                                                       next_step="请到人工窗口结算，带上身份证。")
    with django_capture_on_commit_callbacks(execute=True):
        event = record_event(action=Kind.SETTLEMENT_FAILED, via=Via.SYSTEM, subject=mother,
                             detail={"settlement": str(settlement.public_id)})
    assert Notice.objects.get(event=event).status == NoticeStatus.SENT


def test_a_number_that_bounces_marks_the_notice_failed_and_her_page_says_so(
        api, mother_user, mother, mother_client, rules, django_capture_on_commit_callbacks, quiet_morning,
        monkeypatch):
    class Bouncing:
        def deliver(self, message):
            raise GatewayError("gateway answered 400")

    monkeypatch.setattr("accounts.tasks.get_gateway", lambda: Bouncing())
    monkeypatch.setattr("accounts.tasks.queue_delivery", lambda pk: None)
    monkeypatch.setattr("notices.actions.queue_delivery", lambda pk: None)
    _settle(api, mother, django_capture_on_commit_callbacks)
    notice = Notice.objects.get()
    # The gateway task's own retries: the last one gives up and the message is failed, never sent twice.
    deliver_message.apply(args=[notice.message_id], retries=deliver_message.max_retries)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED and "400" in notice.failed_reason
    assert deliver_message.apply(args=[notice.message_id]).get() == "skipped"
    assert OutboundMessage.objects.get(pk=notice.message_id).attempts == 1
    page = mother_client.get("/notices/").content.decode()
    assert "短信没有发出去" in page


def test_the_weekly_digest_names_her_visits_and_the_unusual_once_per_week(
        mother, son, rules, django_capture_on_commit_callbacks, time_machine):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    _grant(son, mother)
    time_machine.move_to(dt.datetime(2026, 3, 4, 10, 0, tzinfo=shanghai), tick=False)  # a Wednesday
    for place in ("城东社区卫生服务中心", "城西大药房"):
        record_event(action=Kind.SETTLEMENT_RECEIVED, via=Via.INSTITUTION, actor_label=place, subject=mother)
        record_event(action=Kind.SETTLEMENT_SETTLED, via=Via.INSTITUTION, actor_label=place, subject=mother,
                     detail={"total": "50.00", "self_pay": "12.50"})
    record_event(action=Kind.SETTLEMENT_FAILED, via=Via.SYSTEM, subject=mother, detail={})
    time_machine.move_to(dt.datetime(2026, 3, 9, 9, 0, tzinfo=shanghai), tick=False)  # the Monday after
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.send_weekly_digests() == 1
        assert actions.send_weekly_digests() == 0
    digest = Digest.objects.get()
    assert digest.proxy == son and digest.week == dt.date(2026, 3, 2) and digest.visits == 2
    (text,) = [m for m in OutboundMessage.objects.all() if m.phone == son.phone and "每周" in m.body]
    assert "看病2次" in text.body and "100元" in text.body and "自付25元" in text.body
    assert "城东社区卫生服务中心和城西大药房" in text.body and "1次结算没有成功" in text.body


def test_a_quiet_week_sends_no_digest(mother, son, time_machine):
    _grant(son, mother)
    time_machine.move_to(dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)
    assert actions.send_weekly_digests() == 0
    assert not Digest.objects.exists()


# --- the page ---------------------------------------------------------------------------------------------


def test_her_page_speaks_and_saves_a_call_and_quiet_hours(mother_client, mother_user):
    page = mother_client.get("/notices/").content.decode()
    assert "notice_settings" in page or "这里设置医保通怎么提醒您" in page
    assert "结算的结果" in page
    response = mother_client.post("/notices/", {"categories": ["settlement"], "channel": "voice",
                                                "quiet_from": "22", "quiet_until": "7"})
    assert response.status_code == 302
    preference = NoticePreference.objects.get(user=mother_user)
    assert preference.channel == "voice" and preference.quiet_from == dt.time(22) and preference.settlement
    assert AuditEvent.objects.filter(action=Kind.NOTICE_PREFERENCE_CHANGED, actor=mother_user).count() == 1


@pytest.mark.parametrize("data, message", [
    ({"categories": ["settlement"], "channel": "voice", "quiet_from": "22", "quiet_until": ""}, "两个都选“不设”"),
    ({"categories": ["settlement"], "channel": "fax"}, "请选发短信还是打电话"),
    ({"categories": ["settlement"], "channel": "sms", "quiet_from": "25", "quiet_until": "7"}, "请选一个钟点"),
    ({"categories": ["nonsense"], "channel": "sms"}, "请从列出的几项里选"),
    ({"channel": "sms", "quiet_from": "8", "quiet_until": "8"}, "同一个钟点"),
])
def test_bad_input_says_what_is_wrong_and_saves_nothing(mother_client, mother_user, data, message):
    response = mother_client.post("/notices/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not NoticePreference.objects.exists()


def test_turning_a_kind_off_on_the_page_keeps_it_off(mother_client, mother_user):
    mother_client.post("/notices/", {"channel": "sms"})
    assert NoticePreference.objects.get(user=mother_user).settlement is False


def test_each_person_sees_only_their_own_notices(
        api, mother_user, mother, son, stranger, rules, django_capture_on_commit_callbacks, quiet_morning):
    _grant(son, mother)
    _settle(api, mother, django_capture_on_commit_callbacks)
    hers = Notice.objects.get(user=mother_user)
    his = Notice.objects.get(user=son)
    assert str(hers.public_id) not in client_for(stranger).get("/notices/").content.decode()
    son_page = client_for(son).get("/notices/").content.decode()
    assert str(his.public_id) in son_page and str(hers.public_id) not in son_page


def test_a_proxy_acting_for_her_sets_his_own_notices_not_hers(mother, mother_user, son):
    grant = _grant(son, mother, scopes=("view_settlements", "act"))
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    page = client.get("/notices/").content.decode()
    assert "您自己收提醒的设置" in page
    client.post("/notices/", {"categories": [], "channel": "voice"})
    assert NoticePreference.objects.get(user=son).channel == "voice"
    assert not NoticePreference.objects.filter(user=mother_user).exists()


def test_a_helper_and_someone_signed_out_get_no_notice_page(helper):
    assert Client().get("/notices/").status_code == 302
    assert client_for(helper).get("/notices/").status_code == 403
