"""The signed rotating code (docs/design.md §3.2): what 奶奶's phone shows and what a counter may trust.

A counter holds only the public keys from /api/v1/keys. A code is good for 60 seconds and one
settlement; any change to it, a cut, or another key's signature makes it worthless.
"""

from __future__ import annotations

import base64
import io
import re
import struct
import time
import uuid

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from core.env import KeyRingEntry
from insurance.models import InsuredPerson
from vouchers.actions import check_code, consume_code, suspend_voucher
from vouchers.codes import (
    SIGNED_LEN,
    TOKEN_LEN,
    CodeTokenError,
    issue_code_token,
    published_keys,
    signing_keys,
    verify_code_token,
)
from vouchers.models import UsedCodeToken, Voucher

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def qr_src(body: str) -> str:
    match = re.search(r'<img[^>]*src="(data:image/png;base64,[^"]+)"[^>]*data-testid="qr"', body)
    assert match, "no QR image on the page"
    return match.group(1)


def scan(data_uri: str) -> str:
    """What a counter's scanner reads off the screen."""
    png = base64.b64decode(data_uri.removeprefix("data:image/png;base64,"))
    image = Image.open(io.BytesIO(png)).convert("L")
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "the picture should hold exactly one QR code"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def keys_a_counter_downloads() -> dict[bytes, bytes]:
    return {bytes.fromhex(k["kid"]): b64url_decode(k["public_key"]) for k in keys_a_counter_downloads_full()}


def keys_a_counter_downloads_full() -> list[dict]:
    response = Client().get("/api/v1/keys")
    assert response.status_code == 200
    return response.json()["keys"]


def assert_refused(token: str, *, code: str | None = None, now: int | None = None,
                   keys: dict[bytes, bytes] | None = None) -> CodeTokenError:
    with pytest.raises(CodeTokenError) as caught:
        verify_code_token(token, public_keys=keys, now=now)
    if code is not None:
        assert caught.value.code == code
    assert CHINESE.search(caught.value.message), caught.value.message
    return caught.value


def forge(voucher_public_id: uuid.UUID, *, private: Ed25519PrivateKey, key_id: bytes, issued: int) -> str:
    signed = struct.pack(">B4s16sQ12s", 1, key_id, voucher_public_id.bytes, issued, b"\x07" * 12)
    return b64url(signed + private.sign(signed))


def voucher_of(person: InsuredPerson) -> Voucher:
    return Voucher.objects.get(person=person)


# --- the QR on her screen, read back by a counter ---------------------------------------------


def test_the_qr_on_grandmas_screen_scans_back_to_a_code_the_published_key_accepts(mother_client, mother):
    body = mother_client.get("/code/").content.decode()
    token = scan(qr_src(body))
    keys = keys_a_counter_downloads()

    claims = verify_code_token(token, public_keys=keys)

    assert claims.voucher_public_id == voucher_of(mother).public_id
    assert abs(claims.issued_at - int(time.time())) <= 5
    assert claims.key_id in {k.hex() for k in keys}


def test_the_counter_really_relies_on_the_downloaded_keys_alone(mother_client):
    token = scan(qr_src(mother_client.get("/code/").content.decode()))
    assert_refused(token, code="code_forged", keys={})
    someone_else = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    assert_refused(token, code="code_forged", keys=dict.fromkeys(keys_a_counter_downloads(), someone_else))


def test_the_large_view_for_the_counter_also_scans(mother_client, mother):
    token = scan(qr_src(mother_client.get("/code/large/").content.decode()))
    assert verify_code_token(token, public_keys=keys_a_counter_downloads()).voucher_public_id == \
        voucher_of(mother).public_id


def test_each_refresh_of_the_card_shows_a_different_code(mother_client, mother):
    tokens = [scan(qr_src(mother_client.get("/code/card/", headers={"HX-Request": "true"}).content.decode()))
              for _ in range(3)]
    assert len(set(tokens)) == 3
    keys = keys_a_counter_downloads()
    nonces = {verify_code_token(t, public_keys=keys).nonce for t in tokens}
    assert len(nonces) == 3
    assert {verify_code_token(t, public_keys=keys).voucher_public_id for t in tokens} == {voucher_of(mother).public_id}


def test_the_key_list_is_public_and_names_no_secret(db):
    response = Client().get("/api/v1/keys")
    assert response.status_code == 200
    published = response.json()["keys"]
    assert published == published_keys()
    assert published[0]["status"] == "active" and published[0]["alg"] == "Ed25519"
    for entry in published:
        assert len(b64url_decode(entry["public_key"])) == 32
        assert len(bytes.fromhex(entry["kid"])) == 4
    seeds = {e.key for e in django_settings.CODE_SIGNING_KEYS}
    assert not seeds & {b64url_decode(e["public_key"]) for e in published}


# --- sixty seconds, once ----------------------------------------------------------------------


def test_a_fresh_code_is_good(mother_user, mother):
    token = issue_code_token(voucher_of(mother).public_id)
    claims, voucher = check_code(token)
    assert voucher.person == mother
    assert claims.voucher_public_id == voucher.public_id


def test_a_code_is_good_at_59_seconds_and_refused_at_61(mother_user, mother):
    issued = int(time.time()) - 1000
    token = issue_code_token(voucher_of(mother).public_id, now=issued)

    assert check_code(token, now=issued + 59)[1].person == mother
    error = assert_refused(token, code="code_expired", now=issued + 61)
    assert "过期" in error.message
    with pytest.raises(CodeTokenError) as caught:
        check_code(token, now=issued + 61)
    assert caught.value.code == "code_expired"


def test_a_code_shown_yesterday_is_refused_as_expired(mother_user, mother):
    token = issue_code_token(voucher_of(mother).public_id, now=int(time.time()) - 86_400)
    assert_refused(token, code="code_expired")


def test_a_code_from_the_future_is_refused_but_a_small_clock_difference_is_forgiven(mother_user, mother):
    now = int(time.time())
    public_id = voucher_of(mother).public_id
    assert verify_code_token(issue_code_token(public_id, now=now + 5), now=now)
    error = assert_refused(issue_code_token(public_id, now=now + 6), now=now)
    assert error.code == "code_forged"
    assert_refused(issue_code_token(public_id, now=now + 3600), code="code_forged", now=now)


def test_a_code_pays_once_and_is_then_refused_as_used(mother_user, mother):
    token = issue_code_token(voucher_of(mother).public_id)
    consume_code(token)
    assert UsedCodeToken.objects.filter(voucher__person=mother).count() == 1

    with pytest.raises(CodeTokenError) as checked:
        check_code(token)
    assert checked.value.code == "code_used" and CHINESE.search(checked.value.message)
    # Used in a settlement's transaction (as submit_settlement does): the second use fails it whole.
    with pytest.raises(CodeTokenError) as consumed, transaction.atomic():
        consume_code(token)
    assert consumed.value.code == "code_used" and "用过" in consumed.value.message
    assert UsedCodeToken.objects.filter(voucher__person=mother).count() == 1


def test_using_one_code_leaves_her_next_code_good(mother_user, mother):
    public_id = voucher_of(mother).public_id
    consume_code(issue_code_token(public_id))
    assert check_code(issue_code_token(public_id))[1].person == mother


def test_a_code_of_a_suspended_voucher_is_refused(mother_user, mother):
    token = issue_code_token(voucher_of(mother).public_id)
    suspend_voucher(mother, actor=mother_user)
    with pytest.raises(CodeTokenError) as caught:
        check_code(token)
    assert caught.value.code == "voucher_suspended"
    assert "暂停" in caught.value.message
    with pytest.raises(CodeTokenError):
        consume_code(token)
    assert not UsedCodeToken.objects.exists()


def test_a_well_signed_code_for_no_known_voucher_is_refused(db):
    with pytest.raises(CodeTokenError) as caught:
        check_code(issue_code_token(uuid.uuid4()))
    assert caught.value.code == "code_unknown" and CHINESE.search(caught.value.message)


# --- changed, cut, forged ---------------------------------------------------------------------


def test_flipping_any_single_bit_of_any_byte_makes_the_code_worthless(mother_user, mother):
    token = issue_code_token(voucher_of(mother).public_id)
    raw = b64url_decode(token)
    assert len(raw) == TOKEN_LEN == 105
    for position in range(len(raw)):
        for bit in (0x01, 0x80):
            changed = bytearray(raw)
            changed[position] ^= bit
            with pytest.raises(CodeTokenError):
                verify_code_token(b64url(bytes(changed)))
    assert verify_code_token(token).voucher_public_id == voucher_of(mother).public_id  # the original still is


def test_changing_any_single_character_of_the_text_makes_the_code_worthless(mother_user, mother):
    token = issue_code_token(voucher_of(mother).public_id)
    for position, original in enumerate(token):
        other = ALPHABET[(ALPHABET.index(original) + 1) % len(ALPHABET)]
        with pytest.raises(CodeTokenError):
            verify_code_token(token[:position] + other + token[position + 1:])


@pytest.mark.parametrize("spoil", [
    pytest.param(lambda t: t + "!", id="a character added at the end"),
    pytest.param(lambda t: t[:40] + "." + t[40:], id="a dot inside"),
    pytest.param(lambda t: t[:40] + " " + t[40:], id="a space inside"),
    pytest.param(lambda t: t + "==", id="padding added"),
    pytest.param(lambda t: t.replace("-", "+").replace("_", "/") if ("-" in t or "_" in t) else t + "+",
                 id="the other base64 alphabet"),
])
def test_a_code_with_stray_characters_is_not_accepted_as_the_same_code(mother_user, mother, spoil):
    token = issue_code_token(voucher_of(mother).public_id)
    assert_refused(spoil(token), code="code_malformed")


def test_a_code_cut_anywhere_is_refused_as_incomplete(mother_user, mother):
    token = issue_code_token(voucher_of(mother).public_id)
    for length in range(1, len(token)):
        error = assert_refused(token[:length])
        assert error.code == "code_malformed"
    for cut in range(1, TOKEN_LEN):  # cut on the bytes, too, as a scanner dropping the end would
        assert_refused(b64url(b64url_decode(token)[:cut]), code="code_malformed")
    assert_refused(b64url(b64url_decode(token)[:SIGNED_LEN]), code="code_malformed")


@pytest.mark.parametrize(("text", "code"), [
    ("", "code_missing"),
    ("   \n", "code_missing"),
    ("hello", "code_malformed"),
    ("医保码", "code_malformed"),
    ("<script>alert(1)</script>", "code_malformed"),
    ("%%%%====", "code_malformed"),
    ("A" * 140, "code_malformed"),  # right length, nonsense inside
    ("A" * 5000, "code_malformed"),
    ("https://example.com/pay?code=abc", "code_malformed"),
])
def test_nonsense_is_refused_in_plain_chinese(db, text, code):
    assert_refused(text, code=code)


def test_none_is_treated_as_no_code(db):
    assert_refused(None, code="code_missing")  # type: ignore[arg-type]


def test_a_code_of_another_version_is_refused(mother_user, mother):
    raw = bytearray(b64url_decode(issue_code_token(voucher_of(mother).public_id)))
    raw[0] = 2
    error = assert_refused(b64url(bytes(raw)), code="code_malformed")
    assert "版本" in error.message


def test_a_code_signed_with_another_key_under_the_real_key_id_is_refused_as_forged(mother_user, mother):
    real_kid = signing_keys()[0].key_id
    token = forge(voucher_of(mother).public_id, private=Ed25519PrivateKey.generate(), key_id=real_kid,
                  issued=int(time.time()))
    error = assert_refused(token, code="code_forged")
    assert "伪造" in error.message
    with pytest.raises(CodeTokenError):
        check_code(token)


def test_a_code_signed_with_an_unknown_key_is_refused_as_forged(mother_user, mother):
    token = forge(voucher_of(mother).public_id, private=Ed25519PrivateKey.generate(), key_id=b"\x00\x01\x02\x03",
                  issued=int(time.time()))
    assert_refused(token, code="code_forged")
    assert_refused(token, code="code_forged", keys=keys_a_counter_downloads())


def test_a_retiring_key_still_verifies_and_a_removed_one_does_not(mother_user, mother, settings):
    public_id = voucher_of(mother).public_id
    old_ring = list(settings.CODE_SIGNING_KEYS)
    old_token = issue_code_token(public_id)

    settings.CODE_SIGNING_KEYS = [KeyRingEntry("new1", b"\x11" * 32), *old_ring]
    new_token = issue_code_token(public_id)
    assert [k["status"] for k in keys_a_counter_downloads_full()] == ["active"] + ["retiring"] * len(old_ring)
    keys = keys_a_counter_downloads()
    assert verify_code_token(old_token, public_keys=keys).voucher_public_id == public_id
    assert verify_code_token(new_token, public_keys=keys).voucher_public_id == public_id

    settings.CODE_SIGNING_KEYS = [KeyRingEntry("new1", b"\x11" * 32)]
    assert_refused(old_token, code="code_forged")
    assert verify_code_token(new_token).voucher_public_id == public_id


# --- properties -------------------------------------------------------------------------------

_PROPERTY = hypothesis_settings(max_examples=300, deadline=None,
                                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _real_token() -> str:
    return issue_code_token(uuid.UUID("12345678-1234-5678-1234-567812345678"))


@_PROPERTY
@given(st.binary(max_size=300))
def test_random_bytes_never_pass_as_a_code(raw):
    with pytest.raises(CodeTokenError):
        verify_code_token(b64url(raw))


@_PROPERTY
@given(st.text(max_size=600))
def test_random_text_never_passes_as_a_code_and_never_breaks_the_checker(text):
    with pytest.raises(CodeTokenError) as caught:
        verify_code_token(text)
    assert CHINESE.search(caught.value.message)


@_PROPERTY
@given(st.data())
def test_a_real_code_cut_or_spliced_at_random_never_passes(data):
    token = _real_token()
    start = data.draw(st.integers(min_value=0, max_value=len(token)), label="start")
    end = data.draw(st.integers(min_value=start, max_value=len(token)), label="end")
    if (start, end) == (0, len(token)):
        end -= 1
    inserted = data.draw(st.text(alphabet=ALPHABET, max_size=3), label="inserted")
    spoiled = token[:start] + inserted + token[end:]
    if spoiled == token:
        return
    with pytest.raises(CodeTokenError):
        verify_code_token(spoiled)
