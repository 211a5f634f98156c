"""The ID number (GB 11643) and phone checks say in plain Chinese what is wrong."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insurance.identity import InvalidIdentifier, id_check_char, normalize_mobile, parse_id_number

GRANDMA_ID = "330100194403121123"


def test_a_correct_id_number_gives_birth_date_and_gender():
    parsed = parse_id_number(GRANDMA_ID)
    assert parsed.birth_date == dt.date(1944, 3, 12)
    assert parsed.gender == "F"
    assert parsed.region_code == "330100"


def test_a_lower_case_x_check_digit_is_accepted():
    first17 = "11010519491231002"
    assert id_check_char(first17) == "X"
    assert parse_id_number(first17 + "x").value == first17 + "X"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "请填写身份证号"),
        ("33010019440312112", "应该是18位"),
        ("3301001944031211234", "应该是18位"),
        ("33010019440312112A", "只能是数字"),
        ("3301001944O3121123", "只能是数字"),
        ("330100194413121125", "出生日期不对"),
        ("330100194403121124", "校验不通过"),
    ],
)
def test_a_wrong_id_number_is_refused_with_the_reason(raw, says):
    with pytest.raises(InvalidIdentifier) as err:
        parse_id_number(raw)
    assert says in str(err.value)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_exactly_one_check_character_fits_any_seventeen_digits(first17):
    accepted = []
    for check in "0123456789X":
        try:
            parse_id_number(first17 + check)
            accepted.append(check)
        except InvalidIdentifier:
            pass
    assert len(accepted) <= 1


@pytest.mark.parametrize("raw", ["13800138001", "138 0013 8001", "+86 138-0013-8001"])
def test_mobile_numbers_are_stored_in_one_form(raw):
    assert normalize_mobile(raw) == "+8613800138001"


@pytest.mark.parametrize("raw", ["", "12345", "010-62345678", "+1 650 253 0000", "abc"])
def test_a_number_that_is_not_a_chinese_mobile_is_refused(raw):
    with pytest.raises(InvalidIdentifier) as err:
        normalize_mobile(raw)
    assert "手机号" in str(err.value)


def test_an_insured_persons_gender_and_birth_date_come_from_the_id_number(db):
    from conftest import make_person

    person = make_person(id_number="11010519491231002x", gender="M", birth_date=dt.date(2000, 1, 1))
    person.refresh_from_db()
    assert person.id_number == "11010519491231002X"
    assert person.birth_date == dt.date(1949, 12, 31)
    assert person.gender == "F"
