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
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError

MASK_RE = re.compile(r"^\d{6}\*{8}[\dX]{4}$")


def normalise(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper()


def validate(raw: str) -> str:
    """The ID number in canonical form (18 characters, upper-case X), or ValueError with a
    message a clerk understands."""
    number = normalise(raw)
    try:
        return ric.validate(number)
    except InvalidLength:
        raise ValueError(_("An ID number has 18 characters.")) from None
    except InvalidChecksum:
        raise ValueError(
            _("The ID number's check digit is wrong: please check every digit.")
        ) from None
    except InvalidComponent:
        raise ValueError(_("The ID number holds an impossible birth date or region.")) from None
    except ValidationError:
        raise ValueError(_("An ID number has 17 digits and a final digit or X.")) from None


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
