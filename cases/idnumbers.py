"""National ID numbers (GB 11643): validation, the facts they carry, and masking.

An ID number is sensitive personal information (PIPL art. 28): it is masked for viewers
without the right to see it (`110105********002X`), never put in a URL or a log line, and
searched for only through request bodies.
"""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

MASK_RE = re.compile(r"^\d{6}\*{8}[\dX]{4}$")


def normalise(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper()


# Province-level codes of GB/T 2260 (the first two digits).
PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
}


def validate(raw: str) -> str:
    """The ID number in canonical form (18 characters, upper-case X), or ValueError with a
    message a clerk understands.

    Checked: length, digits, the GB 11643 check digit, a real birth date not in the future,
    and a province code. Not checked: the county code — counties are merged and renamed over
    the years while the old numbers stay valid for life, and python-stdnum's county table
    refuses real numbers (410102, Zhengzhou) and even raises KeyError on some."""
    number = normalise(raw)
    if len(number) != 18:
        raise ValueError(_("An ID number has 18 characters."))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValueError(_("An ID number has 17 digits and a final digit or X."))
    if ric.calc_check_digit(number) != number[17]:
        raise ValueError(_("The ID number's check digit is wrong: please check every digit."))
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        born = None
    if born is None or born > datetime.date.today() or number[:2] not in PROVINCES:
        raise ValueError(_("The ID number holds an impossible birth date or region."))
    return number


def birth_date(number: str) -> datetime.date:
    return ric.get_birth_date(number)


def sex(number: str) -> str:
    """'M' or 'F': the 17th digit is odd for men, even for women."""
    return "M" if int(number[16]) % 2 else "F"


def mask(number: str | None) -> str | None:
    if not number:
        return number
    return number[:6] + "*" * 8 + number[-4:]


def is_masked(value: str | None) -> bool:
    return bool(value) and bool(MASK_RE.match(normalise(value)))
