"""Community dialect voice packs: registered volunteers record guide sentences for their own pack (real ffmpeg
checks and converts each recording), another person approves or rejects it, and an approved clip is played
instead of the synthesized guide to someone who chose that dialect. Changing a guide's words makes its clips
stale and the synthesized voice comes back."""

from __future__ import annotations

import array
import io
import math
import subprocess
import wave

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from audit.models import AuditEvent
from conftest import client_for, make_citizen, make_person, make_staff, worker_client
from elder_mode.models import ClipStatus, DialectPack, PackRecorder, VoiceClip
from elder_mode.voice.guides import GUIDES

RECORD_HOME = "/staff/voice-packs/wuu-hz/home/record/"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def wav(seconds: float = 2.0, amplitude: float = 0.5, rate: int = 16000) -> bytes:
    """A voice-like tone: 220 Hz, rising and falling like a spoken phrase. Amplitude over 1 is cut at full
    scale, as a microphone does when someone shouts into it."""
    samples = array.array("h")
    for i in range(int(seconds * rate)):
        t = i / rate
        envelope = 0.5 - 0.5 * math.cos(2 * math.pi * t / seconds) if amplitude <= 1 else 1.0
        value = amplitude * envelope * math.sin(2 * math.pi * 220 * t)
        samples.append(int(max(-1.0, min(1.0, value)) * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def upload(data: bytes, name: str = "clip.webm") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="audio/webm")


@pytest.fixture
def packs(db) -> dict[str, DialectPack]:
    return {"wuu-hz": DialectPack.objects.create(code="wuu-hz", name="吴语（杭州话）"),
            "nan": DialectPack.objects.create(code="nan", name="闽南语")}


@pytest.fixture
def volunteer(packs):
    """阿姨 from 翠苑社区, a citizen registered to record 吴语 only."""
    user = make_citizen(make_person(name="钱阿姨", phone="+8615800158008"))
    PackRecorder.objects.create(user=user).packs.set([packs["wuu-hz"]])
    return user


@pytest.fixture
def volunteer_client(volunteer):
    return client_for(volunteer)


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def staff_client(staff):
    return worker_client(staff)


def record_home(client, data: bytes | None = None):
    return client.post(RECORD_HOME, {"recording": upload(wav() if data is None else data)})


def approved_home_clip(volunteer_client, staff_client) -> VoiceClip:
    assert record_home(volunteer_client).status_code == 302
    clip = VoiceClip.objects.get()
    assert staff_client.post(f"/staff/voice-packs/clips/{clip.public_id}/review/", {"do": "approve"}).status_code == 302
    clip.refresh_from_db()
    return clip


def test_a_stranger_is_sent_to_sign_in_and_a_citizen_is_refused(client, stranger_client, packs, volunteer_client):
    assert record_home(volunteer_client).status_code == 302
    clip = VoiceClip.objects.get()
    for path in ("/staff/voice-packs/", "/staff/voice-packs/review/", "/staff/voice-packs/wuu-hz/", RECORD_HOME,
                 f"/staff/voice-packs/clips/{clip.public_id}/audio.mp3"):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/accounts/worker/login/" in anonymous["Location"], path
        refused = stranger_client.get(path)
        assert refused.status_code == 403, path
        assert "只有医保局工作人员和登记过的录音志愿者才能打开这里" in refused.content.decode()
    assert record_home(stranger_client).status_code == 403
    assert stranger_client.post(f"/staff/voice-packs/clips/{clip.public_id}/review/",
                                {"do": "approve"}).status_code == 403
    assert client.post(f"/staff/voice-packs/clips/{clip.public_id}/review/", {"do": "approve"}).status_code == 403
    clip.refresh_from_db()
    assert clip.status == ClipStatus.RECORDED


def test_a_volunteer_records_for_her_pack_and_the_clip_is_the_small_mp3(volunteer_client, volunteer, tmp_path):
    page = volunteer_client.get(RECORD_HOME)
    assert page.status_code == 200
    assert GUIDES["home"]["cmn"] in page.content.decode()
    response = record_home(volunteer_client)
    assert response.status_code == 302 and response["Location"] == "/staff/voice-packs/wuu-hz/"
    clip = VoiceClip.objects.get()
    assert (clip.status, clip.guide_key, clip.recorder, clip.text) == (
        ClipStatus.RECORDED, "home", volunteer, GUIDES["home"]["cmn"])
    assert 1.9 <= clip.duration <= 2.1
    data = clip.audio.read()
    assert data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=sample_rate,channels,bit_rate",
                            "-of", "default=noprint_wrappers=1", clip.audio.path], capture_output=True, text=True,
                           check=True).stdout
    assert "sample_rate=16000" in probe and "channels=1" in probe and "bit_rate=16000" in probe
    assert len(data) < 2 * 2000 + 2000  # about 2,000 bytes a second, like the synthesized guides
    assert AuditEvent.objects.filter(action="voice.clip_recorded", actor=volunteer).count() == 1
    # She may listen to it on the review page, and it is never public.
    assert volunteer_client.get(f"/staff/voice-packs/clips/{clip.public_id}/audio.mp3").status_code == 200


def test_a_volunteer_cannot_record_for_another_pack(volunteer_client):
    assert volunteer_client.get("/staff/voice-packs/nan/").status_code == 404
    assert volunteer_client.post("/staff/voice-packs/nan/home/record/",
                                 {"recording": upload(wav())}).status_code == 404
    assert not VoiceClip.objects.exists()
    listed = volunteer_client.get("/staff/voice-packs/").content.decode()
    assert "吴语（杭州话）" in listed and "闽南语" not in listed


@pytest.mark.parametrize(("data", "message"), [
    (wav(amplitude=0.001), "没有录到声音"),
    (wav(amplitude=4.0), "声音太大，录破了"),
    (wav(seconds=21.5, amplitude=0.5), "录音太长了，最多20秒"),
    (wav(seconds=0.3), "录音太短了"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 2000, "这不是录音"),  # a photo
    (b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 10, "这段录音打不开"),  # the right first bytes, nothing inside
    (b"", "录音是空的"),
], ids=["silent", "clipped", "too-long", "too-short", "a-photo", "broken-wav", "empty"])
def test_a_bad_recording_is_refused_with_a_plain_message(volunteer_client, data, message):
    response = record_home(volunteer_client, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not VoiceClip.objects.exists()


def test_a_recording_too_big_is_refused_before_it_is_read(volunteer_client, settings):
    settings.VOICE_CLIP_MAX_BYTES = 10_000
    response = record_home(volunteer_client, wav(seconds=2))
    assert response.status_code == 400 and "录音文件太大了" in response.content.decode()


def test_a_reviewer_cannot_approve_her_own_clip(volunteer_client, volunteer):
    record_home(volunteer_client)
    clip = VoiceClip.objects.get()
    queue = volunteer_client.get("/staff/voice-packs/review/").content.decode()
    assert "这是您自己录的，要请另一位来审核" in queue
    response = volunteer_client.post(f"/staff/voice-packs/clips/{clip.public_id}/review/", {"do": "approve"})
    assert response.status_code == 400
    assert "不能审核自己录的音" in response.content.decode()
    clip.refresh_from_db()
    assert clip.status == ClipStatus.RECORDED and clip.reviewer is None


def test_another_volunteer_of_the_pack_may_reject_with_a_reason_she_then_reads(volunteer_client, packs):
    record_home(volunteer_client)
    clip = VoiceClip.objects.get()
    other = make_citizen(make_person(name="孙大伯", phone="+8615800158009"))
    PackRecorder.objects.create(user=other).packs.set([packs["wuu-hz"]])
    reviewer = client_for(other)
    no_reason = reviewer.post(f"/staff/voice-packs/clips/{clip.public_id}/review/", {"do": "reject", "reason": " "})
    assert no_reason.status_code == 400 and "请写上没通过的原因" in no_reason.content.decode()
    done = reviewer.post(f"/staff/voice-packs/clips/{clip.public_id}/review/",
                         {"do": "reject", "reason": "“医保码”读成了普通话"})
    assert done.status_code == 302
    clip.refresh_from_db()
    assert (clip.status, clip.reviewer, clip.reason) == (ClipStatus.REJECTED, other, "“医保码”读成了普通话")
    assert AuditEvent.objects.filter(action="voice.clip_rejected", actor=other).exists()
    assert "“医保码”读成了普通话" in volunteer_client.get(RECORD_HOME).content.decode()


def test_the_approved_clip_is_heard_by_her_who_chose_the_dialect_and_synthesis_by_everyone_else(
        volunteer_client, staff_client, staff, mother_user, mother_client, stranger_client):
    mother_user.elder_mode = True  # her home page is the elder one, whose guide is "home"
    mother_user.save(update_fields=["elder_mode"])
    clip = approved_home_clip(volunteer_client, staff_client)
    assert (clip.status, clip.reviewer) == (ClipStatus.APPROVED, staff)
    assert AuditEvent.objects.filter(action="voice.clip_approved", actor=staff).exists()

    settings_page = mother_client.get("/elder/voice-settings/").content.decode()
    assert "吴语（杭州话）（已录1句" in settings_page and "闽南语" not in settings_page  # no clip yet: not offered
    chosen = mother_client.post("/elder/voice-settings/", {"voice_on": "on", "voice_lang": "cmn",
                                                           "voice_rate": "normal", "voice_pack": "wuu-hz"})
    assert chosen.status_code == 302 and mother_client.cookies["voice_pack"].value == "wuu-hz"
    home = mother_client.get("/").content.decode()
    assert "/elder/voice/cmn/normal/home.audio?pack=wuu-hz" in home

    hers = mother_client.get("/elder/voice/cmn/normal/home.audio?pack=wuu-hz")
    assert hers.status_code == 200 and hers["X-Voice-Source"] == "clip" and hers["Content-Type"] == "audio/mpeg"
    assert b"".join(hers.streaming_content) == clip.audio.open("rb").read()
    # A sentence nobody recorded yet: synthesized Mandarin, at the same kind of address.
    missing = mother_client.get("/elder/voice/cmn/normal/sign_in.audio?pack=wuu-hz")
    assert missing["X-Voice-Source"] == "synth"
    # Someone who did not choose the dialect: her page asks for the synthesized guide.
    assert "home.audio?pack=" not in stranger_client.get("/").content.decode()
    theirs = stranger_client.get("/elder/voice/cmn/normal/home.audio")
    assert theirs["X-Voice-Source"] == "synth"
    assert hers["Cache-Control"] == "public, max-age=600"  # a clip approved later takes over this address soon
    # A pack with no clip, or an invented one: synthesized.
    assert stranger_client.get("/elder/voice/cmn/normal/home.audio?pack=nan")["X-Voice-Source"] == "synth"
    assert stranger_client.get("/elder/voice/cmn/normal/home.audio?pack=<x>")["X-Voice-Source"] == "synth"


def test_she_can_go_back_to_the_synthesized_voice(volunteer_client, staff_client, mother_client):
    # Every page's guide carries the pack when she chose one; here, the settings page's own guide.
    approved_home_clip(volunteer_client, staff_client)
    mother_client.post("/elder/voice-settings/", {"voice_on": "on", "voice_lang": "cmn", "voice_rate": "normal",
                                                  "voice_pack": "wuu-hz"})
    assert "voice_settings.audio?pack=wuu-hz" in mother_client.get("/elder/voice-settings/").content.decode()
    mother_client.post("/elder/voice-settings/", {"voice_on": "on", "voice_lang": "cmn", "voice_rate": "normal",
                                                  "voice_pack": ""})
    assert "voice_settings.audio?pack=" not in mother_client.get("/elder/voice-settings/").content.decode()
    # A pack without clips cannot be chosen by hand either.
    mother_client.post("/elder/voice-settings/", {"voice_on": "on", "voice_lang": "cmn", "voice_rate": "normal",
                                                  "voice_pack": "nan"})
    assert "voice_settings.audio?pack=" not in mother_client.get("/elder/voice-settings/").content.decode()


def test_changing_the_guide_text_makes_the_clip_stale_and_synthesis_comes_back(
        volunteer_client, staff_client, mother_client, monkeypatch):
    clip = approved_home_clip(volunteer_client, staff_client)
    assert mother_client.get("/elder/voice/cmn/normal/home.audio?pack=wuu-hz")["X-Voice-Source"] == "clip"
    monkeypatch.setitem(GUIDES, "home", {**GUIDES["home"], "cmn": "这里是医保通。看病买药，点出示医保码。"})
    assert mother_client.get("/elder/voice/cmn/normal/home.audio?pack=wuu-hz")["X-Voice-Source"] == "synth"
    pack_page = staff_client.get("/staff/voice-packs/wuu-hz/?show=stale").content.decode()
    assert 'data-key="home" data-state="stale"' in pack_page and "需要重录" in pack_page
    call_command("mark_stale_voice_clips", stdout=io.StringIO())
    clip.refresh_from_db()
    assert clip.status == ClipStatus.STALE
    # A new recording of the new words is what will be heard once approved.
    assert "这里是医保通。看病买药，点出示医保码。" in volunteer_client.get(RECORD_HOME).content.decode()


def test_a_clip_waiting_when_the_words_change_cannot_be_approved(volunteer_client, staff_client, monkeypatch):
    record_home(volunteer_client)
    clip = VoiceClip.objects.get()
    monkeypatch.setitem(GUIDES, "home", {**GUIDES["home"], "cmn": "新的说法。"})
    response = staff_client.post(f"/staff/voice-packs/clips/{clip.public_id}/review/", {"do": "approve"})
    assert response.status_code == 400 and "这段录音需要重录" in response.content.decode()
    clip.refresh_from_db()
    assert clip.status == ClipStatus.STALE


def test_the_coverage_counts_approved_waiting_stale_and_missing(volunteer_client, staff_client, monkeypatch):
    approved_home_clip(volunteer_client, staff_client)
    assert volunteer_client.post("/staff/voice-packs/wuu-hz/sign_in/record/",
                                 {"recording": upload(wav())}).status_code == 302
    volunteer_client.post("/staff/voice-packs/wuu-hz/code/record/", {"recording": upload(wav())})
    approved = VoiceClip.objects.get(guide_key="code")
    staff_client.post(f"/staff/voice-packs/clips/{approved.public_id}/review/", {"do": "approve"})
    monkeypatch.setitem(GUIDES, "code", {**GUIDES["code"], "cmn": "这是您的医保码。"})
    total = len(GUIDES)
    overview = staff_client.get("/staff/voice-packs/").content.decode()
    row = overview.split('data-pack="wuu-hz"')[1].split("</tr>")[0]
    assert f">1 / {total}<" in row  # approved: home
    assert 'data-testid="count-waiting">1<' in row  # sign_in
    assert 'data-testid="count-stale">1<' in row  # code, whose words changed
    assert f'data-testid="count-missing">{total - 3}<' in row
    # The list of what is missing is paged, 10 a page.
    todo = staff_client.get("/staff/voice-packs/wuu-hz/").content.decode()
    assert todo.count('data-testid="pack-sentence-row"') == min(10, total - 2)
    assert 'data-key="home"' not in todo
    last = staff_client.get("/staff/voice-packs/wuu-hz/?show=todo&page=999").content.decode()
    assert 'data-testid="pack-sentence-row"' in last


def test_staff_register_a_volunteer_and_a_volunteer_cannot(staff_client, packs, volunteer_client, son):
    assert volunteer_client.get("/staff/voice-packs/volunteers/").status_code == 403
    bad = staff_client.post("/staff/voice-packs/volunteers/", {"phone": "123", "packs": [packs["nan"].pk]})
    assert bad.status_code == 400 and "请填写11位手机号" in bad.content.decode()
    unknown = staff_client.post("/staff/voice-packs/volunteers/", {"phone": "13912345678"})
    assert unknown.status_code == 400 and "还没有注册医保通" in unknown.content.decode()
    done = staff_client.post("/staff/voice-packs/volunteers/", {"phone": son.phone[3:], "packs": [packs["nan"].pk]})
    assert done.status_code == 302
    his = client_for(son)
    assert his.get("/staff/voice-packs/nan/").status_code == 200
    assert his.get("/staff/voice-packs/wuu-hz/").status_code == 404
    staff_client.post("/staff/voice-packs/volunteers/", {"phone": son.phone[3:]})
    assert his.get("/staff/voice-packs/").status_code == 403


def test_staff_may_record_any_pack(staff_client, packs):
    assert staff_client.post("/staff/voice-packs/nan/home/record/", {"recording": upload(wav())}).status_code == 302
    assert VoiceClip.objects.get().pack == packs["nan"]
