"""Excel exports of funds: a fund's statement for a period with every movement behind it, and a
person's or household's aid. openpyxl write-only mode, so a year of a busy fund stays small."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook

from funds.models import AidType, LedgerEntry, LedgerTransaction, Payment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def statement_xlsx(statement) -> bytes:
    """Sheet 1: the statement (opening, income, payments by aid type, closing, budget).
    Sheet 2: every entry on the fund's own account in the period."""
    fund = statement.fund
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(_("Statement"))
    types = dict(AidType.choices)
    summary.append([_("Fund"), fund.name, fund.code])
    summary.append([_("Period"), statement.date_from, statement.date_to])
    summary.append([])
    summary.append([_("Opening balance"), statement.opening])
    summary.append([_("Income"), statement.income])
    if statement.income_reversed:
        summary.append([_("Income reversed"), -statement.income_reversed])
    for aid_type, amount in sorted(statement.paid_by_type.items()):
        summary.append([_("Paid: %(type)s") % {"type": types.get(aid_type, aid_type)}, -amount])
    for aid_type, amount in sorted(statement.returned_by_type.items()):
        summary.append(
            [_("Reversed payments: %(type)s") % {"type": types.get(aid_type, aid_type)}, amount]
        )
    summary.append([_("Closing balance"), statement.closing])
    if statement.budget is not None:
        summary.append([])
        summary.append([_("Budget"), statement.budget])
        summary.append([_("Spent"), statement.spent])
        summary.append([_("Budget left"), statement.budget - statement.spent])

    movements = workbook.create_sheet(_("Movements"))
    movements.append(
        [_("Date"), _("Transaction"), _("Kind"), _("Aid type"), _("Amount"), _("Memo")]
    )
    kinds = dict(LedgerTransaction.Kind.choices)
    entries = (
        LedgerEntry.objects.filter(
            account__fund=fund,
            account__kind="fund",
            booked_on__range=(statement.date_from, statement.date_to),
        )
        .order_by("booked_on", "id")
        .values_list(
            "booked_on", "transaction_id", "kind", "aid_type", "amount", "transaction__memo"
        )
    )
    for booked_on, tx_id, kind, aid_type, amount, memo in entries.iterator(chunk_size=5000):
        movements.append(
            [
                booked_on,
                tx_id,
                str(kinds.get(kind, kind)),
                str(types.get(aid_type, "")),
                amount,
                memo,
            ]
        )
    return _save(workbook)


def payments_xlsx(payments, *, show_bank: bool) -> bytes:
    """A list of payments (a person's or household's aid, a fund's payments)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Payments"))
    header = [
        _("Paid on"),
        _("Beneficiary"),
        _("Aid type"),
        _("Amount"),
        _("Fund"),
        _("Payment method"),
        _("Status"),
    ]
    if show_bank:
        header += [_("Bank"), _("Bank account")]
    sheet.append(header)
    total = Decimal("0.00")
    for p in payments:
        row = [
            p.paid_on,
            p.person.name,
            str(p.get_aid_type_display()),
            p.amount,
            p.fund.code,
            str(p.get_method_display()),
            str(p.get_status_display()),
        ]
        if show_bank:
            row += [p.bank_name, p.bank_account]
        sheet.append(row)
        if p.status == Payment.Status.PAID:
            total += p.amount
    sheet.append([])
    sheet.append([_("Total received"), "", "", total])
    return _save(workbook)


def batch_xlsx(batch, lines) -> bytes:
    """A campaign batch's per-person list: unit, beneficiary, why included, amount, paid."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Batch"))
    sheet.append([batch.name, str(batch.get_kind_display()), batch.month, batch.fund.code])
    sheet.append([_("Unit"), _("Beneficiary"), _("Included as"), _("Amount"), _("Status")])
    total = Decimal("0.00")
    for line in lines:
        application = line.application
        status = application.get_status_display() if application else batch.get_status_display()
        sheet.append(
            [
                line.org_unit.name,
                line.payee_name,
                str(line.get_reason_display()),
                line.amount,
                str(status),
            ]
        )
        total += line.amount
    sheet.append([])
    sheet.append([_("Total"), "", "", total])
    return _save(workbook)


def schooling_recipients_xlsx(applications, *, year: int) -> bytes:
    """The public list of autumn schooling aid recipients, names masked as a notice requires
    (PIPL: the children and parents are named only as 张*明)."""
    from funds.services import mask_name

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Recipients"))
    sheet.append([_("Autumn schooling aid recipients, %(year)s") % {"year": year}])
    sheet.append([_("Unit"), _("Child"), _("School"), _("Grade"), _("Amount")])
    for a in applications:
        sheet.append([a.org_unit.name, mask_name(a.child.name), a.school, a.grade, a.amount])
    return _save(workbook)


def audit_pack_xlsx(*, statements, budgets, payments, reversals, year: int) -> bytes:
    """The auditors' pack for a year: every fund's statement, budget against actual, every
    payment booked in the year with its approvals and documents, and every reversal."""
    types = dict(AidType.choices)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Statements"))
    sheet.append(
        [
            _("Fund"),
            _("Opening balance"),
            _("Income"),
            _("Income reversed"),
            _("Paid"),
            _("Reversed payments"),
            _("Loan repayments"),
            _("Closing balance"),
            _("Year closed"),
        ]
    )
    for statement, closed in statements:
        sheet.append(
            [
                statement.fund.code,
                statement.opening,
                statement.income,
                statement.income_reversed,
                statement.paid,
                statement.returned,
                statement.repaid,
                statement.closing,
                _("yes") if closed else _("no"),
            ]
        )
    sheet = workbook.create_sheet(_("Budget"))
    sheet.append([_("Fund"), _("Aid type"), _("Budget"), _("Paid"), _("Returned"), _("Spent")])
    for fund, lines in budgets:
        for line in lines:
            sheet.append(
                [
                    fund.code,
                    str(types.get(line.aid_type, _("all aid types"))),
                    line.budget,
                    line.paid,
                    line.returned,
                    line.spent,
                ]
            )
    sheet = workbook.create_sheet(_("Payments"))
    sheet.append(
        [
            _("Paid on"),
            _("Payment"),
            _("Fund"),
            _("Unit"),
            _("Beneficiary"),
            _("Aid type"),
            _("Amount"),
            _("Payment method"),
            _("Status"),
            _("Approvals"),
            _("Documents"),
        ]
    )
    total = Decimal("0.00")
    for p in payments:
        approvals = "; ".join(
            f"{a.by.username} {a.get_decision_display()} {a.at:%Y-%m-%d} {a.opinion}".strip()
            for a in p.application.approvals.all()
        )
        documents = "; ".join(
            f"{d.get_kind_display()}: {d.original_name}" for d in p.application.documents.all()
        )
        sheet.append(
            [
                p.paid_on,
                str(p.pk),
                p.fund.code,
                p.org_unit.code,
                p.person.name,
                str(types.get(p.aid_type, p.aid_type)),
                p.amount,
                str(p.get_method_display()),
                str(p.get_status_display()),
                approvals,
                documents,
            ]
        )
        total += p.amount
    sheet.append([])
    sheet.append([_("Total"), "", "", "", "", "", total])
    sheet = workbook.create_sheet(_("Reversals"))
    sheet.append([_("Booked on"), _("Payment"), _("Fund"), _("Amount"), _("Reason")])
    returned = Decimal("0.00")
    for p in reversals:
        sheet.append([p.reversal.booked_on, str(p.pk), p.fund.code, p.amount, p.reversal_reason])
        returned += p.amount
    sheet.append([])
    sheet.append([_("Total"), "", "", returned])
    return _save(workbook)
