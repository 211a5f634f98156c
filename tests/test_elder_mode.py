"""长者模式 on the page side: four choices at home, help in the same place, plain words, no time pressure."""

from __future__ import annotations

import re

from conftest import latest_code_sent_to
from tests.helpers import GRANDMA, GRANDMA_PHONE


def test_the_elder_home_page_offers_only_four_choices(mother_client, mother_user):
    mother_user.elder_mode = True
    mother_user.save()
    body = mother_client.get("/").content.decode()
    nav = re.search(r'<nav class="elder-home".*?</nav>', body, re.S).group(0)
    assert re.findall(r">([^<>]+)</a>", nav) == ["出示医保码", "家人帮我", "查记录", "求助"]


def test_help_is_in_the_same_place_on_every_page(mother_client, client, db):
    for c, path in ((client, "/"), (client, "/activate/"), (mother_client, "/code/"), (mother_client, "/records/"),
                    (mother_client, "/family/")):
        body = c.get(path).content.decode()
        assert 'id="help-title"' in body, path
        assert "12393" in body and "离您最近的帮办点" in body, path


def test_the_nearest_help_point_follows_her_region(mother_client):
    assert "翠苑街道社区卫生服务中心" in mother_client.get("/").content.decode()


def test_asking_family_for_help_tells_every_proxy(mother_client, mother, son, django_capture_on_commit_callbacks):
    from accounts.models import OutboundMessage
    from family.actions import invite_proxy

    invite_proxy(principal_user=mother.user, phone_e164=son.phone, relationship="child", scopes=["show_code"])
    with django_capture_on_commit_callbacks(execute=True):
        response = mother_client.post("/family/help/", {"next": "/code/"})
    assert response.url == "/code/"
    assert "已经告诉您的家人了（1位）" in mother_client.get("/").content.decode()
    assert "请家人帮我" in OutboundMessage.objects.filter(phone_index=son.phone_index).first().body


def test_asking_for_help_without_family_says_what_to_do(stranger_client):
    stranger_client.post("/family/help/", {"next": "/"})
    assert "还没有添加能帮您的家人" in stranger_client.get("/").content.decode()


def test_the_glossary_explains_the_unavoidable_words(client, db):
    body = client.get("/elder/glossary/").content.decode()
    for term in ("起付线", "报销比例", "个人账户"):
        assert term in body


def test_the_confirm_page_links_the_term_to_the_glossary(client, mother):
    client.post("/activate/", {**GRANDMA, "action": "send_sms"})
    client.post("/activate/", {**GRANDMA, "code": latest_code_sent_to(GRANDMA_PHONE), "action": "verify"})
    assert "/elder/glossary/#account" in client.get("/activate/confirm/").content.decode()


def test_voice_settings_are_remembered_and_reach_every_page(client, db):
    response = client.post("/elder/voice-settings/", {"voice_on": "on", "voice_lang": "yue", "voice_rate": "slow",
                                                      "next": "/activate/"})
    assert response.url == "/activate/"
    html = client.get("/activate/").content.decode()
    assert 'data-voice="on"' in html and 'data-voice-lang="yue"' in html and 'data-voice-rate="slow"' in html


def test_bad_voice_settings_fall_back_to_safe_values(client, db):
    client.post("/elder/voice-settings/", {"voice_lang": "klingon", "voice_rate": "warp", "next": "https://evil.example/"})
    html = client.get("/").content.decode()
    assert 'data-voice-lang="cmn"' in html and 'data-voice-rate="normal"' in html


def test_a_signed_in_page_warns_before_the_session_ends_and_can_keep_it_going(mother_client):
    html = mother_client.get("/").content.decode()
    # The page counts down from the earliest the session may end: the row's expiry slides once a minute.
    assert 'data-session-seconds="1740"' in html
    assert 'id="session-warning"' in html and "继续使用" in html
    assert mother_client.get("/elder/keepalive/").json()["ok"] is True


def test_every_step_has_a_listen_button_with_its_words_on_screen(client, mother_client, mother):
    from elder_mode.voice.guides import guide_text

    for c, path, key in ((client, "/", "home_new"), (client, "/activate/", "identity"), (mother_client, "/code/", "code"),
                         (mother_client, "/records/", "records"), (mother_client, "/family/", "family")):
        body = c.get(path).content.decode()
        assert 'data-testid="voice-guide"' in body, path
        assert f"/elder/voice/cmn/normal/{key}.audio" in body, path
        assert guide_text(key) in body, path


def test_the_listen_button_follows_the_chosen_dialect_and_rate(client, db):
    client.post("/elder/voice-settings/", {"voice_lang": "yue", "voice_rate": "slow", "next": "/"})
    assert "/elder/voice/yue/slow/identity.audio" in client.get("/activate/").content.decode()
