"""Complaints and reports (投诉 / 举报) with a 24-hour clock: she or her son (with `act`) files one in words or as
a recording (checked: really audio, at most 2 MB and 2 minutes, kept privately), optionally about one of her
settlements; staff answer from an inbox ordered by the clock; the answer reaches her page live and by SMS; a
periodic job escalates at 20 hours and marks breaches after 24; she rates the answer."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import uuid
import wave
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import OutboundMessage
from assist.models import AssistSession
from audit.models import AuditEvent, Via
from conftest import client_for, latest_code_sent_to, make_staff, worker_client
from family.actions import invite_proxy
from family.models import ProxyGrant
from feedback import actions
from feedback.audio import NotAudio, check_recording
from feedback.models import Complaint, ComplaintStatus
from feedback.push import COMPLAINT, _render, clock_text
from settlement.models import Settlement


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def wav(seconds: float = 2.0, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(b"\x80" * int(seconds * rate))
    return out.getvalue()


def upload(data: bytes, name: str = "recording.webm") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="audio/webm")


def texts_to(phone: str) -> list[str]:
    return [m.body for m in OutboundMessage.objects.order_by("id") if m.phone == phone]


def son_acting_with(son, mother_user, scopes):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=list(scopes))
    grant = ProxyGrant.objects.get(proxy=son)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


@pytest.fixture
def staff_client(db):
    return worker_client(make_staff())


def file_one(mother_user, text="药店多收了我十块钱", **kwargs) -> Complaint:
    return actions.file_complaint(actor=mother_user, person=mother_user.person, via=Via.SELF, text=text, **kwargs)


# --- filing ----------------------------------------------------------------------------------------------------


def test_she_files_a_complaint_in_words_and_sees_the_clock(mother_client, mother_user):
    page = mother_client.get("/feedback/complaints/new/").content.decode()
    assert "开始录音" in page and "js/recorder.js" in page and 'name="recording"' in page
    response = mother_client.post("/feedback/complaints/new/", {"kind": "complaint", "text": "药店多收了我十块钱"})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response.url == f"/feedback/complaints/{complaint.public_id}/"
    assert complaint.via == "self" and complaint.status == ComplaintStatus.OPEN
    assert abs((complaint.due_by - complaint.created_at) - dt.timedelta(hours=24)) < dt.timedelta(seconds=5)
    page = mother_client.get(response.url).content.decode()
    assert "还有24小时答复" in page and "药店多收了我十块钱" in page
    assert AuditEvent.objects.filter(action="feedback.complaint_filed", subject=mother_user.person).count() == 1


def test_an_empty_complaint_gets_a_message_and_saves_nothing(mother_client, mother_user):
    response = mother_client.post("/feedback/complaints/new/", {"kind": "complaint", "text": "   "})
    assert response.status_code == 400 and "请说一说或者写一写发生了什么" in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_recording_is_checked_kept_privately_and_played_back_to_her(mother_client, mother_user, settings):
    response = mother_client.post("/feedback/complaints/new/", {"kind": "report", "recording": upload(wav(3), "x.wav")})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.recording_seconds == 3 and complaint.kind == "report"
    assert complaint.recording.name.endswith(".wav") and "/static" not in complaint.recording.path
    played = mother_client.get(f"/feedback/complaints/{complaint.public_id}/recording/")
    assert played.status_code == 200 and played["Content-Type"] == "audio/wav"
    assert b"".join(played.streaming_content).startswith(b"RIFF")


def test_a_webm_opus_recording_like_chromiums_is_measured(tmp_path):
    # Never skipped: without ffmpeg the portal cannot check a recording either (`make system-deps` installs it).
    assert shutil.which("ffmpeg"), "ffmpeg is missing: run `make system-deps` (it makes the WebM/Opus a phone records)"
    target = tmp_path / "r.webm"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-c:a", "libopus",
                    "-f", "webm", str(target)], check=True)
    recording = check_recording(target.read_bytes())
    assert (recording.extension, recording.seconds) == ("webm", 4)


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xd8\xff\xe0" + b"\x00" * 2000, "这不是录音文件"),  # a JPEG
    (b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 10, "这段录音打不开"),  # the right magic, nothing inside
    (b"\x1a\x45\xdf\xa3" + b"\x00" * 100, "这段录音打不开"),
])
def test_a_file_that_is_not_audio_is_refused(mother_client, mother_user, data, message):
    response = mother_client.post("/feedback/complaints/new/", {"kind": "complaint", "text": "说不清楚",
                                                                 "recording": upload(data)})
    assert response.status_code == 400 and message in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_recording_too_long_or_too_big_is_refused(mother_client, mother_user, settings, tmp_path):
    too_long = mother_client.post("/feedback/complaints/new/", {"kind": "complaint", "recording": upload(wav(125, 4000))})
    assert too_long.status_code == 400 and "最多2分钟" in too_long.content.decode()
    too_big = mother_client.post("/feedback/complaints/new/", {"kind": "complaint", "recording": upload(wav(60, 40000))})
    assert too_big.status_code == 400 and "最多2MB" in too_big.content.decode()
    with pytest.raises(NotAudio):
        check_recording(b"")
    assert not Complaint.objects.exists()


def test_a_failed_save_leaves_no_file_behind(mother_user, settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    storage = Complaint._meta.get_field("recording").storage
    before = sorted(storage.listdir("complaints")[1]) if storage.exists("complaints") else []
    monkeypatch.setattr(actions, "_record", broken)
    with pytest.raises(RuntimeError):
        file_one(mother_user, recording=check_recording(wav(2)))
    assert not Complaint.objects.exists()
    storage = Complaint._meta.get_field("recording").storage
    assert (sorted(storage.listdir("complaints")[1]) if storage.exists("complaints") else []) == before


def test_tied_to_one_of_her_settlements_and_never_to_someone_elses(mother_client, mother_user, stranger, institution):
    mine = Settlement.objects.create(institution=institution, person=mother_user.person, voucher=mother_user.person.voucher,
                                     code_nonce=uuid.uuid4().hex, visit_type="outpatient", status="failed",
                                     total=Decimal("88.00"))
    page = mother_client.get(f"/feedback/complaints/new/?settlement={mine.public_id}").content.decode()
    assert f'value="{mine.public_id}" selected' in page
    mother_client.post("/feedback/complaints/new/", {"kind": "complaint", "text": "没结算成功",
                                                     "settlement": str(mine.public_id)})
    assert Complaint.objects.get().settlement == mine
    other = Settlement.objects.create(institution=institution, person=stranger.person, voucher=stranger.person.voucher,
                                      code_nonce=uuid.uuid4().hex, visit_type="outpatient", status="failed",
                                      total=Decimal("1.00"))
    response = mother_client.post("/feedback/complaints/new/", {"kind": "complaint", "text": "x",
                                                                "settlement": str(other.public_id)})
    assert response.status_code == 400 and Complaint.objects.count() == 1


def test_her_son_with_act_files_for_her_and_she_is_told(son, mother_user):
    client, grant = son_acting_with(son, mother_user, ["act"])
    response = client.post("/feedback/complaints/new/", {"kind": "complaint", "text": "医院不让用医保码"})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.via == "proxy" and complaint.made_by == son
    event = AuditEvent.objects.get(action="feedback.complaint_filed")
    assert event.via == "proxy" and event.detail["grant_id"] == grant.pk
    assert any("替您提交了一件投诉" in text for text in texts_to(mother_user.person.phone))


def test_a_proxy_without_act_may_not_file_and_a_stranger_sees_nothing(son, mother_user, stranger_client):
    client, _grant = son_acting_with(son, mother_user, ["view_settlements"])
    assert client.post("/feedback/complaints/new/", {"kind": "complaint", "text": "x"}).status_code == 403
    assert client.get("/feedback/complaints/").status_code == 403
    complaint = file_one(mother_user)
    assert stranger_client.get(f"/feedback/complaints/{complaint.public_id}/").status_code == 404
    assert stranger_client.get(f"/feedback/complaints/{complaint.public_id}/recording/").status_code == 404
    assert stranger_client.post(f"/feedback/complaints/{complaint.public_id}/rate/", {"rating": "satisfied"}).status_code == 404


def test_a_proxy_with_view_records_reads_her_complaint_and_its_clock(son, mother_user):
    complaint = file_one(mother_user)
    client, _grant = son_acting_with(son, mother_user, ["view_records"])
    page = client.get(f"/feedback/complaints/{complaint.public_id}/").content.decode()
    assert "还有24小时答复" in page and "药店多收了我十块钱" in page
    assert client.post(f"/feedback/complaints/{complaint.public_id}/rate/", {"rating": "okay"}).status_code == 403


# --- staff ---------------------------------------------------------------------------------------------------


def test_the_inbox_is_ordered_by_the_clock_and_only_for_staff(staff_client, mother_client, mother_user, stranger):
    later = file_one(mother_user, text="第二件")
    sooner = file_one(mother_user, text="第一件")
    Complaint.objects.filter(pk=sooner.pk).update(due_by=timezone.now() + dt.timedelta(hours=2),
                                                  escalated_at=timezone.now())
    page = staff_client.get("/staff/complaints/").content.decode()
    assert page.index("第一件") < page.index("第二件") and "已督办" in page
    assert mother_client.get("/staff/complaints/").status_code == 302
    assert mother_client.post(f"/staff/complaints/{later.public_id}/", {"text": "x"}).status_code == 403


def test_staff_answer_it_is_pushed_live_and_sent_by_sms_then_close(staff_client, son, mother_user, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    son_acting_with(son, mother_user, ["view_records"])
    complaint = file_one(mother_user)
    pushed = []
    monkeypatch.setattr("feedback.push.publish_all", lambda events: pushed.extend(events))
    empty = staff_client.post(f"/staff/complaints/{complaint.public_id}/", {"do": "reply", "text": " "})
    assert empty.status_code == 400 and "请写答复内容" in empty.content.decode()
    early_close = staff_client.post(f"/staff/complaints/{complaint.public_id}/", {"do": "close"})
    assert early_close.status_code == 400 and "请先答复她" in early_close.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/staff/complaints/{complaint.public_id}/", {"do": "reply", "text": "已核实，多收的钱退给您。"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED and complaint.answered_at and not complaint.breached
    assert {e.kind for e in pushed} == {COMPLAINT} and len(pushed) == 2  # her pages and her son's
    html = _render(complaint.pk, "zh-hans")
    assert "已核实，多收的钱退给您。" in html and 'hx-swap-oob="innerHTML"' in html and "complaint-rate-satisfied" in html
    assert sum("医保局已答复" in text for text in texts_to(mother_user.person.phone)) == 1
    assert sum("医保局已答复" in text for text in texts_to(son.phone)) == 1
    staff_client.post(f"/staff/complaints/{complaint.public_id}/", {"do": "close"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    again = staff_client.post(f"/staff/complaints/{complaint.public_id}/", {"do": "reply", "text": "再说一句"})
    assert again.status_code == 400 and complaint.replies.count() == 1


def test_staff_play_the_recording(staff_client, mother_user):
    complaint = file_one(mother_user, text="", recording=check_recording(wav(2)))
    assert staff_client.get(f"/staff/complaints/{complaint.public_id}/recording/").status_code == 200


def test_she_rates_the_answer_once(mother_client, mother_user):
    complaint = file_one(mother_user)
    early = mother_client.post(f"/feedback/complaints/{complaint.public_id}/rate/", {"rating": "satisfied"},
                               HTTP_HX_REQUEST="true")
    assert "还没有答复" in early.content.decode()
    actions.answer_complaint(complaint.pk, staff=make_staff(), text="好的")
    mother_client.post(f"/feedback/complaints/{complaint.public_id}/rate/", {"rating": "okay"})
    second = mother_client.post(f"/feedback/complaints/{complaint.public_id}/rate/", {"rating": "unsatisfied"},
                                HTTP_HX_REQUEST="true")
    assert "已经评价过了" in second.content.decode()
    complaint.refresh_from_db()
    assert complaint.rating == "okay"


# --- the clock ---------------------------------------------------------------------------------------------------


def test_the_clock_escalates_at_20_hours_and_marks_breaches_after_24(mother_user, time_machine):
    complaint = file_one(mother_user)
    start = complaint.created_at
    assert actions.watch_the_clock(start + dt.timedelta(hours=19)) == (0, 0)
    assert actions.watch_the_clock(start + dt.timedelta(hours=20, minutes=1)) == (1, 0)
    assert actions.watch_the_clock(start + dt.timedelta(hours=21)) == (0, 0)  # once
    complaint.refresh_from_db()
    assert complaint.escalated_at and not complaint.breached
    assert actions.watch_the_clock(start + dt.timedelta(hours=24, minutes=1)) == (0, 1)
    assert actions.watch_the_clock(start + dt.timedelta(hours=25)) == (0, 0)
    complaint.refresh_from_db()
    assert complaint.breached
    assert AuditEvent.objects.filter(action="feedback.complaint_escalated").count() == 1
    assert AuditEvent.objects.filter(action="feedback.complaint_breached").count() == 1
    assert "已超过24小时" in clock_text(complaint, now=start + dt.timedelta(hours=25))
    assert clock_text(complaint, now=start + dt.timedelta(hours=3, minutes=30)) == "还有21小时答复"


def test_an_answered_complaint_is_never_escalated(mother_user):
    complaint = file_one(mother_user)
    actions.answer_complaint(complaint.pk, staff=make_staff(), text="已处理")
    assert actions.watch_the_clock(complaint.created_at + dt.timedelta(hours=30)) == (0, 0)


# --- a helper in a session -----------------------------------------------------------------------------------


def helper_session(kiosk_client, mother, tasks) -> AssistSession:
    kiosk_client.post("/assist/start/", {"name": "王秀英", "id_number": "330100194403121123", "tasks": list(tasks)})
    session = AssistSession.objects.latest("id")
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "send_code"})
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                      {"step": "code", "code": latest_code_sent_to(mother.phone)})
    session.refresh_from_db()
    assert session.status == "active"
    return session


def test_a_helper_files_one_for_her_in_a_session_with_the_task(kiosk_client, helper, mother_user):
    session = helper_session(kiosk_client, mother_user.person, ["complaint"])
    assert "投诉和举报" in kiosk_client.get(f"/assist/s/{session.public_id}/").content.decode()
    base = f"/assist/s/{session.public_id}/complaint/"
    page = kiosk_client.get(base).content.decode()
    assert f'action="{base}"' in page and "返回帮办" in page and "我的投诉和举报" not in page
    empty = kiosk_client.post(base, {"kind": "complaint", "text": ""})
    assert empty.status_code == 400 and not Complaint.objects.exists()
    response = kiosk_client.post(base, {"kind": "complaint", "recording": upload(wav(2), "r.wav")})
    assert response.url == f"/assist/s/{session.public_id}/"
    complaint = Complaint.objects.get()
    assert complaint.via == "helper" and complaint.made_by == helper and complaint.person == mother_user.person
    event = AuditEvent.objects.get(action="feedback.complaint_filed")
    assert event.via == Via.HELPER and event.detail["assist_session_id"] == session.pk
    session.refresh_from_db()
    assert "complaint" in session.done


def test_a_helper_without_the_task_is_refused(kiosk_client, helper, mother_user):
    session = helper_session(kiosk_client, mother_user.person, ["check_records"])
    response = kiosk_client.post(f"/assist/s/{session.public_id}/complaint/", {"kind": "complaint", "text": "x"})
    assert response.status_code == 403 and not Complaint.objects.exists()


def test_more_than_ten_in_a_day_are_refused_with_the_hotline(mother_client, mother_user):
    for n in range(actions.COMPLAINTS_PER_DAY):
        file_one(mother_user, text=f"第{n}件")
    response = mother_client.post("/feedback/complaints/new/", {"kind": "complaint", "text": "又一件"})
    assert response.status_code == 400 and "请明天再提交" in response.content.decode()
    assert Complaint.objects.count() == actions.COMPLAINTS_PER_DAY


def test_her_list_shows_each_complaint_with_its_clock(mother_client, mother_user):
    empty = mother_client.get("/feedback/complaints/").content.decode()
    assert "还没有投诉或举报" in empty and 'data-testid="complaint-new"' in empty
    file_one(mother_user)
    page = mother_client.get("/feedback/complaints/").content.decode()
    assert "还有24小时答复" in page and "等待答复" in page
