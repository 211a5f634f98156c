"""Offline settlement has limits, like offline card payments: a code is good for 60 seconds by the server's
clock online; only registered offline counters may upload captures, at most the floor limit each; 奶奶 and
her son are told of every offline settlement by SMS with a "不是我本人" link that opens one dispute for
staff; and the same voucher captured offline at two institutions within minutes is flagged."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import settlement.batch
from accounts.models import OutboundMessage, Role, User
from audit.models import AuditEvent
from conftest import SignedApi, client_for, latest_code_sent_to, make_citizen, make_person, register_offline_counter
from core import crypto
from counter.actions import enrol_terminal_browser
from counter.views import TERMINAL_COOKIE
from family.models import GrantStatus, ProxyGrant
from insurance.models import Institution, OfflineTerminal
from settlement.actions import revoke_offline_terminal
from settlement.models import DisputeStatus, Reporter, Settlement, SettlementDispute
from settlement.notices import not_me_token
from vouchers.codes import issue_code_token

PILLS = {"code": "Y0001", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}
BATCH = "/api/v1/settlements/batch"
TOTP_KEY = "3132333435363738393031323334353637383930"
PASSWORD = "a-long-worker-password"


def code_issued(person, *, seconds_ago: int = 0) -> str:
    return issue_code_token(person.voucher.public_id, now=int(time.time()) - seconds_ago)


def capture(person, *, minutes_ago: float = 0, items=None, client_id: str | None = None) -> dict:
    """A capture made `minutes_ago` at a counter without network, with the code she showed then."""
    seconds = int(minutes_ago * 60)
    return {
        "client_id": client_id or str(uuid.uuid4()),
        "captured_at": (timezone.now() - dt.timedelta(seconds=seconds)).isoformat(),
        "code": code_issued(person, seconds_ago=seconds + 5),
        "visit_type": "outpatient",
        "items": items or [PILLS],
    }


def messages_to(phone: str) -> list[str]:
    return [m.body for m in OutboundMessage.objects.filter(phone_index=crypto.blind_index("phone", phone))]


def not_me_link(body: str) -> str:
    match = re.search(r"https?://\S+?(/records/not-me/\S+/)", body)
    assert match, body
    return match.group(1)


def worker(phone: str, role: str, institution=None, name: str = "钱收费") -> User:
    user = User.objects.create_user(phone, PASSWORD, role=role, institution=institution, display_name=name,
                                    is_staff=role == Role.STAFF)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=TOTP_KEY)
    return user


def verified(user: User) -> Client:
    """Signed in and past the TOTP step."""
    client = client_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture
def operator(institution) -> User:
    return worker("+8613700137005", Role.OPERATOR, institution)


# --- online: the server's clock only ---------------------------------------------------------------


def test_a_back_dated_captured_at_on_the_online_endpoint_is_refused_and_the_code_stays_unused(api, mother_user, mother,
                                                                                             rules):
    hour_old = code_issued(mother, seconds_ago=3600)
    near_issue = (timezone.now() - dt.timedelta(seconds=3590)).isoformat()
    response = api.post("/api/v1/settlements", {"code": hour_old, "visit_type": "outpatient", "items": [PILLS],
                                                "captured_at": near_issue})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "offline_capture_not_allowed_online"
    assert "/api/v1/settlements/batch" in body["message"] and "离线" in body["message"]
    # Without it, the hour-old code is simply expired by the server's clock.
    expired = api.post("/api/v1/settlements", {"code": hour_old, "visit_type": "outpatient", "items": [PILLS]})
    assert expired.status_code == 422 and expired.json()["error"] == "code_expired"
    # Even a fresh code is refused with captured_at, and is still good afterwards.
    fresh = code_issued(mother)
    with_field = api.post("/api/v1/settlements", {"code": fresh, "visit_type": "outpatient", "items": [PILLS],
                                                  "captured_at": None})
    assert with_field.status_code == 422 and with_field.json()["error"] == "offline_capture_not_allowed_online"
    assert Settlement.objects.count() == 0
    assert api.post("/api/v1/settlements", {"code": fresh, "visit_type": "outpatient", "items": [PILLS]}
                    ).status_code == 202


def test_the_openapi_document_says_online_settlements_take_no_captured_at_and_batches_need_it(client, db):
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "captured_at" not in schemas["SettlementIn"]["properties"]
    assert schemas["SettlementIn"]["not"] == {"required": ["captured_at"]}
    assert "captured_at" in schemas["BatchItemIn"]["required"]
    online = document["paths"]["/api/v1/settlements"]["post"]
    assert "captured_at" in online["description"] and "batch" in online["description"]
    batch = document["paths"]["/api/v1/settlements/batch"]["post"]
    assert "离线收费终端" in batch["description"] and "403" in batch["responses"]


# --- only registered offline terminals upload --------------------------------------------------------


def test_a_batch_signed_with_the_institutions_own_key_is_refused(api, offline_counter, mother_user, mother, rules):
    response = api.post(BATCH, {"settlements": [capture(mother, minutes_ago=2)]})
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "offline_not_allowed" and "离线收费终端" in body["message"]
    assert Settlement.objects.count() == 0
    assert messages_to(mother.phone) == []


def test_a_batch_from_a_registered_offline_terminal_is_accepted_and_remembers_the_terminal(
        offline_counter, offline_api, mother_user, mother, rules, django_capture_on_commit_callbacks):
    entry = capture(mother, minutes_ago=30)
    with django_capture_on_commit_callbacks(execute=True):
        response = offline_api.post(BATCH, {"settlements": [entry]})
    assert response.status_code == 200, response.content
    result = response.json()["results"][0]
    assert result["ok"], result
    settlement = Settlement.objects.get(public_id=result["id"])
    assert settlement.offline and settlement.offline_terminal == offline_counter.terminal
    assert settlement.status == "settled" and not settlement.flagged
    # Online settlements may be sent with the terminal's key too: it is one of the hospital's counters.
    online = offline_api.post("/api/v1/settlements", {"code": code_issued(mother), "visit_type": "outpatient",
                                                      "items": [PILLS]})
    assert online.status_code == 202
    assert Settlement.objects.get(public_id=online.json()["id"]).offline_terminal is None


def test_a_revoked_terminal_can_no_longer_upload_by_key_or_by_browser(offline_counter, offline_api, operator, mother,
                                                                     mother_user, rules):
    desk = verified(operator)
    _terminal, token = enrol_terminal_browser(operator=operator, key_id=offline_counter.terminal.key_id,
                                              secret=offline_counter.secret)
    desk.cookies[TERMINAL_COOKIE] = token
    revoke_offline_terminal(offline_counter.terminal, by=None)
    assert offline_api.post(BATCH, {"settlements": [capture(mother)]}).status_code == 401
    upload = desk.post("/counter/batch", {"settlements": [capture(mother)]}, content_type="application/json")
    assert upload.status_code == 403 and upload.json()["error"] == "offline_not_allowed"
    assert Settlement.objects.count() == 0
    assert AuditEvent.objects.filter(action="settlement.offline_terminal_revoked").count() == 1


def test_a_counter_browser_not_registered_as_an_offline_terminal_cannot_upload(operator, mother, mother_user, rules):
    desk = verified(operator)
    upload = desk.post("/counter/batch", {"settlements": [capture(mother)]}, content_type="application/json")
    assert upload.status_code == 403
    assert upload.json()["error"] == "offline_not_allowed" and "离线收费终端" in upload.json()["message"]
    assert Settlement.objects.count() == 0
    # The page offers no offline capture on this computer, and says so.
    page = desk.get("/counter/").content.decode()
    assert 'data-offline-enabled="false"' in page
    assert "这台电脑没有开通离线结算" in page
    assert 'data-testid="counter-queue"' not in page


def test_a_counter_browser_enrolled_with_its_terminal_credential_captures_offline_and_uploads(
        operator, offline_counter, mother, mother_user, rules):
    desk = verified(operator)
    wrong = desk.post("/counter/offline/", {"key_id": offline_counter.terminal.key_id, "secret": "guess"})
    assert wrong.status_code == 403 and "终端密钥" in wrong.content.decode()
    assert TERMINAL_COOKIE not in wrong.cookies
    enrolled = desk.post("/counter/offline/", {"key_id": offline_counter.terminal.key_id,
                                               "secret": offline_counter.secret})
    assert enrolled.status_code == 200 and 'data-testid="offline-enrolled"' in enrolled.content.decode()
    cookie = enrolled.cookies[TERMINAL_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    offline_counter.terminal.refresh_from_db()
    assert offline_counter.terminal.browser_token_hash and cookie.value not in offline_counter.terminal.browser_token_hash

    page = desk.get("/counter/").content.decode()
    assert 'data-offline-enabled="true"' in page and 'data-floor-limit="200.00"' in page
    assert offline_counter.terminal.name in page
    upload = desk.post("/counter/batch", {"settlements": [capture(mother)]}, content_type="application/json")
    assert upload.status_code == 200 and upload.json()["accepted"] == 1
    assert Settlement.objects.get().offline_terminal == offline_counter.terminal


def enrolled_desk(operator: User, offline_counter) -> Client:
    desk = verified(operator)
    _terminal, token = enrol_terminal_browser(operator=operator, key_id=offline_counter.terminal.key_id,
                                              secret=offline_counter.secret)
    desk.cookies[TERMINAL_COOKIE] = token
    return desk


def test_the_counter_and_the_terminal_key_upload_through_one_path_with_one_batch_limit(
        operator, offline_counter, offline_api, mother, mother_user, son, rules, monkeypatch):
    """docs/decisions.md, "One batch-upload path": the limit is set in one place and holds at both doors."""
    monkeypatch.setattr(settlement.batch, "MAX_BATCH", 1)
    desk = enrolled_desk(operator, offline_counter)
    two = {"settlements": [capture(mother), capture(son.person)]}

    by_key = offline_api.post(BATCH, two)
    by_browser = desk.post("/counter/batch", two, content_type="application/json")

    assert by_key.status_code == by_browser.status_code == 413
    assert by_key.json() == by_browser.json()
    assert by_key.json()["error"] == "batch_too_large" and "一次最多上传1笔" in by_key.json()["message"]
    assert Settlement.objects.count() == 0


def test_a_capture_uploaded_by_the_counter_and_again_with_the_terminal_key_settles_once(
        operator, offline_counter, offline_api, mother, mother_user, rules):
    entry = capture(mother, minutes_ago=5)
    by_browser = enrolled_desk(operator, offline_counter).post("/counter/batch", {"settlements": [entry]},
                                                               content_type="application/json")
    by_key = offline_api.post(BATCH, {"settlements": [entry]})

    first, again = by_browser.json()["results"][0], by_key.json()["results"][0]
    assert first["ok"] and again["ok"]
    assert {k: first[k] for k in again} == again  # the counter's answer adds what its screen shows
    assert first["masked_name"] == mother.masked_name
    assert Settlement.objects.count() == 1


def test_neither_an_institution_key_nor_another_institutions_terminal_enrols_a_browser(
        operator, institution, mother_user):
    desk = verified(operator)
    from conftest import INSTITUTION_SECRET

    own_key = desk.post("/counter/offline/", {"key_id": institution.api_key_id, "secret": INSTITUTION_SECRET})
    assert own_key.status_code == 403
    other = Institution.objects.create(code="P9", name="别家药店", level="pharmacy", region_code="330100",
                                       api_key_id="other-p9", api_secret="other-secret-p9")
    elsewhere = register_offline_counter(other)
    theirs = desk.post("/counter/offline/", {"key_id": elsewhere.terminal.key_id, "secret": elsewhere.secret})
    assert theirs.status_code == 403
    assert not OfflineTerminal.objects.exclude(browser_token_hash=None).exists()


# --- the floor limit -------------------------------------------------------------------------------------


def test_an_offline_settlement_over_the_floor_limit_is_refused(offline_api, mother_user, mother, son, rules):
    over = capture(mother, items=[{**PILLS, "quantity": "1", "unit_price": "200.01"}], client_id="over")
    at_limit = capture(son.person, items=[{**PILLS, "quantity": "8", "unit_price": "25.00"}], client_id="at")
    response = offline_api.post(BATCH, {"settlements": [over, at_limit]})
    results = {r["client_id"]: r for r in response.json()["results"]}
    assert results["over"]["ok"] is False and results["over"]["error"] == "over_floor_limit"
    assert "200.00" in results["over"]["message"] and "人工窗口" in results["over"]["message"]
    assert results["at"]["ok"] is True
    assert list(Settlement.objects.values_list("total", flat=True)) == [Decimal("200.00")]
    assert messages_to(mother.phone) == []  # nothing settled, nothing to tell


def test_the_api_refuses_in_chinese_unless_the_counter_system_asks_for_english(offline_api, mother_user, mother):
    over = [capture(mother, items=[{**PILLS, "quantity": "1", "unit_price": "200.01"}])]
    chinese = offline_api.post(BATCH, {"settlements": over}).json()["results"][0]
    assert chinese["error"] == "over_floor_limit" and "人工窗口" in chinese["message"]
    over = [capture(mother, items=[{**PILLS, "quantity": "1", "unit_price": "200.01"}])]
    english = offline_api.post(BATCH, {"settlements": over}, headers={"Accept-Language": "en"}).json()["results"][0]
    assert english["error"] == "over_floor_limit" and "200.00" in english["message"]
    assert "staffed window" in english["message"] and "人工" not in english["message"]


def test_the_floor_limit_comes_from_the_settings(offline_api, mother_user, mother, rules, settings):
    settings.OFFLINE_FLOOR_LIMIT_YUAN = Decimal("40.00")
    result = offline_api.post(BATCH, {"settlements": [capture(mother)]}).json()["results"][0]
    assert result["error"] == "over_floor_limit" and "40.00" in result["message"]


def test_the_floor_limit_is_read_from_the_environment_and_a_bad_value_stops_start_up(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from core.env import env_decimal

    monkeypatch.setenv("OFFLINE_FLOOR_LIMIT_YUAN", "150.5")
    assert env_decimal("OFFLINE_FLOOR_LIMIT_YUAN", "200.00") == Decimal("150.50")
    for bad in ("abc", "-1", "1.005", "NaN"):
        monkeypatch.setenv("OFFLINE_FLOOR_LIMIT_YUAN", bad)
        with pytest.raises(ImproperlyConfigured, match="OFFLINE_FLOOR_LIMIT_YUAN"):
            env_decimal("OFFLINE_FLOOR_LIMIT_YUAN", "200.00")


def test_captured_at_in_the_future_or_without_a_time_zone_is_refused(offline_api, mother_user, mother, rules):
    future = capture(mother, client_id="future")
    future["captured_at"] = (timezone.now() + dt.timedelta(seconds=30)).isoformat()
    naive = capture(mother, client_id="naive")
    naive["captured_at"] = dt.datetime.now().replace(tzinfo=None).isoformat()
    results = {r["client_id"]: r for r in offline_api.post(BATCH, {"settlements": [future, naive]}).json()["results"]}
    assert results["future"]["error"] == "captured_in_future"
    assert results["naive"]["error"] == "bad_captured_at"
    assert Settlement.objects.count() == 0


# --- she and her family are told ---------------------------------------------------------------------


def grant(principal_user: User, principal, proxy: User, scopes: tuple[str, ...]) -> ProxyGrant:
    """The proxy asks, she reads him the code: as in tests/test_family.py."""
    proxy_client = client_for(proxy)
    proxy_client.post("/family/add/", {"name": principal.name, "id_number": principal.id_number,
                                       "relationship": "child", "scopes": list(scopes)})
    request = ProxyGrant.objects.get(proxy=proxy, principal=principal)
    proxy_client.post(f"/family/{request.public_id}/consent/", {"code": latest_code_sent_to(principal.phone)})
    request.refresh_from_db()
    assert request.status == GrantStatus.ACTIVE
    return request


@pytest.fixture
def daughter(db) -> User:
    return make_citizen(make_person(name="李建华", phone="+8613700137333"))


def test_an_offline_upload_is_told_to_her_and_to_the_son_but_not_to_a_proxy_without_the_scope(
        offline_api, institution, mother_user, mother, son, daughter, rules):
    grant(mother_user, mother, son, ("show_code", "view_settlements"))
    grant(mother_user, mother, daughter, ("show_code", "view_records"))
    before = {who.phone: len(messages_to(who.phone)) for who in (mother, son, daughter)}

    response = offline_api.post(BATCH, {"settlements": [capture(mother, minutes_ago=20)]})
    assert response.json()["accepted"] == 1

    to_her = messages_to(mother.phone)
    assert len(to_her) == before[mother.phone] + 1
    assert institution.name in to_her[0] and "50.00元" in to_her[0] and "离线结算" in to_her[0]
    assert "/records/not-me/" in to_her[0] and "12393" in to_her[0]
    to_son = messages_to(son.phone)
    assert len(to_son) == before[son.phone] + 1
    assert mother.masked_name in to_son[0] and "50.00元" in to_son[0]
    assert mother.name not in to_son[0]  # her name masked, as everywhere
    assert not_me_link(to_son[0]) != not_me_link(to_her[0])  # each link says who it was sent to
    assert len(messages_to(daughter.phone)) == before[daughter.phone]
    # An online settlement is not an offline one: no SMS.
    offline_api.post("/api/v1/settlements", {"code": code_issued(mother), "visit_type": "outpatient",
                                             "items": [PILLS]})
    assert len(messages_to(mother.phone)) == before[mother.phone] + 1


def test_uploading_the_same_capture_again_does_not_tell_her_twice(offline_api, mother_user, mother, rules):
    entry, signed_at = capture(mother), int(time.time())
    offline_api.post(BATCH, {"settlements": [entry]}, now=signed_at)
    assert offline_api.post(BATCH, {"settlements": [entry]}, now=signed_at - 1).status_code == 200  # not a replay
    assert Settlement.objects.count() == 1
    assert len(messages_to(mother.phone)) == 1


# --- "不是我本人" -------------------------------------------------------------------------------------


@pytest.fixture
def offline_settlement(offline_api, mother_user, mother, rules) -> Settlement:
    offline_api.post(BATCH, {"settlements": [capture(mother, minutes_ago=15)]})
    return Settlement.objects.get()


def test_the_not_me_link_shows_only_where_when_and_how_much_and_opens_one_dispute(
        client, offline_settlement, mother_user, mother):
    link = not_me_link(messages_to(mother.phone)[0])
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert offline_settlement.institution.name in html and "50.00" in html
    assert timezone.localtime(offline_settlement.captured_at).strftime("%Y-%m-%d %H:%M") in html
    assert "不是我本人，我要报告" in html
    assert mother.name not in html and mother.masked_name not in html and "阿莫西林" not in html
    assert 'data-voice-guide' in html or "听语音说明" in html
    assert 'class="help"' in html
    assert SettlementDispute.objects.count() == 0  # opening the link (a phone previewing it) reports nothing

    reported = client.post(link)
    assert reported.status_code == 200
    done = reported.content.decode()
    assert "已收到您的报告" in done and "1个工作日" in done and "12393" in done
    again = client.post(link)
    assert again.status_code == 200 and "已收到您的报告" in again.content.decode()

    dispute = SettlementDispute.objects.get()
    assert dispute.settlement == offline_settlement and dispute.status == DisputeStatus.OPEN
    assert dispute.reporter == Reporter.PRINCIPAL and dispute.reported_by == mother_user
    events = AuditEvent.objects.filter(action="settlement.disputed")
    assert events.count() == 1 and events.get().subject == mother


def test_the_sons_link_reports_as_the_son_and_finds_the_same_dispute(
        client, offline_api, mother_user, mother, son, rules):
    grant(mother_user, mother, son, ("view_settlements",))
    offline_api.post(BATCH, {"settlements": [capture(mother)]})
    client.post(not_me_link(messages_to(son.phone)[0]))
    client.post(not_me_link(messages_to(mother.phone)[0]))
    dispute = SettlementDispute.objects.get()
    assert dispute.reporter == Reporter.PROXY and dispute.reported_by == son


def test_after_reporting_she_can_pause_her_code_or_call_the_hotline_with_one_tap(
        client, offline_api, mother_user, mother, son, rules):
    grant(mother_user, mother, son, ("view_settlements",))
    offline_api.post(BATCH, {"settlements": [capture(mother)]})
    done = client.post(not_me_link(messages_to(mother.phone)[0])).content.decode()
    pause = re.search(r'<a class="button" href="([^"]+)" data-testid="pause-code">([^<]+)</a>', done)
    assert pause and pause.group(1) == "/code/lost/" and pause.group(2) == "暂停我的医保码"
    assert 'href="tel:12393"' in done and "拨打 12393" in done
    # Her son cannot pause her code for her: his page offers the call only.
    sons = Client().post(not_me_link(messages_to(son.phone)[0])).content.decode()
    assert 'data-testid="pause-code"' not in sons and 'href="tel:12393"' in sons


def test_a_link_that_no_longer_works_has_a_spoken_guide_and_a_button_that_calls_the_hotline(client, db):
    html = client.get("/records/not-me/x/").content.decode()
    assert "链接不能用了" in html
    assert 'data-voice-guide="/elder/voice/cmn/normal/not_me_invalid.audio"' in html
    assert 'href="tel:12393"' in html and "拨打 12393" in html


def test_the_not_me_page_works_in_elder_mode(client, offline_settlement, mother):
    client.cookies["elder_mode"] = "1"
    html = client.get(not_me_link(messages_to(mother.phone)[0])).content.decode()
    assert 'data-elder="on"' in html and "button-big" in html


def test_a_tampered_or_expired_not_me_link_gives_a_plain_page_not_an_error(
        client, offline_settlement, mother, monkeypatch, settings):
    link = not_me_link(messages_to(mother.phone)[0])
    token = link.split("/")[-2]
    tampered = f"/records/not-me/{token[:-2]}{'AA' if not token.endswith('AA') else 'BB'}/"
    for bad in (tampered, "/records/not-me/x/", f"/records/not-me/{'x' * 400}/",
                f"/records/not-me/{signing.TimestampSigner(salt='other').sign(token)}/"):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert "链接不能用了" in response.content.decode() and "12393" in response.content.decode()
        assert client.post(bad).status_code == 404
    # A well-signed link for a settlement that was not offline, or for one that does not exist.
    online = Settlement.objects.create(
        institution=offline_settlement.institution, person=mother, voucher=mother.voucher, code_nonce="n" * 24,
        visit_type="outpatient", total=Decimal("1.00"))
    assert client.get(f"/records/not-me/{not_me_token(online)}/").status_code == 404

    real_time = time.time
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: real_time() - (settings.OFFLINE_DISPUTE_LINK_DAYS + 1) * 86400)
        old = not_me_token(offline_settlement)
    expired = client.get(f"/records/not-me/{old}/")
    assert expired.status_code == 410 and "已经过期" in expired.content.decode()
    assert client.post(f"/records/not-me/{old}/").status_code == 410
    assert SettlementDispute.objects.count() == 0


# --- two institutions within minutes -------------------------------------------------------------------


def test_the_same_voucher_captured_offline_at_two_institutions_within_minutes_is_flagged_for_staff(
        offline_api, mother_user, mother, rules):
    pharmacy = Institution.objects.create(code="P8", name="街口药房", level="pharmacy", region_code="330100",
                                          api_key_id="p8", api_secret="p8-secret-0123456789")
    at_pharmacy = register_offline_counter(pharmacy).api
    assert offline_api.post(BATCH, {"settlements": [capture(mother, minutes_ago=9)]}).json()["accepted"] == 1
    pharmacy_capture = {**capture(mother, minutes_ago=2), "visit_type": "pharmacy"}
    assert at_pharmacy.post(BATCH, {"settlements": [pharmacy_capture]}).json()["accepted"] == 1
    assert list(Settlement.objects.values_list("flagged", flat=True)) == [True, True]
    assert all("两家机构" in s.flag_reason for s in Settlement.objects.all())
    event = AuditEvent.objects.get(action="settlement.offline_flagged")
    assert event.subject == mother

    staff = verified(worker("+8613300133006", Role.STAFF, name="赵敏"))
    queue = staff.get("/staff/offline/").content.decode()
    assert 'data-testid="staff-flagged"' in queue and "街口药房" in queue and "测试第一医院" in queue


def test_captures_at_two_institutions_far_apart_or_at_the_same_one_are_not_flagged(
        offline_api, offline_counter, mother_user, mother, rules):
    other = Institution.objects.create(code="P7", name="远处药房", level="pharmacy", region_code="330100",
                                       api_key_id="p7", api_secret="p7-secret-0123456789")
    elsewhere = register_offline_counter(other).api
    offline_api.post(BATCH, {"settlements": [capture(mother, minutes_ago=40), capture(mother, minutes_ago=38)]})
    elsewhere.post(BATCH, {"settlements": [{**capture(mother, minutes_ago=5), "visit_type": "pharmacy"}]})
    assert Settlement.objects.count() == 3
    assert not Settlement.objects.filter(flagged=True).exists()
    assert not AuditEvent.objects.filter(action="settlement.offline_flagged").exists()


# --- staff ---------------------------------------------------------------------------------------------


def test_staff_see_the_open_report_call_her_and_close_it_with_a_note(client, offline_settlement, mother, operator):
    client.post(not_me_link(messages_to(mother.phone)[0]))
    dispute = SettlementDispute.objects.get()
    # Only staff past the TOTP step see the queue.
    assert verified(operator).get("/staff/offline/").status_code == 302
    assert verified(operator).post(f"/staff/offline/{dispute.public_id}/close/", {"note": "x"}).status_code == 403
    staff_user = worker("+8613300133006", Role.STAFF, name="赵敏")
    assert client_for(staff_user).get("/staff/offline/").status_code == 302
    staff = verified(staff_user)
    queue = staff.get("/staff/offline/").content.decode()
    assert 'data-testid="staff-disputes"' in queue and mother.masked_name in queue and "50.00" in queue
    closed = staff.post(f"/staff/offline/{dispute.public_id}/close/", {"note": "已电话核实：是她儿子代买的药。"})
    assert closed.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.CLOSED and dispute.closed_by == staff_user and "代买" in dispute.staff_note
    assert AuditEvent.objects.filter(action="settlement.dispute_closed", subject=mother).count() == 1
    assert 'data-testid="staff-disputes-empty"' in staff.get("/staff/offline/").content.decode()
    # Her link now says it was dealt with, and still opens no second dispute.
    page = client.post(not_me_link(messages_to(mother.phone)[0])).content.decode()
    assert 'data-testid="not-me-closed"' in page and SettlementDispute.objects.count() == 1


def test_closing_a_report_without_writing_what_was_done_asks_for_it_and_closing_it_says_so(
        client, offline_settlement, mother):
    client.post(not_me_link(messages_to(mother.phone)[0]))
    dispute = SettlementDispute.objects.get()
    staff = verified(worker("+8613300133006", Role.STAFF, name="赵敏"))
    queue = staff.get("/staff/offline/").content.decode()
    form = re.search(r'<form method="post" action="/staff/offline/[^"]+/close/"[^>]*>.*?</form>', queue, re.S).group(0)
    assert "novalidate" in form and "required" not in form and 'rows="3"' in form
    blank = staff.post(f"/staff/offline/{dispute.public_id}/close/", {"note": "  "})
    assert blank.status_code == 200 and "请写处理结果" in blank.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    closed = staff.post(f"/staff/offline/{dispute.public_id}/close/", {"note": "已电话核实：是她本人。"}, follow=True)
    assert "报告已关闭" in closed.content.decode()


def test_staff_call_her_about_a_flagged_settlement_and_mark_it_checked(offline_api, mother_user, mother, rules):
    pharmacy = Institution.objects.create(code="P8", name="街口药房", level="pharmacy", region_code="330100",
                                          api_key_id="p8", api_secret="p8-secret-0123456789")
    offline_api.post(BATCH, {"settlements": [capture(mother, minutes_ago=9)]})
    register_offline_counter(pharmacy).api.post(
        BATCH, {"settlements": [{**capture(mother, minutes_ago=2), "visit_type": "pharmacy"}]})
    first, second = Settlement.objects.order_by("pk")
    staff_user = worker("+8613300133006", Role.STAFF, name="赵敏")
    staff = verified(staff_user)
    queue = staff.get("/staff/offline/").content.decode()
    flagged = queue.split('data-testid="staff-flagged"')[1]
    assert f'href="tel:{mother.phone}"' in flagged and flagged.count('data-testid="flag-checked"') == 2

    done = staff.post(f"/staff/offline/flagged/{first.public_id}/checked/", follow=True).content.decode()
    assert "已核实" in done
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.flagged and second.flagged
    assert done.split('data-testid="staff-flagged"')[1].count('data-testid="flag-checked"') == 1
    event = AuditEvent.objects.get(action="settlement.flag_cleared")
    assert event.actor == staff_user and event.subject == mother
    staff.post(f"/staff/offline/flagged/{first.public_id}/checked/")  # twice: still one row
    assert AuditEvent.objects.filter(action="settlement.flag_cleared").count() == 1
    assert verified(worker("+8613500135999", Role.OPERATOR, name="钱收费")).post(
        f"/staff/offline/flagged/{second.public_id}/checked/").status_code == 403


def test_the_terminal_form_asks_in_chinese_and_the_credential_page_fits_a_phone_with_copy_buttons(
        client, institution):
    from portal.admin_site import sync_staff_group

    staff = worker("+8613300133006", Role.STAFF, name="赵敏")
    staff.groups.add(sync_staff_group())
    client.post("/accounts/worker/login/?next=/admin/", {"phone": "13300133006", "password": PASSWORD})
    client.post("/accounts/worker/totp/", {"token": f"{totp(bytes.fromhex(TOTP_KEY), t0=0, step=30, digits=6):06d}"})
    form = client.get("/admin/insurance/offlineterminal/add/").content.decode()
    assert '<option value="" selected>请选择医院或药店</option>' in form and "Select an option" not in form
    html = client.post("/admin/insurance/offlineterminal/add/", {
        "institution": institution.pk, "name": "急诊收费处", "location": "急诊楼一楼", "_save": "1"}).content.decode()
    assert '<dl class="terminal-credential">' in html and "<table" not in html.split('id="content-main"')[1]
    for shown in ("terminal-key-id", "terminal-secret"):
        assert f'data-copy-target="{shown}"' in html
    assert "/static/js/copy.js" in html and "/static/css/admin-credential.css" in html


def test_staff_register_an_offline_terminal_in_the_admin_see_its_secret_once_and_revoke_it(
        client, institution, mother_user, mother, rules):
    from portal.admin_site import sync_staff_group

    staff = worker("+8613300133006", Role.STAFF, name="赵敏")
    staff.groups.add(sync_staff_group())
    client.post("/accounts/worker/login/?next=/admin/", {"phone": "13300133006", "password": PASSWORD})
    client.post("/accounts/worker/totp/", {"token": f"{totp(bytes.fromhex(TOTP_KEY), t0=0, step=30, digits=6):06d}"})
    assert client.get("/admin/insurance/offlineterminal/add/").status_code == 200
    response = client.post("/admin/insurance/offlineterminal/add/", {
        "institution": institution.pk, "name": "急诊收费处", "location": "急诊楼一楼", "_save": "1"})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    key_id = re.search(r'data-testid="terminal-key-id">([^<]+)<', html).group(1)
    secret = re.search(r'data-testid="terminal-secret">([^<]+)<', html).group(1)
    terminal = OfflineTerminal.objects.get()
    assert terminal.key_id == key_id and terminal.created_by == staff and terminal.institution == institution
    assert AuditEvent.objects.filter(action="settlement.offline_terminal_registered", actor=staff).count() == 1
    # The secret is not kept in clear, and the change page never shows it again.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM insurance_offlineterminal")
        assert secret not in cursor.fetchone()[0]
    assert secret not in client.get(f"/admin/insurance/offlineterminal/{terminal.pk}/change/").content.decode()

    counter = SignedApi(Client(), key_id, secret)
    assert counter.post(BATCH, {"settlements": [capture(mother)]}).json()["accepted"] == 1

    client.post("/admin/insurance/offlineterminal/", {"action": "revoke", "_selected_action": [terminal.pk]})
    terminal.refresh_from_db()
    assert not terminal.is_active and terminal.revoked_at is not None
    assert counter.post(BATCH, {"settlements": [capture(mother)]}, now=int(time.time()) - 1).status_code == 401


def test_the_demo_operator_can_enrol_her_counter_with_the_offline_terminal_seed_demo_prints(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    printed = StringIO()
    call_command("seed_demo", stdout=printed)
    info = json.loads(out.getvalue())
    (terminal,) = info["offline_terminals"]
    assert terminal["floor_limit_yuan"] == "200.00"
    assert terminal["key_id"] in printed.getvalue() and terminal["secret"] in printed.getvalue()
    assert OfflineTerminal.objects.filter(key_id=terminal["key_id"], is_active=True).count() == 1

    # The README's operator enters the printed credential at /counter/offline/ and her browser is enrolled.
    (operator_info,) = [w for w in info["workers"] if w["role"] == "operator"]
    operator = User.objects.get_by_phone(operator_info["phone"])
    assert operator.institution.name == terminal["institution"]
    enrolled, _token = enrol_terminal_browser(operator=operator, key_id=terminal["key_id"], secret=terminal["secret"])
    assert enrolled.key_id == terminal["key_id"]

    son = User.objects.get_by_phone(info["citizens"][1]["phone"]).person
    entry = capture(son)
    response = SignedApi(Client(), terminal["key_id"], terminal["secret"]).post(BATCH, {"settlements": [entry]})
    assert response.status_code == 200 and response.json()["accepted"] == 1
