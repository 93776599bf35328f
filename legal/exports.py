"""Excel export of the legal-case list: its columns and rows, written by the project's one
streaming writer (aidcenter/exports.py: openpyxl write-only, formulas neutralised)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter import exports as shared
from legal import deadlines
from legal.models import LegalCase

XLSX = shared.XLSX
EXPORT_LIMIT = 100_000
cell = shared.cell  # the project's one cell rule (formulas neutralised, illegal characters)


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
    """The list through the project's streaming writer (aidcenter/exports.py)."""
    cases = queryset[:EXPORT_LIMIT].iterator(chunk_size=2000)
    return shared.xlsx_bytes(str(LegalCase._meta.verbose_name_plural), header(), rows(cases))
