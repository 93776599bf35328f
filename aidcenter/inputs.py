"""Cleaning one field of a service's input dict: the rules every app's services share, each
raising Invalid on that field with a message the clerk reads."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from aidcenter.errors import Invalid


def text(data: dict, name: str, *, max_length: int, required: bool = False) -> str | None:
    """The stripped text, None when absent; NUL bytes and overlong text refused."""
    if name not in data:
        if required:
            raise Invalid({name: [_("This field is required.")]})
        return None
    value = "" if data[name] is None else str(data[name]).strip()
    if "\x00" in value:
        raise Invalid({name: [_("Remove the invalid characters.")]})
    if required and not value:
        raise Invalid({name: [_("This field is required.")]})
    if len(value) > max_length:
        raise Invalid({name: [_("Use at most %(n)d characters.") % {"n": max_length}]})
    return value


def choice(data: dict, name: str, choices) -> str | None:
    """One of a TextChoices' values, None when absent."""
    if name not in data:
        return None
    if data[name] not in choices.values:
        raise Invalid({name: [_("Choose one of the listed values.")]})
    return data[name]


def date(data: dict, name: str, *, required: bool = False) -> datetime.date | None:
    """A date from a date, a datetime or YYYY-MM-DD text; None when absent or empty."""
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise Invalid({name: [_("This field is required.")]})
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value))
        except ValueError:
            raise Invalid({name: [_("Enter a date as YYYY-MM-DD.")]}) from None
    return value


def money(data: dict, name: str) -> Decimal | None:
    """Yuan with two decimals, 0 ≤ amount < 100,000,000; None when absent or empty."""
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid({name: [_("Enter an amount in yuan.")]}) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("100000000"):
        raise Invalid({name: [_("Enter an amount in yuan.")]})
    return amount.quantize(Decimal("0.01"))
