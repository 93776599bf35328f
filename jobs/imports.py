"""Excel import of vacancies (reading through the shared layer, aidcenter/imports.py): a
downloadable template; every row checked, errors reported by row
number in the clerk's language; all rows saved in one transaction or none; importing the same
file again changes nothing (each row's content is its key)."""

from __future__ import annotations

import datetime
import hashlib
import io
import json

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from aidcenter import imports as shared
from aidcenter.errors import Invalid
from aidcenter.faultpoints import pause_point
from aidcenter.models import OrgUnit
from aidcenter.roles import Action
from jobs import services
from jobs.models import Employer, JobFair, Vacancy

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# The template's columns, in order: (key, header). Rows are read by position, so a template
# downloaded in either language imports the same.
COLUMNS = [
    ("credit_code", gettext_lazy("Employer's unified social credit code")),
    ("employer_name", gettext_lazy("Employer name")),
    ("title", gettext_lazy("Job title")),
    ("positions", gettext_lazy("Positions")),
    ("salary_min", gettext_lazy("Salary from (yuan a month)")),
    ("salary_max", gettext_lazy("Salary up to (yuan a month)")),
    ("requirements", gettext_lazy("Requirements")),
    ("required_certificate", gettext_lazy("Certificate required")),
    ("job_fair", gettext_lazy("Job fair number (optional)")),
    ("opened_on", gettext_lazy("Opened on (YYYY-MM-DD, optional)")),
]
EXAMPLE = [
    "91110000600037341L",
    "上海示例机电有限公司",
    "维修电工",
    3,
    6000,
    8000,
    "持证上岗，两年以上经验",
    "低压电工作业",
    "",
    "2026-03-03",
]


def template_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Vacancies"))
    sheet.append([str(header) for _key, header in COLUMNS])
    sheet.append(EXAMPLE)
    for index, width in enumerate((22, 26, 16, 8, 14, 14, 30, 18, 14, 16)):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _read_rows(upload) -> tuple[list[tuple[int, dict]], list[str]]:
    """The non-empty data rows with their spreadsheet row numbers, and the row errors found in
    reading (formula cells); Invalid for a file that cannot be imported at all (the shared
    reader, aidcenter/imports.py). Rows are read by position: the header is not checked."""
    return shared.read_rows(
        upload,
        columns=[shared.Column(key, header) for key, header in COLUMNS],
        max_rows=MAX_ROWS,
        max_bytes=MAX_BYTES,
        check_header=False,
        empty_message=_("The file has no vacancy rows below the header."),
    )


_text = shared.text


def _clean_row(row: dict, *, by, fairs: dict) -> dict:
    """The row as service input; Invalid with the first problem found."""
    clean = {"credit_code": services.validate_credit_code(_text(row["credit_code"]))}
    clean["employer_name"] = _text(row["employer_name"])[:100]
    data = {
        "title": _text(row["title"]),
        "requirements": _text(row["requirements"]),
        "required_certificate": _text(row["required_certificate"]),
    }
    positions = row["positions"]
    if isinstance(positions, float) and positions.is_integer():
        positions = int(positions)
    data["positions"] = _text(positions)
    for name in ("salary_min", "salary_max"):
        data[name] = _text(row[name]) or None
    opened = row["opened_on"]
    if isinstance(opened, datetime.datetime):
        opened = opened.date()
    data["opened_on"] = opened if isinstance(opened, datetime.date) else _text(opened) or None
    # The same checks as a vacancy entered by hand, on an unsaved row.
    probe = Vacancy(opened_on=datetime.date.today())
    if not data["title"]:
        raise Invalid({"title": [_("The job title is missing.")]})
    if not data["positions"]:
        raise Invalid({"positions": [_("The number of positions is missing.")]})
    services._vacancy_fields(data, vacancy=probe)
    data["positions"] = probe.positions
    data["salary_min"], data["salary_max"] = probe.salary_min, probe.salary_max
    data["opened_on"] = probe.opened_on if data["opened_on"] else None
    fair_ref = _text(row["job_fair"])
    clean["job_fair"] = None
    if fair_ref:
        fair = fairs.get(fair_ref)
        if fair is None:
            raise Invalid(
                {"job_fair": [_("No job fair of yours has the number %(n)s.") % {"n": fair_ref}]}
            )
        clean["job_fair"] = fair
    clean["data"] = data
    return clean


def _row_key(org_unit: OrgUnit, clean: dict) -> str:
    content = dict(clean["data"])
    content.update(
        unit=org_unit.pk,
        credit_code=clean["credit_code"],
        job_fair=clean["job_fair"].pk if clean["job_fair"] else None,
    )
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def vacancies_import(*, by, org_unit: OrgUnit, upload) -> dict[str, int]:
    """Check every row, then save them all in one transaction; answer how many vacancies were
    created and how many rows were already imported before (and left unchanged)."""
    services._require(by, Action.RUN_SERVICES)
    services._require_unit(by, org_unit)
    rows, errors = _read_rows(upload)
    fairs = {str(f.pk): f for f in JobFair.objects.filter(org_unit_id=org_unit.pk)}
    named = set(Employer.objects.values_list("credit_code", flat=True))
    cleaned, seen = [], {}
    for number, row in rows:
        try:
            clean = _clean_row(row, by=by, fairs=fairs)
            if clean["credit_code"] not in named:
                if not clean["employer_name"]:
                    raise Invalid(
                        {"employer_name": [_("The employer is not registered yet: give its name.")]}
                    )
                named.add(clean["credit_code"])
        except Invalid as exc:
            errors.append(_("Row %(row)d: %(message)s") % {"row": number, "message": exc.message})
            continue
        key = _row_key(org_unit, clean)
        if key in seen:
            errors.append(
                _("Row %(row)d: the same vacancy as row %(other)d.")
                % {"row": number, "other": seen[key]}
            )
            continue
        seen[key] = number
        cleaned.append((number, key, clean))
    if errors:
        raise Invalid({"rows": errors})
    created = unchanged = 0
    with transaction.atomic():
        known = set(
            Vacancy.objects.filter(import_key__in=[key for _n, key, _c in cleaned]).values_list(
                "import_key", flat=True
            )
        )
        employers = {
            e.credit_code: e
            for e in Employer.objects.filter(
                credit_code__in={c["credit_code"] for *_x, c in cleaned}
            )
        }
        for number, key, clean in cleaned:
            pause_point(f"jobs.vacancies_import.row{number}")  # tests/faults only
            if key in known:
                unchanged += 1
                continue
            employer = employers.get(clean["credit_code"])
            if employer is None:
                employer = services.employer_create(
                    by=by,
                    data={"credit_code": clean["credit_code"], "name": clean["employer_name"]},
                )
                employers[employer.credit_code] = employer
            data = dict(clean["data"])
            if data["opened_on"] is None:
                data.pop("opened_on")
            services.vacancy_create(
                by=by,
                org_unit=org_unit,
                employer=employer,
                job_fair=clean["job_fair"],
                data=data,
                import_key=key,
            )
            created += 1
    return {"created": created, "unchanged": unchanged}
