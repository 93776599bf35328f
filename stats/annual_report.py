"""The annual report (.xlsx) in the shape of the district's written reports (seeds/): the unit
and the period in the title, then one numbered section per service — registry, aid, front
desk, job placement, training, legal aid, funds — each with its totals and the share of each
part in its total; a second sheet compares the sub-centers.

Every number comes from stats/figures.py (the figures service the dashboard and the API use),
so the report can never disagree with them.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from cases.models import Channel, Worker
from funds.models import AidType
from stats import figures
from stats.labels import LABELS, SECTIONS

NUMBERS = "一二三四五六七八九十"
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
SHARE_FORMAT = "0.0%"
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=15)
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
MONEY_KEYS = {"aid.amount", "legal.amount_recovered", "funds.income", "funds.spent"}
# The sub-center sheet: additive figures (a sum over the sub-centers is the total).
BY_UNIT = (
    "registry.registered",
    "registry.new",
    "registry.lifted",
    "aid.person_times",
    "aid.amount",
    "cases.received",
    "cases.resolved",
    "jobs.fairs",
    "jobs.placements",
    "training.classes",
    "training.certificates",
    "legal.cases",
    "legal.amount_recovered",
)


def _share(part, whole):
    if not whole:
        return None
    return float(Decimal(part) / Decimal(whole))


def _lines(flat: dict) -> list[tuple[str, list[tuple[str, object, object, str]]]]:
    """Each section: (title, [(label, value, share or None, key), …])."""

    def line(key, share_of=None):
        value = flat.get(key, 0)
        share = _share(value, flat[share_of]) if share_of and value is not None else None
        return (str(LABELS.get(key, key)), value, share, key)

    registered = "registry.registered"
    registry = [line(registered)]
    registry += [line(f"registry.by_level.{v}", registered) for v in Worker.Level.values]
    registry += [
        line(f"registry.by_main_cause.{v}", registered)
        for v in Worker.Cause.values
        if flat.get(f"registry.by_main_cause.{v}")
    ]
    registry += [line("registry.migrant", registered)]
    registry += [line(k) for k in ("registry.new", "registry.lifted", "registry.closed")]
    aid = [line("aid.persons"), line("aid.person_times"), line("aid.amount")]
    aid += [
        line(f"aid.by_type.{t}", "aid.amount")
        for t in AidType.values
        if f"aid.by_type.{t}" in flat  # the types the figures service counts
    ]
    cases = [line("cases.received")]
    cases += [line(f"cases.by_channel.{c}", "cases.received") for c in Channel.values]
    cases += [
        line("cases.resolved", "cases.received"),
        line("cases.overdue"),
        line("cases.answered_late", "cases.resolved"),
        line("cases.satisfaction_avg"),
    ]
    jobs = [
        line("jobs.fairs"),
        line("jobs.positions"),
        line("jobs.guidance_person_times"),
        line("jobs.intents"),
        line("jobs.intents_migrant", "jobs.intents"),
        line("jobs.placements"),
    ]
    training = [
        line("training.classes"),
        line("training.trainees"),
        line("training.trainees_migrant", "training.trainees"),
        line("training.certificates"),
    ]
    legal = [
        line("legal.cases"),
        line("legal.closed", "legal.cases"),
        line("legal.amount_recovered"),
        line("legal.migrant_cases", "legal.cases"),
    ]
    funds = [line("funds.income"), line("funds.spent", "funds.income"), line("funds.balance")]
    return [
        (str(SECTIONS["registry"]), registry),
        (str(SECTIONS["aid"]), aid),
        (str(SECTIONS["cases"]), cases),
        (str(SECTIONS["jobs"]), jobs),
        (str(SECTIONS["training"]), training),
        (str(SECTIONS["legal"]), legal),
        (str(SECTIONS["funds"]), funds),
    ]


def _format(key: str) -> str:
    if key in MONEY_KEYS or key == "funds.balance" or key.startswith("aid.by_type."):
        return MONEY_FORMAT
    if key == "cases.satisfaction_avg":
        return "0.00"
    return COUNT_FORMAT


def title(org_unit, period: figures.Period) -> str:
    return _("%(unit)s: annual report, %(start)s to %(end)s") % {
        "unit": org_unit.name,
        "start": period.date_from.isoformat(),
        "end": period.date_to.isoformat(),
    }


def build(*, user, org_unit, period: figures.Period) -> bytes:
    """The report for the unit's subtree (within the user's scope) and the period."""
    flat = figures.flat(
        user=user, org_unit=org_unit, date_from=period.date_from, date_to=period.date_to
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Annual report"))[:31]
    sheet.append([title(org_unit, period)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3)
    sheet["A1"].font = _TITLE
    # One line each: side by side they overran each other on paper.
    sheet.append([_("Unit: %(name)s (%(code)s)") % {"name": org_unit.name, "code": org_unit.code}])
    sheet.append(
        [
            _("Period: %(start)s to %(end)s")
            % {"start": period.date_from.isoformat(), "end": period.date_to.isoformat()}
        ]
    )
    sheet.append([_("Made on %(day)s") % {"day": timezone.localdate().isoformat()}])
    for index, (section, lines) in enumerate(_lines(flat)):
        sheet.append([])
        sheet.append([f"{NUMBERS[index]}、{section}"])
        sheet.cell(sheet.max_row, 1).font = _BOLD
        sheet.append([_("Figure"), _("Number"), _("Share")])
        for column in range(1, 4):
            head = sheet.cell(sheet.max_row, column)
            head.font, head.fill, head.border = _BOLD, _HEAD_FILL, _BOX
        for label, value, share, key in lines:
            sheet.append([label, value, share])
            row = sheet.max_row
            sheet.cell(row, 2).number_format = _format(key)
            sheet.cell(row, 3).number_format = SHARE_FORMAT
            for column in range(1, 4):
                sheet.cell(row, column).border = _BOX
    sheet.append([])
    sheet.append(
        [
            _(
                "Stocks are taken at the period's end, flows counted within it; persons are "
                "distinct people, person-times each service given; shares are of the line "
                "above them that they are part of."
            )
        ]
    )
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 14
    sheet["A1"].alignment = Alignment(wrap_text=True, vertical="center")
    sheet.row_dimensions[1].height = 42  # the title on two lines when it must
    _for_print(sheet, landscape=False)
    _by_unit_sheet(workbook, user=user, org_unit=org_unit, period=period, flat=flat)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _by_unit_sheet(workbook, *, user, org_unit, period, flat) -> None:
    sheet = workbook.create_sheet(str(_("By sub-center"))[:31])
    sheet.append([title(org_unit, period)])
    sheet["A1"].font = _TITLE
    sheet.append([_("Unit"), _("Code"), *[str(LABELS[k]) for k in BY_UNIT]])
    for column in range(1, len(BY_UNIT) + 3):
        head = sheet.cell(2, column)
        head.font, head.fill, head.border = _BOLD, _HEAD_FILL, _BOX
        head.alignment = Alignment(wrap_text=True, vertical="top")
    rows = figures.by_unit(
        user=user, org_unit=org_unit, date_from=period.date_from, date_to=period.date_to
    )
    for unit, values in rows:
        if unit.pk == org_unit.pk and not any(values.get(k) for k in BY_UNIT):
            continue  # the unit keeps no records of its own
        name = unit.name if unit.pk != org_unit.pk else _("%(name)s itself") % {"name": unit.name}
        sheet.append([name, unit.code, *[values.get(k) or 0 for k in BY_UNIT]])
    sheet.append([_("Total"), org_unit.code, *[flat[k] for k in BY_UNIT]])
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    for row in sheet.iter_rows(min_row=3, min_col=3):
        for cell in row:
            key = BY_UNIT[cell.column - 3]
            cell.number_format = _format(key)
    sheet.column_dimensions["A"].width = 22
    for column in range(3, len(BY_UNIT) + 3):
        sheet.column_dimensions[get_column_letter(column)].width = 13
    sheet.row_dimensions[2].height = 30  # the heads wrap on two lines
    _for_print(sheet, landscape=True)
    sheet.print_title_rows = "1:2"  # every printed page repeats the title and the heads
    sheet.print_title_cols = "A:B"  # and the unit


def _for_print(sheet, *, landscape: bool) -> None:
    """A4, every column on one page's width (as many pages down as it takes)."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
