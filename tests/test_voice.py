"""Voice guidance (docs/architecture.md): real speech from espeak-ng, gTTS through intercepted HTTP with a fallback, the disk
cache, audio small enough for weak networks, the voice URLs, and the pre-generation of every fixed guide.
Nothing here touches the network: Google is answered by `responses`."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import wave
from array import array
from io import BytesIO, StringIO
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, quote

import pytest
import requests
import responses
from django.core.management import call_command

from elder_mode.voice import audio
from elder_mode.voice.cache import cache_key, get_or_synthesize
from elder_mode.voice.engines import EspeakEngine, GttsEngine, SpeechChain, VoiceUnavailable, get_chain, reset_chain
from elder_mode.voice.guides import GUIDES, guide_text
from elder_mode.voice.text import spoken_form

GOOGLE = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
RESULT = "医保支付85元，您自付15元"
TEN_CHARACTERS = "请把医保码给收费员扫"  # 10 characters


@pytest.fixture(autouse=True)
def voice_cache(settings, tmp_path) -> Path:
    settings.VOICE_CACHE_DIR = tmp_path / "voice"
    settings.VOICE_ENGINES = ["espeak"]
    reset_chain()
    yield settings.VOICE_CACHE_DIR
    reset_chain()


@pytest.fixture(scope="session")
def google_mp3(tmp_path_factory) -> bytes:
    """A small valid MP3 like Google's (24 kHz mono, 32 kbit/s), 1.5 s long."""
    target = tmp_path_factory.mktemp("google") / "answer.mp3"
    subprocess.run(["sox", "-V1", "-n", "-r", "24000", "-c", "1", "-C", "32", str(target), "synth", "1.5",
                    "sine", "220"], check=True, timeout=30)
    return target.read_bytes()


def google_answer(mp3: bytes) -> str:
    """Google's batchexecute answer to the gTTS RPC: the MP3 as base64 inside JSON."""
    inner = json.dumps([base64.b64encode(mp3).decode()], separators=(",", ":"))
    return ")]}'\n\n" + json.dumps([["wrb.fr", "jQ1olc", inner, None, None, None, "generic"]],
                                    separators=(",", ":")) + "\n"


def asked_google_for(call) -> list:
    """[text, lang, speed, ...] from the form body gTTS posted."""
    rpc = json.loads(parse_qs(call.request.body)["f.req"][0])
    return json.loads(rpc[0][0][1])


def wav_seconds_and_peak(data: bytes) -> tuple[float, int]:
    with wave.open(BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        frames = w.readframes(w.getnframes())
        samples = array("h", frames)
        return w.getnframes() / w.getframerate(), max(abs(s) for s in samples)


def soxi(path: Path, flag: str) -> str:
    return subprocess.run(["soxi", flag, str(path)], capture_output=True, text=True, check=True).stdout.strip()


# --- espeak-ng: real speech, in Chinese -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["cmn", "yue"])
def test_espeak_speaks_a_ten_character_sentence_aloud_for_a_plausible_time(lang):
    engine = EspeakEngine()
    wav = engine.render_wav(TEN_CHARACTERS, engine.voice_for(lang), "normal")

    seconds, peak = wav_seconds_and_peak(wav)

    assert 1.0 <= seconds <= 8.0
    assert peak > 3000, "the audio is silent"


def test_the_slow_rate_takes_longer_to_say_the_same_words():
    engine = EspeakEngine()
    normal, _ = wav_seconds_and_peak(engine.render_wav(TEN_CHARACTERS, "cmn-latn-pinyin", "normal"))
    slow, _ = wav_seconds_and_peak(engine.render_wav(TEN_CHARACTERS, "cmn-latn-pinyin", "slow"))

    assert slow > normal * 1.2


def test_mandarin_is_read_in_pinyin_not_as_english_letter_names():
    def phonemes(voice: str) -> str:
        return subprocess.run(["espeak-ng", "-v", voice, "-x", "-q", "你好"], capture_output=True, text=True,
                              check=True).stdout.strip()

    mandarin = phonemes(EspeakEngine().voice_for("cmn"))
    english = phonemes("en")

    assert EspeakEngine().voice_for("cmn") == "cmn-latn-pinyin"
    assert mandarin.startswith("n") and re.search(r"i\d", mandarin), mandarin  # ni + tone number
    assert re.search(r"[a-zA-Z]\d{2,3}", mandarin), mandarin  # pinyin-like syllables carry tone numbers
    assert "aIni:z" in english  # English reads it as "Chinese letter"
    assert "aIni:z" not in mandarin and mandarin != english


def test_cantonese_has_its_own_voice_with_cantonese_tones():
    voice = EspeakEngine().voice_for("yue")
    out = subprocess.run(["espeak-ng", "-v", voice, "-x", "-q", "你好"], capture_output=True, text=True,
                         check=True).stdout

    assert voice == "yue"
    assert "ei5" in out and "ou2" in out  # nei5 hou2


def test_amounts_and_the_hotline_are_read_the_way_people_say_them():
    assert spoken_form("您自付15.5元") == "您自付15点5元"
    assert spoken_form("报销比例90%") == "报销比例百分之90"
    assert spoken_form("请打12393") == "请打一二三九三"
    assert spoken_form("医保支付12000元") == "医保支付12000元"


# --- gTTS through intercepted HTTP -----------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "google_lang"), [("cmn", "zh-CN"), ("yue", "yue")])
def test_gtts_asks_google_for_the_sentence_and_serves_its_voice_compressed(settings, google_mp3, lang, google_lang):
    settings.VOICE_ENGINES = ["gtts", "espeak"]
    with responses.RequestsMock() as google:
        google.add(responses.POST, GOOGLE, body=google_answer(google_mp3))

        result = get_or_synthesize(RESULT, lang, "slow")

        assert len(google.calls) == 1
        call = google.calls[0]
    assert call.request.url == GOOGLE
    text, asked_lang, speed = asked_google_for(call)[:3]
    assert (text, asked_lang) == (RESULT, google_lang)
    assert speed is True  # gTTS's slow reading
    assert result.engine == "gtts" and result.cached is False
    assert result.content_type == "audio/mpeg"
    assert soxi(result.path, "-r") == "16000"  # re-encoded from Google's 24 kHz, 32 kbit/s
    assert float(soxi(result.path, "-D")) == pytest.approx(1.5, abs=0.2)
    assert result.bytes < len(google_mp3) * 0.7


def test_google_is_asked_over_a_verified_tls_connection(settings, google_mp3):
    # gTTS 2.5.4's own stream() sends with verify=False; the engine must never do that.
    settings.VOICE_ENGINES = ["gtts", "espeak"]
    with responses.RequestsMock() as google:
        google.add(responses.POST, GOOGLE, body=google_answer(google_mp3))

        result = get_or_synthesize("请出示医保码", "cmn", "normal")

        assert len(google.calls) == 1
        assert google.calls[0].request.req_kwargs["verify"] is True
    assert result.engine == "gtts"


@pytest.mark.parametrize("failure", [
    {"status": 500, "body": "server error"},
    {"body": requests.exceptions.ConnectionError("no route to Google")},
    {"status": 200, "body": ")]}'\n\n[]"},  # an answer without audio
])
def test_when_google_fails_the_chain_falls_back_to_espeak(settings, failure):
    settings.VOICE_ENGINES = ["gtts", "espeak"]
    with responses.RequestsMock() as google:
        google.add(responses.POST, GOOGLE, **failure)

        result = get_or_synthesize(RESULT, "cmn", "normal")

        assert len(google.calls) == 1  # gTTS was tried first
    assert result.engine == "espeak"
    assert result.path.read_bytes()[:2] == b"\xff\xf3"  # MPEG audio frames


def test_after_google_failed_the_next_sentences_do_not_wait_for_it_again(settings):
    settings.VOICE_ENGINES = ["gtts", "espeak"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as google:
        google.add(responses.POST, GOOGLE, body=requests.exceptions.ConnectTimeout("timed out"))
        get_or_synthesize("第一句话。", "cmn", "normal")
        second = get_or_synthesize("第二句话。", "cmn", "normal")

        assert len(google.calls) == 1
    assert second.engine == "espeak"


def test_the_chain_says_so_when_no_engine_can_speak(settings):
    with mock.patch.object(EspeakEngine, "available", return_value=False), pytest.raises(VoiceUnavailable):
        get_or_synthesize(RESULT, "cmn", "normal")


def test_the_configured_order_is_the_order_engines_are_tried(settings):
    settings.VOICE_ENGINES = ["gtts", "espeak"]
    assert get_chain().names == ["gtts", "espeak"]
    settings.VOICE_ENGINES = ["espeak"]
    assert get_chain().names == ["espeak"]


# --- the cache and the compact format --------------------------------------------------------------------------


def test_a_cached_guide_is_served_without_synthesizing_again(voice_cache):
    text = guide_text("identity")
    with mock.patch.object(EspeakEngine, "synthesize", autospec=True, side_effect=EspeakEngine.synthesize) as made:
        first = get_or_synthesize(text, "cmn", "normal")
        second = get_or_synthesize(text, "cmn", "normal")

    assert made.call_count == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.path == first.path and second.bytes == first.bytes > 0
    assert first.path.name == cache_key("espeak", "cmn-latn-pinyin", "normal", text) + ".mp3"
    assert first.path.is_relative_to(voice_cache)
    assert not [p for p in voice_cache.rglob("*") if p.name.startswith(".part-")]  # no half-written files


def test_each_language_and_rate_has_its_own_audio():
    paths = {get_or_synthesize(RESULT, lang, rate).path for lang in ("cmn", "yue") for rate in ("normal", "slow")}
    assert len(paths) == 4


@pytest.mark.parametrize(("key", "lang", "rate"), [
    ("identity", "cmn", "normal"), ("home", "cmn", "slow"), ("help", "yue", "normal"), ("code_large", "yue", "slow"),
])
def test_audio_stays_under_24_kb_per_10_seconds_of_speech(key, lang, rate):
    text = guide_text(key, lang)
    raw_wav = EspeakEngine().render_wav(text, EspeakEngine().voice_for(lang), rate)
    result = get_or_synthesize(text, lang, rate)

    seconds = float(soxi(result.path, "-D"))
    bytes_per_second = result.bytes / seconds

    assert seconds > 1.0
    assert bytes_per_second * 10 <= 24 * 1024, f"{bytes_per_second:.0f} B/s"
    assert result.bytes * 10 < len(raw_wav)  # at least ten times smaller than espeak-ng's WAV


def test_a_short_result_is_within_the_budget_too():
    result = get_or_synthesize("请稍等。", "cmn", "normal")
    assert result.bytes / float(soxi(result.path, "-D")) <= 2400


# --- the fixed guides ------------------------------------------------------------------------------------------


def test_every_step_has_a_short_guide_in_mandarin_and_cantonese():
    for key in ("identity", "confirm", "agree", "code", "sign_in", "family", "records", "help", "home"):
        assert key in GUIDES
    for key, texts in GUIDES.items():
        assert set(texts) == {"cmn", "yue", "en"}, key
        for lang in ("cmn", "yue"):
            assert 8 <= len(texts[lang]) <= 70, (key, texts[lang])
            assert not re.search(r"[A-Za-z]", texts[lang]), (key, texts[lang])
        assert not re.search(r"[\u4e00-\u9fff]", texts["en"]), (key, texts["en"])
    assert guide_text("identity", "cmn") == "第一步。请填写您的姓名、身份证号和手机号，然后点获取验证码。"
    assert guide_text("identity", "yue").startswith("第一步。请填写你嘅姓名")
    with pytest.raises(KeyError):
        guide_text("nowhere")


def test_the_screen_shows_the_guide_in_the_pages_language_while_the_voice_stays_chinese():
    from django.utils import translation

    with translation.override("en"):
        assert guide_text("identity") == "Step one. Enter your name, ID number and mobile number, then tap Get code."
        assert guide_text("identity", "cmn").startswith("第一步")
    with translation.override("zh-hans"):
        assert guide_text("identity").startswith("第一步")


def test_the_task_pre_generates_every_guide_in_both_languages_and_rates(voice_cache):
    from elder_mode.tasks import build_voice_guides

    first = build_voice_guides.delay().get()
    again = build_voice_guides.delay().get()

    expected = len(GUIDES) * 4
    assert first == {"new": expected, "cached": 0, "missing": 0}
    assert again == {"new": 0, "cached": expected, "missing": 0}
    assert len(list(voice_cache.rglob("*.mp3"))) == expected


def test_the_command_reports_each_guide_and_is_idempotent(monkeypatch):
    from elder_mode.voice import guides

    monkeypatch.setattr(guides, "GUIDES", {k: GUIDES[k] for k in ("identity", "code")})
    out = StringIO()
    call_command("build_voice_guides", stdout=out)
    first = out.getvalue()
    out = StringIO()
    call_command("build_voice_guides", stdout=out)
    second = out.getvalue()

    assert re.search(r"^identity cmn normal: espeak, \d+ bytes, new$", first, re.M)
    assert re.search(r"^code yue slow: espeak, \d+ bytes, new$", first, re.M)
    assert "8 new, 0 already cached, 0 without audio" in first
    assert re.search(r"^identity cmn normal: espeak, \d+ bytes, cached$", second, re.M)
    assert "0 new, 8 already cached" in second


def test_the_command_still_succeeds_and_says_so_when_espeak_is_missing(monkeypatch):
    from elder_mode.voice import guides

    monkeypatch.setattr(guides, "GUIDES", {"identity": GUIDES["identity"]})
    out = StringIO()
    with mock.patch.object(EspeakEngine, "available", return_value=False):
        call_command("build_voice_guides", stdout=out)  # no exception: `make run` goes on

    assert "voice engine espeak is not available here" in out.getvalue()
    assert "identity cmn normal: no audio" in out.getvalue()
    assert "0 new, 0 already cached, 4 without audio" in out.getvalue()


# --- the voice URLs --------------------------------------------------------------------------------------------


def test_a_guide_url_answers_with_cacheable_mp3(client, db):
    response = client.get("/elder/voice/cmn/normal/identity.audio")

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body[:2] == b"\xff\xf3" and int(response["Content-Length"]) == len(body) > 1000


def test_the_guide_url_is_the_one_templates_get():
    from django.urls import reverse

    assert reverse("elder_mode:voice_guide", kwargs={"lang": "yue", "rate": "slow", "key": "code"}) == \
        "/elder/voice/yue/slow/code.audio"


def test_a_player_can_ask_for_part_of_the_audio(client, db):
    whole = b"".join(client.get("/elder/voice/cmn/normal/code.audio").streaming_content)

    part = client.get("/elder/voice/cmn/normal/code.audio", HTTP_RANGE="bytes=100-199")

    assert part.status_code == 206
    assert part.content == whole[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert client.get("/elder/voice/cmn/normal/code.audio", HTTP_RANGE=f"bytes={len(whole) + 5}-").status_code == 416


def test_a_settlement_result_is_spoken_on_request(client, db):
    response = client.get(f"/elder/voice/say?text={quote(RESULT)}&lang=yue&rate=slow")

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Cache-Control"].startswith("private")
    assert response["X-Voice-Engine"] == "espeak"


def test_the_same_result_twice_is_synthesized_once(client, db):
    with mock.patch.object(EspeakEngine, "synthesize", autospec=True, side_effect=EspeakEngine.synthesize) as made:
        for _ in range(2):
            assert client.get(f"/elder/voice/say?text={quote(RESULT)}").status_code == 200
    assert made.call_count == 1


@pytest.mark.parametrize(("url", "status", "message"), [
    ("/elder/voice/en/normal/identity.audio", 400, "普通话"),
    ("/elder/voice/cmn/fast/identity.audio", 400, "语速"),
    ("/elder/voice/cmn/normal/nowhere.audio", 404, "没有这段语音说明"),
    ("/elder/voice/say?text=", 400, "请给出要读的文字"),
    ("/elder/voice/say", 400, "请给出要读的文字"),
    ("/elder/voice/say?text=hello", 400, "只能读中文、数字和标点"),
    ("/elder/voice/say?text=" + quote("<script>alert(1)</script>"), 400, "只能读中文"),
    ("/elder/voice/say?text=" + quote("-v en 你好"), 400, "只能读中文"),
    ("/elder/voice/say?text=" + quote("。。。！"), 400, "没有可以读的文字"),
    ("/elder/voice/say?text=" + quote("好" * 201), 400, "最多200个字"),
    ("/elder/voice/say?text=" + quote(RESULT) + "&lang=xx", 400, "普通话"),
    ("/elder/voice/say?text=" + quote(RESULT) + "&rate=99", 400, "语速"),
])
def test_bad_voice_requests_get_a_plain_message_not_an_error_page(client, db, url, status, message):
    response = client.get(url)

    assert response.status_code == status
    assert response["Content-Type"].startswith("text/plain")
    assert message in response.content.decode()


def test_voice_urls_only_answer_reads(client, db):
    assert client.post("/elder/voice/cmn/normal/identity.audio").status_code == 405
    assert client.post("/elder/voice/say", {"text": RESULT}).status_code == 405


def test_one_address_cannot_make_endless_sentences(client, db, settings):
    settings.VOICE_SAY_PER_MINUTE = 3
    statuses = [client.get(f"/elder/voice/say?text={quote(f'您自付{n}元')}").status_code for n in range(5)]

    assert statuses == [200, 200, 200, 429, 429]
    other = client.get(f"/elder/voice/say?text={quote(RESULT)}", REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200


def test_without_any_voice_engine_the_page_gets_a_plain_503(client, db):
    with mock.patch.object(EspeakEngine, "available", return_value=False):
        response = client.get("/elder/voice/cmn/normal/agree.audio")

    assert response.status_code == 503
    assert "请看屏幕上的文字" in response.content.decode()


# --- figures for `make bench` ----------------------------------------------------------------------------------


def test_the_bench_figures_cover_each_engine_the_cache_and_bytes_per_second():
    from tools.bench.voice import GTTS_LABEL, measure

    figures = measure(samples=["请出示医保码。", RESULT])

    assert len(figures["first_synthesis_s"]["espeak"]) == 2
    assert len(figures["first_synthesis_s"][GTTS_LABEL]) == 2  # measured with intercepted HTTP, and labelled so
    assert "intercepted" in GTTS_LABEL
    assert all(0 < s < 0.05 for s in figures["cached_serve_s"])
    assert 1000 < figures["bytes_per_second"] <= 2400
    assert figures["kb_per_10_seconds"] <= 24
    assert figures["skipped"] == []


def test_the_voice_measurement_plugs_into_the_bench_command():
    from tools.bench.extra import VOICE_SYNTHESIS, extra_measurements, unregister_measurement
    from tools.bench.voice import measure_voice_synthesis, register_voice_measurement

    try:
        register_voice_measurement()
        register_voice_measurement()  # twice is fine
        assert extra_measurements()[VOICE_SYNTHESIS] is measure_voice_synthesis
    finally:
        unregister_measurement(VOICE_SYNTHESIS)


def test_gtts_serves_both_languages_and_needs_sox_with_mp3():
    engine = GttsEngine()
    assert (engine.voice_for("cmn"), engine.voice_for("yue")) == ("zh-CN", "yue")
    assert engine.available() is (shutil.which("sox") is not None and audio.can_read("mp3"))


def test_a_chain_of_no_engines_cannot_speak():
    with pytest.raises(VoiceUnavailable):
        SpeechChain([]).speak(RESULT, "cmn", "normal")


@pytest.mark.browser
def test_chromium_decodes_the_audio_the_portal_serves(client, db):
    from playwright.sync_api import sync_playwright

    response = client.get(f"/elder/voice/say?text={quote(RESULT)}&lang=cmn&rate=normal")
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    seconds = float(soxi(Path(get_or_synthesize(RESULT, "cmn", "normal").path), "-D"))
    data = base64.b64encode(body).decode()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_content("<!doctype html><title>voice</title>")
            decoded = page.evaluate("""(src) => new Promise((done) => {
                const audio = new Audio(src);
                audio.onloadedmetadata = () => done({seconds: audio.duration});
                audio.onerror = () => done({error: audio.error && audio.error.code});
            })""", f"data:{response['Content-Type']};base64,{data}")
        finally:
            browser.close()

    assert decoded.get("seconds") == pytest.approx(seconds, abs=0.3), decoded
