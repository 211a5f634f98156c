"""The code page: a fresh signed QR every 30 seconds, a countdown, a large view for the counter."""

from __future__ import annotations

import re

from audit.models import AuditEvent


def qr_src(body: str) -> str:
    match = re.search(r'src="(data:image/png;base64,[^"]+)"[^>]*data-testid="qr"', body)
    assert match, "no QR image on the page"
    return match.group(1)


def test_the_code_page_shows_a_qr_with_name_scheme_and_countdown(mother_client):
    body = mother_client.get("/code/").content.decode()
    assert qr_src(body)
    assert "王**" in body and "职工医保" in body
    assert 'hx-trigger="every 30s"' in body
    assert "秒后自动换新码" in body


def test_the_card_fragment_gives_a_new_code_each_time(mother_client):
    first = mother_client.get("/code/card/", headers={"HX-Request": "true"}).content.decode()
    second = mother_client.get("/code/card/", headers={"HX-Request": "true"}).content.decode()
    assert qr_src(first) != qr_src(second)
    assert "<html" not in first  # a fragment, swapped by id
    assert 'id="code-card"' in first


def test_the_large_view_is_for_the_counter(mother_client):
    body = mother_client.get("/code/large/").content.decode()
    assert "请收费员扫码" in body and "code-card-large" in body


def test_opening_the_code_is_recorded_but_refreshing_it_is_not(mother_client, mother):
    mother_client.get("/code/")
    for _ in range(3):
        mother_client.get("/code/card/")
    assert AuditEvent.objects.filter(subject=mother, action="voucher.code_shown").count() == 1


def test_the_code_page_is_never_cached(mother_client):
    response = mother_client.get("/code/")
    assert "no-store" in response.headers["Cache-Control"] or "no-cache" in response.headers["Cache-Control"]


def test_a_signed_in_person_without_an_identity_is_sent_to_activation(client, db):
    from accounts.models import User
    from conftest import client_for

    user = User.objects.create_user("+8613912345678")
    assert client_for(user).get("/code/").url == "/activate/"


def test_the_elder_switch_is_one_tap_and_remembered(mother_client, mother_user):
    response = mother_client.post("/elder/switch/", {"elder_mode": "1", "next": "/code/"})
    assert response.url == "/code/"
    mother_user.refresh_from_db()
    assert mother_user.elder_mode is True
    assert 'data-elder="on"' in mother_client.get("/code/").content.decode()
    mother_client.post("/elder/switch/", {"elder_mode": "0", "next": "https://evil.example/"})
    assert 'data-elder="off"' in mother_client.get("/").content.decode()


def test_anonymous_visitors_are_offered_elder_mode_once_and_it_sticks_in_a_cookie(client, db):
    assert "长辈版（大字）" in client.get("/").content.decode()
    response = client.post("/elder/switch/", {"elder_mode": "1", "next": "/"})
    assert response.cookies["elder_mode"].value == "1"
    page = client.get("/").content.decode()
    assert 'data-elder="on"' in page
    assert "用长辈版（大字）" not in page
