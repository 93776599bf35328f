"""Employers: GB 32100 credit codes (python-stdnum) and one employer per code."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aidcenter.errors import DomainError, Invalid
from jobs import services
from jobs.models import Employer
from tests.jobs.factories import make_credit_code

# python-stdnum's documentation example, and a Shenzhen (440300) code whose check character
# python-stdnum accepts.
VALID = ["91110000600037341L", "91440300708461136T"]
INVALID = [
    "91110000600037341M",  # wrong check character
    "9111000060003734",  # too short
    "91110000600037341LX",  # too long
    "9111000060003734IL",  # I is not in the GB 32100 alphabet
    "9111000060003734OL",  # nor O
    "911100006000373S1L",  # nor S
    "",
    "９１１１０００００６０００３７３４１Ｌ",  # full-width digits
    "٩١١١٠٠٠٠٦٠٠٠٣٧٣٤١L",  # Arabic-Indic digits
    "91110000600037341\x00",
]


@pytest.mark.parametrize("code", VALID)
def test_known_good_codes_are_valid(code):
    assert services.validate_credit_code(code) == code


def test_codes_are_normalised_to_upper_case_without_spaces():
    assert services.validate_credit_code(" 9111 0000 6000 3734 1l ") == "91110000600037341L"


@pytest.mark.parametrize("code", INVALID)
def test_bad_codes_are_refused_with_a_field_error(code):
    with pytest.raises(Invalid) as bad:
        services.validate_credit_code(code)
    assert list(bad.value.errors) == ["credit_code"]


@pytest.mark.parametrize("value", [None, 91110000600037341, ["91110000600037341L"], {"a": 1}])
def test_wrong_types_are_refused_not_crashed(value):
    with pytest.raises(Invalid):
        services.validate_credit_code(value)


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=30)
    | st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=18, max_size=18)
)
def test_validation_never_crashes(text):
    try:
        code = services.validate_credit_code(text)
    except Invalid:
        return
    assert len(code) == 18 and code == code.upper()


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=999_999_999))
def test_generated_codes_validate(n):
    code = make_credit_code(n)
    assert services.validate_credit_code(code) == code


def test_one_employer_per_code(staff):
    services.employer_create(by=staff.case_a, data={"credit_code": VALID[0], "name": "甲公司"})
    with pytest.raises(DomainError) as twice:
        services.employer_create(
            by=staff.case_b, data={"credit_code": VALID[0].lower(), "name": "乙公司"}
        )
    assert twice.value.code == "duplicate_credit_code"
    assert list(Employer.objects.values_list("name", flat=True)) == ["甲公司"]
