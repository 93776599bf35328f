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
