"""Her code on the first screen, voice on every page, the revoke notice and live regions, on the server side (the browser tests are in
tests/browser/test_elder_code_voice_and_notices.py and the elder-mode sweep)."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from assist.actions import consent_witnessed, register_kiosk, start_session
from assist.middleware import KIOSK_COOKIE
from assist.push import render_session_ended
from conftest import client_for
from elder_mode.voice.guides import GUIDES, guide_text
from family.actions import invite_proxy, revoke_grant
from family.push import render_access_revoked, render_help_asked
from settlement.models import Settlement
from settlement.push import RENDERERS, STATUS, WATCHED
from tests.helpers import BILL
from vouchers.codes import issue_code_token

pytestmark = pytest.mark.django_db

PUBLIC_ID = "7dea7324-7ee4-4bc1-894d-e71a12a71132"


# Item 2: the code first; a seen settlement stays away --------------------------------------------------------

def test_on_her_code_page_the_code_comes_first_and_the_settlement_place_and_the_voice_guide_after_it(mother_client):
    body = mother_client.get("/code/").content.decode()
    main = body[body.index('<main'):]
    card, status, guide = (main.index(mark) for mark in ('id="code-card"', 'id="settlement-status"',
                                                           'data-testid="voice-guide"'))
    assert card < status and card < guide
    assert main.count('id="settlement-status"') == 1  # only the one below the code, none above it
    assert "settlement-overlay" in main


def test_the_large_code_has_its_own_voice_guide(mother_client):
    body = mother_client.get("/code/large/").content.decode()
    assert "/elder/voice/cmn/normal/code_large.audio" in body and guide_text("code_large") in body


def test_a_settlement_she_has_seen_is_not_brought_back_to_her_pages_later(mother_client):
    assert "after=" not in mother_client.get("/code/").content.decode()
    mother_client.get(f"/code/?after={PUBLIC_ID}")  # 知道了 / 再出示医保码 on the result
    for path in ("/code/", "/", "/records/"):
        assert f"&amp;after={PUBLIC_ID}" in mother_client.get(path).content.decode(), path


def test_an_address_with_a_long_after_is_ignored_not_kept(mother_client):
    assert mother_client.get("/code/?after=" + "x" * 500).status_code == 200
    assert "x" * 40 not in mother_client.get("/code/").content.decode()


# Item 4: a voice guide on every page she sees; the home guide names its own buttons ---------------------------

def _pages_of(mother_client, son) -> dict[str, str]:
    son_client = client_for(son)
    return {path: mother_client.get(path).content.decode() for path in (
        "/code/lost/", "/account/record/", "/account/enrollment/", "/family/add/", "/family/invite/",
        "/elder/glossary/", "/elder/voice-settings/", "/no-such-page/",
    )} | {"/family/ (son)": son_client.get("/family/").content.decode()}


def test_every_page_she_sees_has_a_listen_button_with_its_words(mother_client, son):
    for path, body in _pages_of(mother_client, son).items():
        match = re.search(r'data-voice-play="/elder/voice/cmn/normal/(\w+)\.audio"', body)
        assert match, f"{path} has no voice guide"
        assert guide_text(match.group(1)) in body, path


def test_every_kiosk_page_she_looks_at_has_a_listen_button(mother, mother_user):
    helper = User.objects.create_user("+8613600136004", "a-long-helper-password", role=Role.HELPER)
    device = TOTPDevice.objects.create(user=helper, name="phone", confirmed=True)
    kiosk, token = register_kiosk(by=helper, name="帮办点", location="文三路")
    session = start_session(helper=helper, kiosk=kiosk, citizen=mother, tasks=["show_code", "check_records"])
    consent_witnessed(session, reason="她今天没带手机")
    client = client_for(helper)
    store = client.session
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.save()
    client.cookies[KIOSK_COOKIE] = token
    for page in ("", "code/", "records/"):
        body = client.get(f"/assist/s/{session.public_id}/{page}").content.decode()
        assert 'data-testid="voice-guide"' in body, page


def _named_buttons(key: str) -> list[str]:
    """The labels a guide tells her to tap: the words after each 点, up to the full stop."""
    return [part.split("。")[0] for part in guide_text(key).split("点")[1:]]


def _labels(body: str) -> set[str]:
    main = body[body.index("<main"):body.index("</main>")]
    return {re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r'class="button[^"]*"[^>]*>(.*?)</', main)}


@pytest.mark.parametrize("who", ["visitor", "elder", "standard"])
def test_the_home_guide_names_only_buttons_that_are_on_that_home_page(client, mother_user, who):
    if who != "visitor":
        mother_user.elder_mode = who == "elder"
        mother_user.save(update_fields=["elder_mode"])
        client = client_for(mother_user)
        client.cookies["elder_mode"] = "1" if who == "elder" else "0"
    body = client.get("/").content.decode()
    key = re.search(r'data-voice-play="/elder/voice/cmn/normal/(\w+)\.audio"', body).group(1)
    named, labels = _named_buttons(key), _labels(body)
    # Each named button is on the page (its label, or the start of it: "亲情账户（帮家人办理）").
    assert named and all(any(label.startswith(name) for label in labels) for name in named), (key, named, labels)


def test_the_listen_button_can_say_it_is_playing(client):
    body = client.get("/activate/").content.decode()
    assert 'data-stop-label="正在播放…停止"' in body and 'aria-pressed="false"' in body


def test_every_new_guide_is_there_in_mandarin_and_cantonese():
    for key in ("home_standard", "home_new", "home_no_code", "home_suspended", "not_active", "family_activate",
                "family_approval", "assist_code", "assist_records", "assist_bind_family", "not_found"):
        assert GUIDES[key]["cmn"] and GUIDES[key]["yue"] and GUIDES[key]["en"], key


# Item 6: after a revoke, a full-screen notice before anything of his own --------------------------------------

@pytest.fixture
def son_acting(mother_user, son):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                         scopes=["show_code", "view_settlements"])
    client = client_for(son)
    assert client.post(f"/family/{grant.public_id}/act/").status_code == 302
    assert "正在为 王** 办理" in client.get("/code/").content.decode()
    return grant, client


def test_after_a_revoke_his_next_page_is_the_notice_and_not_his_own_code(son_acting, mother_user):
    grant, client = son_acting
    revoke_grant(grant, by=mother_user)
    body = client.get("/code/").content.decode()
    assert 'data-testid="access-ended"' in body and "您已不再为 王** 办理" in body
    assert 'data-testid="qr"' not in body and "李**" not in body  # not his code, not his name
    assert 'data-testid="acting-banner"' not in body
    again = client.get("/records/").content.decode()
    assert 'data-testid="access-ended"' in again  # any page, until he says he has read it


def test_once_he_taps_i_understand_he_sees_his_own_code_under_his_own_name(son_acting, mother_user):
    grant, client = son_acting
    revoke_grant(grant, by=mother_user)
    client.get("/code/")
    response = client.post("/family/stop/", {"next": "/code/"})
    assert response.status_code == 302 and response.url == "/code/"
    body = client.get("/code/").content.decode()
    assert 'data-testid="access-ended"' not in body and 'data-testid="qr"' in body
    assert "我的医保码" in body and "李**" in body and "王**" not in body


def test_going_back_to_himself_by_choice_shows_no_notice(son_acting):
    _grant, client = son_acting
    client.post("/family/stop/")
    assert 'data-testid="access-ended"' not in client.get("/code/").content.decode()


def test_the_live_revoke_notice_names_her_and_carries_the_same_full_screen_notice(mother):
    html = render_access_revoked(mother.pk, "zh-hans")
    assert "您已不再为 王** 办理" in html and 'data-testid="access-ended"' in html and "data-fill-csrf" in html


# Item 9: live fragments fill their region; the region stays ---------------------------------------------------

@pytest.fixture
def settled(api, mother_user):
    answer = api.post("/api/v1/settlements", {**BILL, "code": issue_code_token(mother_user.person.voucher.public_id)})
    return Settlement.objects.get(public_id=answer.json()["id"])


def test_every_live_fragment_swaps_the_content_of_its_region_not_the_region(mother, settled):
    fragments = {
        "settlement status": RENDERERS[STATUS](settled, "zh-hans"),
        "watched settlement": RENDERERS[WATCHED](settled, "zh-hans"),
        "access revoked": render_access_revoked(mother.pk, "zh-hans"),
        "help asked": render_help_asked(mother.pk, "zh-hans"),
        "emptied": render_to_string("live/_emptied.html", {"target": "family-live"}),
        "kiosk session ended": render_session_ended(mother.pk, "zh-hans"),
    }
    for name, html in fragments.items():
        assert html.count("hx-swap-oob") == 1 and 'hx-swap-oob="innerHTML"' in html, name
        opening = html[html.index("<section"):html.index(">", html.index("<section"))]
        assert "aria-live" not in opening and "role=" not in opening, name  # the page's region is the live one


def test_every_page_with_a_socket_has_its_live_regions_from_the_start(mother_client):
    body = mother_client.get("/records/").content.decode()
    for region in ("access-notice", "family-notice", "family-live", "settlement-status"):
        assert re.search(rf'<section id="{region}" class="live-slot[^"]*" aria-live="polite"></section>', body), region


def test_the_hotline_is_a_call_button(mother_client):
    body = mother_client.get("/").content.decode()
    assert re.search(r'<a class="button button-call" href="tel:12393" data-testid="call-hotline">', body)
    assert "拨打 12393" in body

