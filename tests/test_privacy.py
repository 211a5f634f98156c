"""Identifiers are encrypted at rest, looked up by keyed hash, masked on screen and in logs."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from audit.logging import MaskIdentifiersFilter
from core import crypto
from core.masking import mask_id_number, mask_name, mask_phone

GRANDMA_ID = "330100194403121123"
GRANDMA_PHONE = "+8613800138001"


def _raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return repr(cursor.fetchall())


def test_the_raw_database_row_holds_no_id_number_or_phone_in_clear(mother_user):
    for table in ("insurance_insuredperson", "accounts_user"):
        raw = _raw_rows(table)
        assert GRANDMA_ID not in raw
        assert GRANDMA_PHONE not in raw
        assert "13800138001" not in raw
    # ...yet the application reads them back.
    mother_user.person.refresh_from_db()
    assert mother_user.person.id_number == GRANDMA_ID


def test_sms_messages_are_stored_encrypted_too(client, mother):
    client.post("/activate/", {"name": "王秀英", "id_number": GRANDMA_ID, "phone": "13800138001", "action": "send_sms"})
    raw = _raw_rows("accounts_outboundmessage")
    assert "13800138001" not in raw
    assert "验证码" not in raw


def test_a_person_is_found_by_keyed_hash_not_by_clear_text(mother):
    from insurance.models import InsuredPerson

    assert InsuredPerson.objects.with_id_number(GRANDMA_ID).get() == mother
    assert mother.id_index == crypto.blind_index("id", GRANDMA_ID)
    assert GRANDMA_ID not in mother.id_index


def test_values_encrypted_with_an_old_key_still_read_after_rotation(settings):
    from core.env import parse_key_ring

    old_ring = settings.FIELD_ENCRYPTION_KEYS
    token = crypto.encrypt("330100194403121123")
    settings.FIELD_ENCRYPTION_KEYS = parse_key_ring("X", "new2:" + "A" * 43 + "=") + list(old_ring)
    assert crypto.decrypt(token) == "330100194403121123"
    assert crypto.key_id_of(crypto.encrypt("x")) == "new2"


def test_a_tampered_ciphertext_does_not_decrypt():
    token = crypto.encrypt("13800138001")
    key_id, nonce, ct = token.split("$")
    flipped = ct[:-2] + ("A" if ct[-2] != "A" else "B") + ct[-1]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{key_id}${nonce}${flipped}")


def test_masks_show_enough_to_recognise_and_no_more():
    assert mask_id_number(GRANDMA_ID) == "330***********1123"
    assert mask_phone(GRANDMA_PHONE) == "138****8001"
    assert mask_name("王秀英") == "王**"
    assert mask_name("王芳") == "王*"


def test_the_logging_filter_masks_identifiers_in_messages_and_arguments(caplog):
    logger = logging.getLogger("yibaotong.test")
    logger.addFilter(MaskIdentifiersFilter())
    with caplog.at_level(logging.INFO, logger="yibaotong.test"):
        logger.info("binding %s with phone %s", GRANDMA_ID, "13800138001")
        logger.info("call +8613800138001 now")
    text = caplog.text
    assert GRANDMA_ID not in text and "13800138001" not in text
    assert "330***********1123" in text and "138****8001" in text


def test_the_configured_console_handler_masks_identifiers():
    from django.conf import settings

    assert "mask_identifiers" in settings.LOGGING["handlers"]["console"]["filters"]


def test_no_page_shows_the_full_id_number_or_phone(mother_client, mother):
    for path in ("/", "/code/", "/code/large/", "/account/record/"):
        body = mother_client.get(path).content.decode()
        assert GRANDMA_ID not in body, path
        assert "13800138001" not in body, path
