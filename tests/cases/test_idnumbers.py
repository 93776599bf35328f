"""GB 11643 ID numbers: the published vector, every one-digit change, derived facts, masking."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from cases import idnumbers

VALID = "11010519491231002X"


def test_published_vector_is_valid_and_yields_birth_date_and_sex():
    assert idnumbers.validate(VALID) == VALID
    assert idnumbers.validate("11010519491231002x") == VALID  # stored upper-case
    assert str(idnumbers.birth_date(VALID)) == "1949-12-31"
    assert idnumbers.sex(VALID) == "F"  # 17th digit 2: even


@pytest.mark.parametrize("position", range(18))
def test_any_one_changed_character_is_invalid(position):
    for replacement in "0123456789X":
        if replacement == VALID[position] or (position < 17 and replacement == "X"):
            continue
        changed = VALID[:position] + replacement + VALID[position + 1 :]
        with pytest.raises(ValueError):
            idnumbers.validate(changed)


@pytest.mark.parametrize(
    "raw, message",
    [("1101051949123100", "18"), ("1101051949123100AX", "17"), ("110105194912310021", "校验")],
)
def test_bad_numbers_get_a_clear_message(raw, message):
    with pytest.raises(ValueError, match=message):
        idnumbers.validate(raw)


def test_mask_keeps_region_and_last_four():
    assert idnumbers.mask(VALID) == "110105********002X"
    assert idnumbers.is_masked("110105********002X")
    assert not idnumbers.is_masked(VALID)


@given(st.text(max_size=40))
def test_validate_never_crashes_on_any_text(raw):
    # Any text either validates to the canonical 18 characters or raises ValueError (which
    # carries a clerk's message): never another exception.
    with contextlib.suppress(ValueError):
        assert len(idnumbers.validate(raw)) == 18


@pytest.mark.parametrize("region", ["410102", "430102", "610402", "342401", "310107"])
def test_real_region_codes_are_accepted_whatever_stdnums_county_table_says(region):
    body = f"{region}19800101123"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    number = body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    assert idnumbers.validate(number) == number


@pytest.mark.parametrize("body", ["99010119800101123", "31010719800230123", "31010729990101123"])
def test_impossible_province_or_date_is_refused_even_with_a_right_check_digit(body):
    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(ValueError, match="出生日期或地区"):
        idnumbers.validate(number)
