"""The portal speaks Simplified Chinese by default and complete, plain English on request.

The English catalog is checked three ways: every entry is translated (no fuzzy, no empty, placeholders kept),
the catalog holds exactly the strings the code and templates ask for today, and the main pages rendered in
English show no Chinese a reader would have to puzzle over.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from conftest import client_for, latest_code_sent_to
from counter.catalogue import CATALOGUE
from family.models import ProxyGrant
from insurance.filings import ChronicCondition
from settlement.models import Settlement
from settlement.push import render_status
from vouchers.codes import issue_code_token

BASE_DIR = Path(settings.BASE_DIR)
PO_FILE = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# Han ideographs, CJK punctuation (、。「」【】) and full-width forms (，：？（）).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# printf-style placeholders (%(name)s, %s, %d; only in python-format entries, elsewhere % is a percent sign),
# str.format placeholders ({name}) and HTML tags must all survive translation.
PRINTF = re.compile(r"%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[-#0 +]*\d*(?:\.\d+)?[sdif%]")
BRACES_AND_TAGS = re.compile(r"\{\w*\}|<[^>]+>")

# The only Chinese allowed on an English page: the button that switches back to Chinese.
LANGUAGE_SWITCH = "简体中文"


# --- the catalog, parsed -----------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a quoted .po string: {text!r}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The active entries of a .po file (the header and obsolete ``#~`` entries are left out)."""
    entries: list[Entry] = []
    current = Entry()
    target: str | None = None  # the field continuation lines belong to
    started = False

    def finish() -> None:
        nonlocal current, target, started
        if started:
            entries.append(current)
        current, target, started = Entry(), None, False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if started:
                finish()
            current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"continuation line with nothing to continue: {raw!r}"
            value = _unquote(line)
            if target == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + value
            elif target == "msgid":
                current.msgid += value
            elif target == "msgid_plural":
                current.msgid_plural += value
            else:
                current.msgstrs[-1] += value
        else:
            keyword, _, rest = line.partition(" ")
            if keyword in {"msgctxt", "msgid"} and started and target not in {None, "msgctxt"}:
                finish()  # an entry without a blank line before it
            started = True
            if keyword == "msgctxt":
                current.msgctxt, target = _unquote(rest), "msgctxt"
            elif keyword == "msgid":
                current.msgid, target = _unquote(rest), "msgid"
            elif keyword == "msgid_plural":
                current.msgid_plural, target = _unquote(rest), "msgid_plural"
            elif keyword == "msgstr" or re.fullmatch(r"msgstr\[\d+\]", keyword):
                current.msgstrs.append(_unquote(rest))
                target = "msgstr"
            else:
                raise AssertionError(f"unexpected line in {path.name}: {raw!r}")
    finish()
    return [entry for entry in entries if entry.msgid or entry.msgctxt]


def placeholders(text: str, *, printf: bool) -> list[str]:
    found = BRACES_AND_TAGS.findall(text) + (PRINTF.findall(text) if printf else [])
    return sorted(found)


# --- compiled messages for this test session --------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _compiled_english_catalog() -> None:
    """Compile the English catalog when the .mo is missing or older than the .po (`make` normally does this)."""
    if MO_FILE.exists() and MO_FILE.stat().st_mtime >= PO_FILE.stat().st_mtime:
        return
    # The same msgfmt call compilemessages makes, written aside and moved into place so parallel workers never
    # read a half-written file.
    fd, partial = tempfile.mkstemp(suffix=".mo", dir=MO_FILE.parent)
    os.close(fd)
    try:
        subprocess.run(["msgfmt", "--check-format", "-o", partial, str(PO_FILE)], check=True, capture_output=True)
        os.replace(partial, MO_FILE)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    # Forget any catalog this process loaded before the .mo existed, the way override_settings does.
    from django.test.signals import setting_changed

    setting_changed.send(sender=type(settings), setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False)


# --- the catalog is complete --------------------------------------------------------------------------------------


def test_every_english_entry_is_translated_and_none_is_fuzzy():
    entries = parse_po(PO_FILE)
    assert len(entries) > 100, "the English catalog looks empty"
    untranslated = [entry.msgid for entry in entries if not entry.msgstrs or not all(s.strip() for s in entry.msgstrs)]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == [], f"{len(untranslated)} entries have no English yet: {untranslated[:10]}"
    assert fuzzy == [], f"{len(fuzzy)} entries are marked fuzzy: {fuzzy[:10]}"


def test_the_catalog_header_is_not_fuzzy_and_names_english():
    header = PO_FILE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in header
    assert '"Language: en\\n"' in header
    assert "charset=UTF-8" in header


def test_every_placeholder_and_tag_in_the_chinese_survives_in_the_english():
    broken = []
    for entry in parse_po(PO_FILE):
        for index, msgstr in enumerate(entry.msgstrs):
            source = entry.msgid_plural if index and entry.msgid_plural else entry.msgid
            printf = "python-format" in entry.flags
            if placeholders(source, printf=printf) != placeholders(msgstr, printf=printf):
                broken.append((entry.msgid, msgstr))
    assert broken == [], "placeholders differ: " + "; ".join(f"{a!r} -> {b!r}" for a, b in broken[:5])


def test_no_english_translation_still_contains_chinese():
    leftovers = [
        (entry.msgid, msgstr)
        for entry in parse_po(PO_FILE)
        for msgstr in entry.msgstrs
        if CJK.search(msgstr)
    ]
    assert leftovers == []


def _project_sources(directory: str, names: list[str]) -> set[str]:
    """What to leave out of the throw-away copy: everything but Python, templates and plain text."""
    skipped_dirs = {".venv", ".git", "var", "artifacts", "staticfiles", "static", "node_modules", "locale",
                    "__pycache__", ".ruff_cache", "docs"}
    ignored = set()
    for name in names:
        path = Path(directory) / name
        if path.is_dir():
            if name in skipped_dirs or name.endswith(".egg-info"):
                ignored.add(name)
        elif path.suffix not in {".py", ".html", ".txt"}:
            ignored.add(name)
    return ignored


def test_the_english_catalog_lists_exactly_the_strings_the_portal_uses(tmp_path):
    """makemessages on a throw-away copy of the sources must find no string the catalog lacks, and vice versa."""
    copy = tmp_path / "project"
    shutil.copytree(BASE_DIR, copy, ignore=_project_sources, symlinks=True)
    (copy / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", "VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-location", "-v0"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    fresh = {entry.key for entry in parse_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")}
    committed = {entry.key for entry in parse_po(PO_FILE)}
    missing = sorted(msgid for _, msgid in fresh - committed)
    stale = sorted(msgid for _, msgid in committed - fresh)
    assert missing == [], (
        f"{len(missing)} strings are not in the English catalog yet; run `manage.py makemessages -l en "
        f"--ignore=.venv --ignore=artifacts --no-location` and translate them: {missing[:10]}"
    )
    assert stale == [], (
        f"{len(stale)} strings in the English catalog are no longer used; run makemessages again to retire "
        f"them: {stale[:10]}"
    )


# --- the pages a person sees --------------------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a person sees or hears: element text plus labels, alt text, titles, button captions and the
    ``data-text-*`` messages that page scripts show."""

    SPOKEN_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
    HIDDEN_ELEMENTS = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN_ELEMENTS:
            self._hidden_depth += 1
            return
        values = dict(attrs)
        self.parts.extend(values[name] or "" for name in self.SPOKEN_ATTRIBUTES if values.get(name))
        self.parts.extend(value for name, value in attrs if name.startswith("data-text-") and value)
        if tag == "input" and values.get("type") in {"submit", "button", "reset"} and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN_ELEMENTS and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def chinese_left_in(text: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """The lines that still hold Chinese once the language switch and the allowed strings are taken out."""
    for word in (LANGUAGE_SWITCH, *allowed):
        text = text.replace(word, "")
    return [line for line in text.splitlines() if CJK.search(line)]


ANONYMOUS_PAGES = ["/", "/activate/", "/accounts/login/", "/accounts/worker/login/", "/no-such-page/"]
SIGNED_IN_PAGES = ["/", "/code/", "/code/large/", "/code/lost/", "/account/record/", "/account/enrollment/",
                   "/records/", "/family/", "/family/add/", "/family/invite/", "/no-such-page/"]


def english_client(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def fetch(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == (404 if path == "/no-such-page/" else 200), (path, response.status_code)
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_a_visitor_who_chose_english_sees_no_chinese_on(path):
    html = fetch(english_client(Client()), path)
    assert '<html lang="en"' in html
    assert chinese_left_in(visible_text(html)) == []
    assert "Yibaotong" in visible_text(html)


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_grandma_reading_in_english_sees_no_chinese_but_her_masked_name_on(path, mother_client, mother):
    html = fetch(english_client(mother_client), path)
    text = visible_text(html)
    assert '<html lang="en"' in html
    assert chinese_left_in(text, allowed=(mother.masked_name,)) == []


def test_the_code_card_that_refreshes_every_30_seconds_stays_in_english(mother_client, mother):
    response = english_client(mother_client).get("/code/card/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "seconds until a new code" in text
    assert chinese_left_in(text, allowed=(mother.masked_name,)) == []


def test_the_large_text_view_in_english_offers_the_standard_view_in_english(mother_client, mother):
    client = english_client(mother_client)
    client.post("/elder/switch/", {"elder_mode": "1", "next": "/"})
    html = fetch(client, "/")
    assert 'data-elder="on"' in html
    assert "Standard view" in assert_english(html, allowed=(mother.masked_name,))


def test_grandmas_code_page_in_english_names_her_scheme_in_english(mother_client, mother):
    text = visible_text(fetch(english_client(mother_client), "/code/"))
    assert mother.masked_name in text
    assert "Employee insurance" in text
    assert "My insurance code" in text


def test_the_enrollment_page_in_english_names_the_region_in_english(mother_client):
    text = visible_text(fetch(english_client(mother_client), "/account/enrollment/"))
    assert "Hangzhou" in text
    assert "杭州" not in text


def test_the_account_record_in_english_says_what_happened_in_english(mother_client):
    mother_client.get("/code/")  # opening the code is recorded
    text = visible_text(fetch(english_client(mother_client), "/account/record/"))
    assert "Activated the insurance code" in text
    assert "Opened the insurance code" in text


GRANDMA = {"name": "王秀英", "id_number": "330100194403121123", "phone": "13800138001"}


def assert_english(html: str, *, allowed: tuple[str, ...] = ()) -> str:
    text = visible_text(html)
    assert '<html lang="en"' in html
    leftovers = chinese_left_in(text, allowed=allowed)
    assert leftovers == [], "Chinese left on an English page:\n" + "\n".join(leftovers)
    return text


def test_grandma_can_activate_her_code_reading_english_on_every_screen(mother):
    client = english_client(Client())
    sent = client.post("/activate/", {**GRANDMA, "action": "send_sms"})
    assert "The code was sent to 138****8001" in assert_english(sent.content.decode())
    code = latest_code_sent_to("+8613800138001")
    verified = client.post("/activate/", {**GRANDMA, "code": code, "action": "verify"})
    assert verified.status_code == 302 and verified.url == "/activate/confirm/"

    confirm = assert_english(fetch(client, "/activate/confirm/"), allowed=(mother.masked_name,))
    assert "Step 2 of 3" in confirm and "Employee insurance" in confirm and "Hangzhou" in confirm
    assert client.post("/activate/confirm/").url == "/activate/agree/"

    agree = assert_english(fetch(client, "/activate/agree/"))
    assert "Step 3 of 3" in agree
    refused = assert_english(client.post("/activate/agree/", {"elder_mode": "0"}).content.decode())
    assert "Please first tick \"I have read the above and agree to activate my code\"." in refused
    assert client.post("/activate/agree/", {"agree": "on", "elder_mode": "0"}).url == "/code/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"id_number": "330100194403121124"}, "the check digit does not match"),
        ({"id_number": "3301001944"}, "you entered 10"),
        ({"name": "王秀兰"}, "The name, ID number and mobile number do not match"),
        ({"phone": "12345"}, "Please enter an 11-digit mobile number"),
        ({"name": ""}, "Please enter your name."),
    ],
)
def test_a_mistake_on_the_identity_form_is_explained_in_english(mother, overrides, says):
    response = english_client(Client()).post("/activate/", {**GRANDMA, **overrides, "action": "send_sms"})
    assert response.status_code == 200
    assert says in assert_english(response.content.decode())


BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}]}


def test_grandmas_payment_history_receipt_and_live_status_read_in_english(
    api, institution, mother, mother_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/settlements", {**BILL, "code": issue_code_token(mother.voucher.public_id)})
    settlement = Settlement.objects.get(public_id=response.json()["id"])
    data_names = (mother.masked_name, institution.name, "阿莫西林胶囊")
    client = english_client(mother_client)

    records = assert_english(fetch(client, "/records/"), allowed=data_names)
    assert "Payment done" in records and "View receipt" in records
    receipt = assert_english(fetch(client, f"/records/{settlement.public_id}/"), allowed=data_names)
    assert "Insurance payment e-receipt" in receipt and "Outpatient" in receipt and "Class A" in receipt

    for template in ("settlement/_status.html", "counter/_status.html", "settlement/_watch_status.html"):
        text = visible_text(render_status(settlement, template, "en"))
        assert chinese_left_in(text, allowed=data_names) == [], template
        assert "Payment done" in text


TOTP_KEY = "3132333435363738393031323334353637383930"


def test_a_cashier_signs_in_and_works_the_counter_in_english(institution):
    cashier = User.objects.create_user("+8613500135005", "a-long-cashier-password", role=Role.OPERATOR,
                                       display_name="陈静", institution=institution)
    TOTPDevice.objects.create(user=cashier, name="phone", confirmed=True, key=TOTP_KEY)
    client = english_client(Client())
    password_step = client.post("/accounts/worker/login/", {"phone": "13500135005", "password": "a-long-cashier-password"})
    assert password_step.status_code == 302
    totp_page = assert_english(fetch(client, password_step.url))
    assert "Enter one-time passcode" in totp_page
    token = f"{totp(bytes.fromhex(TOTP_KEY), t0=0, step=30, digits=6):06d}"
    assert client.post(password_step.url, {"token": token}).status_code == 302

    # Names are data, not interface: the hospital's, the cashier's (masked) and the drugs' in the catalogue.
    drug_names = tuple(sorted((item.name for item in CATALOGUE), key=len, reverse=True))
    # The chronic conditions of the bill form are the bureau's data, named in Chinese as drug names are.
    conditions = [f"{c.name}（{c.code}）" for c in ChronicCondition.objects.all()]
    counter = assert_english(fetch(client, "/counter/"), allowed=(institution.name, cashier.masked_name, *drug_names,
                                                                  *conditions))
    assert "Counter payment" in counter and "Submit payment" in counter


@pytest.mark.django_db
def test_pressing_the_english_button_switches_the_next_pages_to_english():
    client = Client()
    assert "English" in visible_text(fetch(client, "/"))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/activate/"})
    assert response.status_code == 302 and response["Location"] == "/activate/"
    html = fetch(client, "/activate/")
    assert '<html lang="en"' in html
    assert chinese_left_in(visible_text(html)) == []
    # and the way back is labelled in Chinese, for a reader who needs it
    assert LANGUAGE_SWITCH in visible_text(html)


@pytest.mark.django_db
def test_a_browser_that_asks_for_english_gets_english():
    html = Client().get("/accounts/login/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert '<html lang="en"' in html
    assert chinese_left_in(visible_text(html)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_a_visitor_sees_chinese_by_default_on(path):
    html = fetch(Client(), path)
    assert '<html lang="zh-Hans"' in html
    text = visible_text(html)
    assert "医保通" in text
    assert len(chinese_left_in(text)) >= 3


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_grandma_sees_chinese_by_default_on(path, mother_client):
    html = fetch(mother_client, path)
    assert '<html lang="zh-Hans"' in html
    assert "医保通" in visible_text(html)


def test_grandmas_code_page_in_chinese_keeps_the_chinese_scheme_name(mother_client):
    text = visible_text(fetch(mother_client, "/code/"))
    assert "职工医保" in text and "我的医保码" in text


FAMILY_SCOPES = ["show_code", "view_settlements"]


def test_a_son_asks_and_his_mother_agrees_reading_english_on_every_family_screen(son, mother_user, mother):
    his, hers = english_client(client_for(son)), english_client(client_for(mother_user))
    names = (mother.masked_name, son.masked_name, son.person.name)
    asked = his.post("/family/add/", {"name": "王秀英", "id_number": mother.id_number, "relationship": "child",
                                      "scopes": FAMILY_SCOPES})
    assert asked.status_code == 302
    consent = assert_english(fetch(his, asked.url), allowed=names)
    assert "You asked to: Show their insurance code, Get their payment results as they happen" in consent
    assert "Waiting for consent" in assert_english(fetch(his, "/family/"), allowed=names)

    pending = assert_english(fetch(hers, "/family/"), allowed=names)
    assert f"{son.person.name} (your son or daughter) would like to help you" in pending and "You may choose fewer" in pending
    grant = ProxyGrant.objects.get()
    hers.post(f"/family/{grant.public_id}/answer/", {"decision": "approve", "scopes": FAMILY_SCOPES})

    who_helps_me = assert_english(fetch(hers, "/family/"), allowed=names)
    assert f"{son.masked_name} (your son or daughter)" in who_helps_me and "Remove now" in who_helps_me
    assert "Can: Show your insurance code, Get your payment results as they happen" in who_helps_me
    i_help = assert_english(fetch(his, "/family/"), allowed=names)
    assert f"{mother.masked_name} (your father or mother) · Active" in i_help and f"Act for {mother.masked_name}" in i_help

    his.post(f"/family/{grant.public_id}/act/")
    her_code = assert_english(fetch(his, "/code/"), allowed=names)
    assert f"Acting for {mother.masked_name}" in her_code and f"Insurance code of {mother.masked_name}" in her_code


def test_the_notice_that_takes_her_code_away_from_his_screen_is_in_english(mother):
    with translation.override("en"):
        html = render_to_string("family/_access_revoked.html", {"person_id": mother.pk})
        # With the parts it puts in place of her code and the banner (templates until a page shows them).
        text = visible_text(html.replace("<template", "<div").replace("</template>", "</div>"))
    assert chinese_left_in(text) == []
    assert "This insurance code can no longer be shown" in text


HELPER_PHONE = "+8613600136007"
HELPER_PASSWORD = "a-long-helper-password"


def test_a_community_helper_and_the_son_she_asks_read_the_kiosk_pages_in_english(mother, son):
    from family.actions import grant_in_helper_session

    helper = User.objects.create_user(HELPER_PHONE, HELPER_PASSWORD, role=Role.HELPER, display_name="陈志强")
    TOTPDevice.objects.create(user=helper, name="phone", confirmed=True, key=TOTP_KEY)
    grant = grant_in_helper_session(principal=mother, helper=helper, phone_e164=son.phone, relationship="child",
                                    scopes=["act"], session_consent="code")
    kiosk = english_client(Client())
    password_step = kiosk.post("/accounts/worker/login/", {"phone": HELPER_PHONE[3:], "password": HELPER_PASSWORD})
    assert password_step.status_code == 302
    token = f"{totp(bytes.fromhex(TOTP_KEY), t0=0, step=30, digits=6):06d}"
    assert kiosk.post(password_step.url, {"token": token}).status_code == 302
    names = (mother.masked_name, son.masked_name, helper.masked_name)

    assert "Helper desk" in assert_english(fetch(kiosk, "/assist/"))
    # Sessions open only at a registered kiosk: elsewhere the page says so instead of showing the form.
    assert "Resident's ID number" not in assert_english(fetch(kiosk, "/assist/start/"))
    assert kiosk.post("/assist/kiosk/register/", {"name": "Kiosk 1", "location": "Cuiyuan"}).status_code == 302
    start = assert_english(fetch(kiosk, "/assist/start/"))
    assert "Resident's ID number" in start and "Next: ask them to agree" in start
    started = kiosk.post("/assist/start/", {"name": "王秀英", "id_number": mother.id_number,
                                            "tasks": ["activate", "check_records"]})
    assert started.status_code == 302
    consent = assert_english(fetch(kiosk, started.url), allowed=names)
    assert f"Ask {mother.masked_name} to agree" in consent and "Things to do: Activate insurance code, Records" in consent
    asked = kiosk.post(started.url, {"step": "family", "grant": str(grant.public_id)})
    assert "Waiting for them to agree" in assert_english(asked.content.decode(), allowed=names)

    session_id = started.url.split("/")[3]
    his = english_client(client_for(son))
    approval = assert_english(fetch(his, f"/assist/approve/{session_id}/"), allowed=names)
    assert f"Community helper {helper.masked_name} is helping {mother.masked_name}" in approval
    assert "Do you agree?" in approval and "Things to do: Activate insurance code, Records" in approval
