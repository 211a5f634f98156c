"""教程专区: every tutorial page opens in Chinese and English, steps go forward and back within bounds, wrong
addresses get the friendly 404, every step has its screenshot and its spoken guide, and every step's button is
still on its real page as the right person sees it (so a tutorial fails here the day its page changes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from conftest import client_for
from elder_mode.voice.guides import GUIDES, guide_text
from family.models import GrantStatus, ProxyGrant
from learn.tutorials import (
    FAMILY,
    SCANNED,
    SETTLED,
    SON,
    TUTORIALS,
    Step,
    Tutorial,
    missing_buttons,
    numbered_steps,
    shows_text,
    tutorial_guides,
)
from tests.helpers import BILL
from vouchers.codes import issue_code_token

SCREENS = Path(settings.BASE_DIR) / "static" / "learn" / "screens"
ALL_STEPS = [(t, n, s) for t in TUTORIALS for n, s in enumerate(t.steps, start=1)]


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_tutorial_page_opens_in_chinese_and_in_english(client, language):
    if language == "en":
        english(client)
    pages = [reverse("learn:tutorials")]
    for tutorial in TUTORIALS:
        pages.append(reverse("learn:tutorial", args=[tutorial.slug]))
        pages.append(reverse("learn:tutorial_print", args=[tutorial.slug]))
        pages += [reverse("learn:tutorial_step", args=[tutorial.slug, n]) for n in range(1, len(tutorial.steps) + 1)]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert 'data-testid="voice-guide"' in body, path
        assert "12393" in body, path  # the help block


def test_the_list_shows_one_card_per_task_with_a_way_in_and_a_handout(client):
    body = client.get("/learn/").content.decode()
    for title in ("出示医保码", "在柜台结算", "添加家人", "异地就医备案", "手工报销", "找人帮忙"):
        assert f">{title}</h2>" in body
    assert body.count("开始学") == len(TUTORIALS) and body.count("打印这一课") == len(TUTORIALS)


def test_a_step_shows_where_she_is_the_screenshot_and_the_spoken_sentence(client):
    body = client.get("/learn/show_code/2/").content.decode()
    assert "第 2 步，共 4 步" in body
    assert "/static/learn/screens/show_code-2.png" in body and 'alt="我的医保码页面' in body
    assert guide_text("tutorial_show_code_2") in body
    assert "在「我的医保码」这一页，找「放大」。" in body
    assert 'href="/learn/show_code/1/"' in body and 'href="/learn/show_code/3/"' in body


def test_the_english_step_speaks_english_on_screen(client):
    body = english(client).get("/learn/show_code/2/").content.decode()
    assert "If it is hard to see, tap Enlarge." in body


def test_the_first_step_goes_back_to_the_list_and_the_last_has_no_next(client):
    first = client.get("/learn/ask_help/").content.decode()
    assert 'href="/learn/"' in first and 'data-testid="tutorial-previous"' in first
    last = client.get(f"/learn/ask_help/{len(TUTORIALS[-1].steps)}/").content.decode()
    assert 'data-testid="tutorial-next"' not in last and 'data-testid="tutorial-finish"' in last


@pytest.mark.parametrize("path", ["/learn/show_code/0/", "/learn/show_code/5/", "/learn/show_code/99999999999/",
                                  "/learn/no_such_lesson/", "/learn/no_such_lesson/1/", "/learn/show_code/x/",
                                  "/learn/show_code/-1/", "/learn/no_such_lesson/print/"])
def test_a_wrong_tutorial_address_gets_the_friendly_not_found_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode() and "回到首页" in response.content.decode()


def test_the_tutorials_never_take_practice_modes_address():
    """/learn/practice/ belongs to practice mode (learn's other half), never to a tutorial called "practice"."""
    try:
        match = resolve("/learn/practice/")
    except Resolver404:
        return
    assert match.url_name not in {"tutorial", "tutorial_step", "tutorial_print"}


def test_the_printable_handout_has_every_step_the_hotline_and_a_print_button(client):
    body = client.get("/learn/add_family/print/").content.decode()
    tutorial = next(t for t in TUTORIALS if t.slug == "add_family")
    for number in range(1, len(tutorial.steps) + 1):
        assert f"/static/learn/screens/add_family-{number}.png" in body
        assert guide_text(f"tutorial_add_family_{number}") in body
    assert "打医保热线 12393" in body and "离您最近的帮办点" in body
    assert "data-print" in body and "js/print-button.js" in body and "css/print-statement.css" in body


@pytest.mark.parametrize(("tutorial", "number", "step"), ALL_STEPS, ids=[f"{t.slug}-{n}" for t, n, _ in ALL_STEPS])
def test_every_step_has_its_screenshot_small_enough_for_a_weak_network(tutorial, number, step):
    screen = SCREENS / tutorial.screen_name(number)
    assert screen.exists(), f"{screen} is missing: run `python manage.py build_tutorial_screens`"
    assert screen.stat().st_size < 60 * 1024


@pytest.mark.parametrize(("tutorial", "number", "step"), ALL_STEPS, ids=[f"{t.slug}-{n}" for t, n, _ in ALL_STEPS])
def test_every_step_has_its_voice_guide_in_both_voices_and_english(tutorial, number, step):
    texts = GUIDES[tutorial.guide_key(number)]
    assert texts == {"cmn": step.cmn, "yue": step.yue, "en": step.en}
    assert all(texts.values())
    assert reverse(step.page) == step.path  # the real page the step names exists, at the path it says


def test_the_list_and_print_pages_have_their_own_guides():
    for key in ("tutorial_list", "tutorial_print"):
        assert GUIDES[key]["cmn"] and GUIDES[key]["yue"] and GUIDES[key]["en"]


# --- "the button is no longer on its page" -------------------------------------------------------------------


@pytest.fixture
def real_pages(mother_user, mother, son, api, django_capture_on_commit_callbacks):
    """Each step's real page as its persona sees it: 王秀英 in elder mode with her code active, her son added as
    family for the steps that need it, a bill settled with her code for the steps after the counter."""
    mother_user.elder_mode = True
    mother_user.save(update_fields=["elder_mode"])
    hers, his = client_for(mother_user), client_for(son)
    hers.cookies["elder_mode"] = "1"
    his.cookies["elder_mode"] = "1"
    done: set[str] = set()

    def reach(state: str) -> None:
        if state in done:
            return
        if state == FAMILY:
            ProxyGrant.objects.create(principal=mother, proxy=son, relationship="child", scopes=["show_code"],
                                      requested_scopes=["show_code"], status=GrantStatus.ACTIVE,
                                      expires_at=timezone.now() + dt.timedelta(days=365))
        if state in (SCANNED, SETTLED) and not done & {SCANNED, SETTLED}:
            with django_capture_on_commit_callbacks(execute=True):
                response = api.post("/api/v1/settlements", {**BILL, "code": issue_code_token(mother.voucher.public_id)})
            assert response.status_code == 202, response.content
        done.add(state)

    def page_html(tutorial: Tutorial, number: int, step: Step) -> str:
        reach(step.state)
        response = (his if step.persona == SON else hers).get(step.path)
        assert response.status_code == 200, f"{tutorial.slug} step {number}: {step.path} gave {response.status_code}"
        return response.content.decode()

    return page_html


def test_every_tutorial_button_is_still_on_its_real_page(real_pages):
    assert missing_buttons(numbered_steps(TUTORIALS), real_pages) == []


def test_a_tutorial_naming_a_button_that_is_gone_fails_the_check_naming_it(real_pages):
    stale = Tutorial(slug="show_code", title=TUTORIALS[0].title, summary=TUTORIALS[0].summary, steps=(
        TUTORIALS[0].steps[0],
        Step("vouchers:code", "/code/", "截图保存医保码", TUTORIALS[0].steps[1].page_title,
             cmn="点截图保存医保码。", yue="按截图保存医保码。", en="Tap Save a screenshot.",
             alt=TUTORIALS[0].steps[1].alt),
    ))
    problems = missing_buttons(numbered_steps([stale]), real_pages)
    assert problems == ["tutorial show_code step 2: the text 「截图保存医保码」 is not on vouchers:code (/code/)"]


def test_a_button_named_only_in_the_spoken_guide_does_not_count_as_on_the_page():
    html = '<p class="voice-guide-text">看病买药，点出示医保码。</p><a class="button">出示医保码</a>'
    assert shows_text(html, "出示医保码")
    assert not shows_text(html.replace('<a class="button">出示医保码</a>', ""), "出示医保码")
    assert shows_text('<a><span aria-hidden="true">☎ </span>拨打 12393</a>', "拨打 12393")


def test_the_generated_guides_are_exactly_the_tutorials_sentences():
    generated = tutorial_guides()
    assert len(generated) == sum(len(t.steps) for t in TUTORIALS)
    assert all(GUIDES[key] == texts for key, texts in generated.items())


def test_the_static_folder_holds_every_steps_screenshot():
    expected = {t.screen_name(n) for t in TUTORIALS for n in range(1, len(t.steps) + 1)}
    assert expected <= {p.name for p in SCREENS.glob("*.png")}
