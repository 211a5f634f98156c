"""异地就医备案: she files herself, her son with `act` files for her, a helper files in a session; the rules
refuse bad input with a plain message and keep nothing; staff decide once; the engine pays the filed rate from
the moment a filing is approved and stops when it is cancelled; every change reaches her pages live and by SMS."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from accounts.models import OutboundMessage, Role, User
from assist.models import AssistSession, SessionStatus
from audit.kinds import Kind
from audit.models import AuditEvent
from conftest import (
    HELPER_PASSWORD,
    WORKER_TOTP_KEY,
    client_for,
    latest_code_sent_to,
    make_citizen,
    make_person,
    worker_client,
)
from core.crypto import blind_index
from family.actions import invite_proxy
from insurance.filings import Filing, FilingRequirement, ReviewStatus, Via
from insurance.workdays import add_working_days
from live import to_person, to_user, to_watchers
from live.fragments import render_all
from services import actions
from services.actions import ServiceError, cancel_filing, change_filing, decide_filing, submit_filing
from services.models import Attachment
from services.uploads import clean_photo_bytes

SHANGHAI, HAIKOU, SANSHA, HANGZHOU = "310000", "460100", "460300", "330100"
GRANDMA_ID = "330100194403121123"
# The module, not the `live.publish` function that live/__init__.py exports under the same name.
live_publish = importlib.import_module("live.publish")


def _jpeg(width: int = 640, height: int = 480, color=(200, 180, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG")
    return out.getvalue()


def photo():
    return clean_photo_bytes(_jpeg())


def upload(name: str = "paper.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _jpeg(), content_type="image/jpeg")


def texts_to(phone: str) -> list[str]:
    return list(OutboundMessage.objects.filter(phone_index=blind_index("phone", phone)).values_list("body", flat=True))


def today() -> dt.date:
    return timezone.localdate()


def file_for(person, actor, **overrides) -> Filing:
    values = {"via": Via.SELF, "filing_type": "temporary", "region_code": SHANGHAI, "valid_from": today(),
              "valid_until": today() + dt.timedelta(days=30), "hospital": "", "photos": [], "promised": True}
    values.update(overrides)
    return submit_filing(actor=actor, person=person, **values)


def son_acting_for(mother_user, son, scopes):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=scopes)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


@pytest.fixture
def staff(db) -> User:
    user = User.objects.create_user("+8613700137005", HELPER_PASSWORD, role=Role.STAFF, display_name="审核员")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
    return user


def private_files() -> list[Path]:
    return [p for p in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file()]


# --- she files herself ------------------------------------------------------------------------------------


def test_a_temporary_filing_takes_effect_at_once_and_she_is_texted(mother_user, mother, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        filing = file_for(mother, mother_user)
    assert filing.status == ReviewStatus.APPROVED and filing.decided_at is not None and filing.decided_by is None
    event = AuditEvent.objects.get(action=Kind.FILING_SUBMITTED)
    assert event.via == "self" and event.subject == mother and event.detail["filing"] == str(filing.public_id)
    assert any("异地就医备案（去上海市）已通过" in t and "直接用医保结算" in t for t in texts_to(mother.phone))


def test_she_files_in_three_screens_with_the_materials_shown_before_she_starts(mother_client, mother):
    first = mother_client.get("/services/filing/").content.decode()
    assert "个人承诺书" in first and "转诊转院证明" in first and "去海口市还要" in first
    assert 'optgroup label="海南省"' in first
    data = {"step": "1", "filing_type": "temporary", "region_code": SHANGHAI, "valid_from": str(today()),
            "valid_until": str(today() + dt.timedelta(days=20))}
    second = mother_client.post("/services/filing/", data)
    assert second.status_code == 200 and 'name="promised"' in second.content.decode()
    done = mother_client.post("/services/filing/", {**data, "step": "2", "promised": "on"})
    filing = Filing.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/services/filings/{filing.public_id}/?new=1"
    page = mother_client.get(done["Location"]).content.decode()
    assert "备案已提交" in page and f'id="filing-{filing.public_id}"' in page and "已通过" in page


def test_a_city_with_one_more_material_asks_for_its_photo_and_keeps_it(mother_client, mother):
    extra = FilingRequirement.objects.get(filing_type="residence", region_code=HAIKOU)
    data = {"step": "2", "filing_type": "residence", "region_code": HAIKOU, "valid_from": str(today()),
            "promised": "on"}
    missing = mother_client.post("/services/filing/", data).content.decode()
    assert "还缺“海南居住证或社区居住证明”的照片" in missing and not Filing.objects.exists()
    mother_client.post("/services/filing/", {**data, f"photo_{extra.pk}": upload()})
    filing = Filing.objects.get()
    assert [a.label for a in filing.attachments.all()] == ["海南居住证或社区居住证明"]


# --- bad input: a plain message each, nothing kept --------------------------------------------------------


@pytest.mark.parametrize(("overrides", "says", "field"), [
    ({"region_code": "999999"}, "请从列表里选要去的城市", "region_code"),
    ({"region_code": SANSHA}, "还没有开通异地就医直接结算", "region_code"),
    ({"region_code": HANGZHOU}, "就是您参保的地方", "region_code"),
    ({"valid_from": dt.date(2020, 1, 1)}, "开始日期不能早于今天", "valid_from"),
    ({"valid_until": "before"}, "结束日期不能早于开始日期", "valid_until"),
    ({"valid_until": None}, "这一类备案要填结束日期", "valid_until"),
    ({"valid_until": "too_long"}, "最长180天", "valid_until"),
    ({"promised": False}, "请勾选“我承诺”", "promised"),
    ({"filing_type": "work", "valid_until": None}, "还缺“工作证明”的照片", None),
    ({"filing_type": "referral"}, "转诊要写去哪家医院", "hospital"),
    ({"filing_type": "nonsense"}, "请选一种备案类型", "filing_type"),
    ({"photos": "seven"}, "最多传6张照片", None),
])
def test_each_bad_filing_is_refused_with_a_plain_message_and_nothing_saved(mother_user, mother, overrides, says, field):
    if overrides.get("valid_until") == "before":
        overrides["valid_from"], overrides["valid_until"] = today() + dt.timedelta(days=5), today()
    if overrides.get("valid_until") == "too_long":
        overrides["valid_until"] = today() + dt.timedelta(days=180)
    if overrides.get("photos") == "seven":
        overrides["photos"] = [("个人承诺书", photo())] * 7
    with pytest.raises(ServiceError, match=says) as caught:
        file_for(mother, mother_user, **overrides)
    if field:
        assert caught.value.field == field or (field == "valid_from" and caught.value.field == "valid_from")
    assert not Filing.objects.exists() and not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action=Kind.FILING_SUBMITTED).exists()


def test_the_unconnected_city_says_where_to_go_instead(mother_user, mother):
    with pytest.raises(ServiceError) as caught:
        file_for(mother, mother_user, region_code=SANSHA)
    assert "杭州市医保窗口" in caught.value.message and "12393" in caught.value.message


def test_a_filing_that_overlaps_one_she_holds_to_the_same_city_is_refused(mother_user, mother):
    file_for(mother, mother_user)
    with pytest.raises(ServiceError, match="已经有一份去上海市的备案"):
        file_for(mother, mother_user, valid_from=today() + dt.timedelta(days=10))
    assert Filing.objects.count() == 1
    file_for(mother, mother_user, valid_from=today() + dt.timedelta(days=31), valid_until=today() + dt.timedelta(days=40))
    file_for(mother, mother_user, region_code="440100")  # another city the same days is fine
    assert Filing.objects.count() == 3


def test_a_bad_date_on_the_page_is_shown_under_the_field_not_as_an_error_page(mother_client, mother):
    for value in ("not-a-date", "2020-01-01"):
        response = mother_client.post("/services/filing/", {"step": "1", "filing_type": "temporary",
                                                             "region_code": SHANGHAI, "valid_from": value})
        assert response.status_code == 200
        assert 'class="field-error"' in response.content.decode()
    assert not Filing.objects.exists()


def test_a_failure_after_the_photos_are_written_leaves_no_row_and_no_file(mother_user, mother, monkeypatch):
    before = set(private_files())

    def broken(*args, **kwargs):
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(actions, "record", broken)
    with pytest.raises(RuntimeError):
        file_for(mother, mother_user, filing_type="work", valid_until=None, photos=[("工作证明", photo())])
    assert not Filing.objects.exists() and not Attachment.objects.exists()
    assert set(private_files()) == before


def test_a_file_that_is_not_a_photo_is_refused_on_the_page_and_nothing_is_kept(mother_client, mother):
    work = FilingRequirement.objects.get(filing_type="work", region_code="")
    response = mother_client.post("/services/filing/", {
        "step": "2", "filing_type": "work", "region_code": SHANGHAI, "valid_from": str(today()),
        f"photo_{work.pk}": SimpleUploadedFile("proof.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")})
    assert response.status_code == 200 and "这不是照片文件" in response.content.decode()
    assert not Filing.objects.exists() and not Attachment.objects.exists()


# --- review, change, cancel -------------------------------------------------------------------------------


def test_a_referral_waits_for_review_with_the_promised_date_and_the_days_left(mother_client, mother_user, mother):
    filing = file_for(mother, mother_user, filing_type="referral", hospital="复旦大学附属中山医院",
                      photos=[("转诊转院证明", photo())])
    assert filing.status == ReviewStatus.PENDING
    assert filing.due_by == add_working_days(filing.submitted_at, 3)
    page = mother_client.get(f"/services/filings/{filing.public_id}/").content.decode()
    assert "正在审核" in page and "个工作日" in page


def test_staff_decide_once_and_a_second_decision_changes_nothing(mother_user, mother, staff):
    filing = file_for(mother, mother_user, filing_type="referral", hospital="中山医院", photos=[("转诊转院证明", photo())])
    with pytest.raises(ServiceError, match="至少4个字"):
        decide_filing(filing.pk, staff=staff, decision="return", reason="不清")
    decide_filing(filing.pk, staff=staff, decision="approve")
    with pytest.raises(ServiceError, match="这份备案已经处理过了"):
        decide_filing(filing.pk, staff=staff, decision="refuse", reason="材料不符合要求")
    filing.refresh_from_db()
    assert filing.status == ReviewStatus.APPROVED and filing.decided_by == staff
    assert AuditEvent.objects.filter(action__in=[Kind.FILING_APPROVED, Kind.FILING_REFUSED]).count() == 1


def test_only_staff_may_decide(mother_user, mother, helper):
    filing = file_for(mother, mother_user, filing_type="referral", hospital="中山医院", photos=[("转诊转院证明", photo())])
    with pytest.raises(ServiceError, match="只有医保局工作人员"):
        decide_filing(filing.pk, staff=helper, decision="approve")


def test_a_returned_filing_is_corrected_and_goes_back_to_review_with_a_new_clock(
        mother_client, mother_user, mother, staff, son, django_capture_on_commit_callbacks):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["view_records"])
    filing = file_for(mother, mother_user, filing_type="referral", hospital="中山医院", photos=[("转诊转院证明", photo())])
    with django_capture_on_commit_callbacks(execute=True):
        decide_filing(filing.pk, staff=staff, decision="return", reason="转诊单没有盖章，请重拍盖章的那一页")
    assert any("需要补充：转诊单没有盖章" in t for t in texts_to(mother.phone))
    assert any(f"您的家人{mother.masked_name}的异地就医备案" in t and "转诊单没有盖章" in t for t in texts_to(son.phone))
    page = mother_client.get(f"/services/filings/{filing.public_id}/").content.decode()
    assert "转诊单没有盖章" in page and "改好后重新提交" in page
    referral = FilingRequirement.objects.get(filing_type="referral", name="转诊转院证明")
    form = mother_client.get(f"/services/filings/{filing.public_id}/change/").content.decode()
    assert "转诊单没有盖章" in form and "已经传过" in form and 'capture="environment"' in form
    response = mother_client.post(f"/services/filings/{filing.public_id}/change/", {
        "filing_type": "referral", "region_code": SHANGHAI, "valid_from": str(today()),
        "valid_until": str(today() + dt.timedelta(days=30)), "hospital": "中山医院", f"photo_{referral.pk}": upload()})
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == ReviewStatus.PENDING and filing.reason == "" and filing.due_by is not None
    assert filing.attachments.count() == 2
    assert AuditEvent.objects.filter(action=Kind.FILING_CHANGED).count() == 1
    decide_filing(filing.pk, staff=staff, decision="approve")


def test_changing_an_approved_referral_sends_it_back_to_review_and_a_temporary_one_stays_approved(mother_user, mother):
    referral = file_for(mother, mother_user, filing_type="referral", hospital="中山医院",
                        photos=[("转诊转院证明", photo())])
    Filing.objects.filter(pk=referral.pk).update(status=ReviewStatus.APPROVED)
    referral.refresh_from_db()
    changed = change_filing(referral, actor=mother_user, via=Via.SELF, filing_type="referral", region_code=SHANGHAI,
                            valid_from=today() + dt.timedelta(days=2), valid_until=today() + dt.timedelta(days=9),
                            hospital="中山医院")
    assert changed.status == ReviewStatus.PENDING
    temporary = file_for(mother, mother_user, region_code="440100")
    changed = change_filing(temporary, actor=mother_user, via=Via.SELF, filing_type="temporary", region_code="440100",
                            valid_from=today() + dt.timedelta(days=1), valid_until=today() + dt.timedelta(days=9),
                            promised=True)
    assert changed.status == ReviewStatus.APPROVED and changed.valid_from == today() + dt.timedelta(days=1)


def test_cancel_asks_on_a_page_first_and_then_cancels(mother_client, mother_user, mother):
    filing = file_for(mother, mother_user)
    asked = mother_client.get(f"/services/filings/{filing.public_id}/cancel/").content.decode()
    assert "确定取消吗？" in asked
    filing.refresh_from_db()
    assert filing.status == ReviewStatus.APPROVED
    mother_client.post(f"/services/filings/{filing.public_id}/cancel/")
    filing.refresh_from_db()
    assert filing.status == ReviewStatus.CANCELLED
    with pytest.raises(ServiceError, match="不能再改了"):
        change_filing(filing, actor=mother_user, via=Via.SELF, filing_type="temporary", region_code=SHANGHAI,
                      valid_from=today(), valid_until=today(), promised=True)


# --- the engine pays the filed rate from the moment it is approved -----------------------------------------


def test_a_filing_that_takes_effect_at_once_is_paid_the_filed_rate_the_same_day_until_cancelled(
        mother_user, mother, rules):
    from insurance.policy import Accumulator
    from tests.test_settlement_flow import _institution_in, _settle_at  # the existing pattern of a bill

    Accumulator.objects.create(person=mother, year=today().year, deductible_used=D("10000"))
    shanghai = _institution_in(SHANGHAI)
    unfiled = _settle_at(shanghai, mother)
    filing = file_for(mother, mother_user, valid_until=today())
    filed = _settle_at(shanghai, mother)
    cancel_filing(filing, actor=mother_user, via=Via.SELF)
    after = _settle_at(shanghai, mother)
    assert (unfiled.breakdown["locality"], filed.breakdown["locality"], after.breakdown["locality"]) == (
        "out_unfiled", "out_filed", "out_unfiled")
    # 50 yuan of A items, deductible met, employee tertiary outpatient: 60% unfiled, 75% filed.
    assert (unfiled.fund_pay, filed.fund_pay, after.fund_pay) == (D("30.00"), D("37.50"), D("30.00"))


# --- her son, a stranger ---------------------------------------------------------------------------------


def test_her_son_with_act_files_for_her_she_sees_it_and_is_texted_who_did(
        mother_client, mother_user, mother, son, django_capture_on_commit_callbacks):
    client, grant = son_acting_for(mother_user, son, ["act"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/services/filing/", {
            "step": "2", "filing_type": "temporary", "region_code": SHANGHAI, "valid_from": str(today()),
            "valid_until": str(today() + dt.timedelta(days=10)), "promised": "on"})
    assert response.status_code == 302
    filing = Filing.objects.get(person=mother)
    assert filing.via == Via.PROXY and filing.submitted_by == son
    event = AuditEvent.objects.get(action=Kind.FILING_SUBMITTED)
    assert event.via == "proxy" and event.detail["grant_id"] == grant.pk and event.actor == son
    assert any(f"{son.masked_name}刚刚替您办了异地就医备案（去上海市）" in t for t in texts_to(mother.phone))
    assert str(filing.public_id) in mother_client.get("/services/filings/").content.decode()
    grant.refresh_from_db()
    assert grant.last_used_at is not None


def test_her_son_without_act_gets_the_not_allowed_page_and_nothing_is_saved(mother_user, mother, son):
    client, _grant = son_acting_for(mother_user, son, ["view_records"])
    assert client.get("/services/filing/").status_code == 403
    response = client.post("/services/filing/", {
        "step": "2", "filing_type": "temporary", "region_code": SHANGHAI, "valid_from": str(today()),
        "valid_until": str(today() + dt.timedelta(days=10)), "promised": "on"})
    assert response.status_code == 403 and not Filing.objects.exists()
    filing = file_for(mother, mother_user)
    assert client.get("/services/filings/").status_code == 200  # view_records: he may read them
    assert client.post(f"/services/filings/{filing.public_id}/cancel/").status_code == 403
    filing.refresh_from_db()
    assert filing.status == ReviewStatus.APPROVED


def test_her_son_with_only_show_code_may_not_read_her_filings(mother_user, mother, son):
    client, _grant = son_acting_for(mother_user, son, ["show_code"])
    filing = file_for(mother, mother_user)
    assert client.get("/services/filings/").status_code == 403
    assert client.get(f"/services/filings/{filing.public_id}/").status_code == 403


def test_a_stranger_finds_neither_her_filing_nor_her_photo(mother_user, mother, stranger_client):
    filing = file_for(mother, mother_user, filing_type="work", valid_until=None, photos=[("工作证明", photo())])
    attachment = filing.attachments.get()
    assert stranger_client.get(f"/services/filings/{filing.public_id}/").status_code == 404
    assert stranger_client.get(f"/services/filings/{filing.public_id}/change/").status_code == 404
    assert stranger_client.post(f"/services/filings/{filing.public_id}/cancel/").status_code == 404
    assert stranger_client.get(f"/services/attachments/{attachment.public_id}/").status_code == 404
    filing.refresh_from_db()
    assert filing.status == ReviewStatus.APPROVED


# --- the photo itself ---------------------------------------------------------------------------------------


def test_her_photo_is_streamed_to_her_privately_and_a_proxys_look_is_audited(mother_client, mother_user, mother, son):
    filing = file_for(mother, mother_user, filing_type="work", valid_until=None, photos=[("工作证明", photo())])
    attachment = filing.attachments.get()
    url = f"/services/attachments/{attachment.public_id}/"
    response = mother_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store" and response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    assert not AuditEvent.objects.filter(action=Kind.ATTACHMENT_VIEWED).exists()
    client, grant = son_acting_for(mother_user, son, ["view_records"])
    assert client.get(url).status_code == 200
    event = AuditEvent.objects.get(action=Kind.ATTACHMENT_VIEWED)
    assert event.via == "proxy" and event.detail["grant_id"] == grant.pk


def test_verified_staff_see_the_photo_and_leave_an_audit_row(mother_user, mother, staff):
    filing = file_for(mother, mother_user, filing_type="work", valid_until=None, photos=[("工作证明", photo())])
    attachment = filing.attachments.get()
    assert worker_client(staff).get(f"/services/attachments/{attachment.public_id}/").status_code == 200
    assert AuditEvent.objects.get(action=Kind.ATTACHMENT_VIEWED).via == "staff"


# --- a helper in a session ------------------------------------------------------------------------------------


def _session(kiosk_client, mother, tasks):
    response = kiosk_client.post("/assist/start/", {"name": "王秀英", "id_number": GRANDMA_ID, "tasks": tasks})
    assert response.status_code == 302, response.content.decode()[:1000]
    session = AssistSession.objects.latest("id")
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "send_code"})
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                      {"step": "code", "code": latest_code_sent_to(mother.phone)})
    session.refresh_from_db()
    assert session.status == SessionStatus.ACTIVE
    return session


def test_a_helper_with_the_task_files_for_her_at_the_kiosk(kiosk_client, mother_user, mother):
    session = _session(kiosk_client, mother, ["file_filing"])
    url = f"/assist/s/{session.public_id}/filing/"
    data = {"filing_type": "work", "region_code": SHANGHAI, "valid_from": str(today())}
    assert "下一步" in kiosk_client.get(url).content.decode()
    assert "工作证明" in kiosk_client.post(url, {**data, "step": "1"}).content.decode()
    work = FilingRequirement.objects.get(filing_type="work", region_code="")
    response = kiosk_client.post(url, {**data, "step": "2", f"photo_{work.pk}": upload()})
    assert response.status_code == 302
    filing = Filing.objects.get(person=mother)
    assert filing.via == Via.HELPER and filing.status == ReviewStatus.APPROVED
    event = AuditEvent.objects.get(action=Kind.FILING_SUBMITTED)
    assert event.via == "helper" and event.detail["assist_session_id"] == session.pk
    session.refresh_from_db()
    assert "file_filing" in session.done
    photo_url = f"/services/attachments/{filing.attachments.get().public_id}/"
    assert kiosk_client.get(photo_url).status_code == 200


def test_a_helper_without_the_task_gets_the_not_allowed_page_and_cannot_see_her_photo(
        kiosk_client, mother_user, mother):
    filing = file_for(mother, mother_user, filing_type="work", valid_until=None, photos=[("工作证明", photo())])
    session = _session(kiosk_client, mother, ["show_code"])
    response = kiosk_client.post(f"/assist/s/{session.public_id}/filing/", {
        "step": "2", "filing_type": "temporary", "region_code": "440100", "valid_from": str(today()),
        "valid_until": str(today()), "promised": "on"})
    assert response.status_code == 403
    assert Filing.objects.count() == 1
    assert kiosk_client.get(f"/services/attachments/{filing.attachments.get().public_id}/").status_code == 404


# --- live pushes -------------------------------------------------------------------------------------------


def test_every_status_change_is_pushed_to_her_and_to_proxies_who_may_see_it_and_no_one_else(
        mother_user, mother, son, staff, monkeypatch, django_capture_on_commit_callbacks):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["act"])
    # Her daughter may watch her settlements and show her code, nothing else: no filing reaches her pages.
    daughter = make_citizen(make_person(name="李建华", phone="+8613700137003"))
    invite_proxy(principal_user=mother_user, phone_e164=daughter.phone, relationship="child",
                 scopes=["show_code", "view_settlements"])
    sent: list = []
    monkeypatch.setattr(live_publish, "send_now", lambda events: sent.extend(events))
    with django_capture_on_commit_callbacks(execute=True):
        filing = file_for(mother, mother_user, filing_type="referral", hospital="中山医院",
                          photos=[("转诊转院证明", photo())])
    with django_capture_on_commit_callbacks(execute=True):
        decide_filing(filing.pk, staff=staff, decision="approve")
    audiences = {e.audience for e in sent if e.kind == "services.filing"}
    assert {to_person(mother.pk), to_user(son.pk)} <= audiences
    assert not audiences & {to_watchers(mother.pk), to_user(daughter.pk)}
    # submitted, approved (and, once, "a new filing" for the top of her open list)
    assert len([e for e in sent if e.audience == to_person(mother.pk) and e.kind == "services.filing"]) == 2
    html = render_all("services.filing", filing.pk)
    assert f'id="filing-{filing.public_id}"' in html["zh-hans"] and 'hx-swap-oob="innerHTML"' in html["zh-hans"]
    assert "已通过" in html["zh-hans"]


def test_the_change_page_fills_in_her_dates_the_way_a_phones_date_picker_reads_them(mother_user, mother):
    filing = file_for(mother, mother_user, valid_from=today() + dt.timedelta(days=3),
                      valid_until=today() + dt.timedelta(days=40))
    page = client_for(mother_user).get(f"/services/filings/{filing.public_id}/change/").content.decode()
    assert f'value="{filing.valid_from.isoformat()}"' in page
    assert f'value="{filing.valid_until.isoformat()}"' in page
