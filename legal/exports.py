"""Excel export of the legal-case list: openpyxl in write-only mode (rows streamed, not held),
cells that a spreadsheet would run as formulas neutralised."""

from __future__ import annotations

import io
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from legal import deadlines
from legal.models import LegalCase

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 100_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """Text starting with = + - @ (or a tab or carriage return) gets a leading apostrophe so it
    stays text; characters the file format cannot hold are dropped; times lose their zone
    after conversion to local time (Excel has none)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    elif getattr(value, "tzinfo", None) is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def header() -> list[str]:
    return [
        _("unit"),
        _("case type"),
        _("opposing employer"),
        _("unified social credit code"),
        _("claimants"),
        _("number of claimants"),
        _("amount claimed"),
        _("amount recovered"),
        _("free legal aid"),
        _("stage"),
        _("duty lawyer"),
        _("legal case opened on"),
        _("apply for arbitration by"),
        _("next deadline"),
        _("deadline status"),
        _("outcome"),
        _("legal case closed on"),
    ]


def rows(cases, *, today=None):
    """One row per case; `cases` has its claimants (with persons) prefetched."""
    today = today or timezone.localdate()
    flags = {"missed": _("deadline missed"), "due_soon": _("deadline due soon"), "": ""}
    for case in cases:
        claimants = list(case.claimants.all())
        yield [
            case.org_unit.code,
            case.get_case_type_display(),
            case.employer.name if case.employer else "",
            case.employer.credit_code if case.employer else "",
            "、".join(c.person.name for c in claimants),
            len(claimants),
            sum((c.amount_claimed for c in claimants), start=0),
            sum((c.amount_recovered for c in claimants), start=0),
            _("yes") if case.is_legal_aid else _("no"),
            case.get_stage_display(),
            case.lawyer.name if case.lawyer else "",
            case.opened_on,
            case.limitation_ends_on,
            case.next_deadline_on,
            flags[deadlines.flag(case.next_deadline_on, today=today)]
            if case.stage != "closed"
            else "",
            case.get_outcome_display() if case.outcome else "",
            case.closed_on,
        ]


def xlsx_bytes(queryset) -> bytes:
    workbook = Workbook(write_only=True)
    title = re.sub(r"[\[\]:*?/\\]", " ", str(LegalCase._meta.verbose_name_plural))[:31]
    sheet = workbook.create_sheet(title)
    sheet.append(header())
    for row in rows(queryset[:EXPORT_LIMIT].iterator(chunk_size=2000)):
        sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
