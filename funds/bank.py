"""Bank batch files: the bank transfers a fund has paid leave for the bank as one file, and the
bank's result file marks each transfer done or failed; a failed one is reversed through
`services.payment_reverse` (the money returns to the fund, the application to `approved`).

The layout is the bank's, so it is configuration (`settings.FUNDS_BANK_FILE_LAYOUT`, read with
a default), a dict of:

    format          "csv" (UTF-8 with BOM, which Excel opens) or "xlsx"
    columns         [(field, header)] in order; fields: reference, payee_name, bank_account,
                    bank_name, amount, paid_on, memo
    result_columns  {"reference": header, "status": header, "message": header} of the file
                    the bank sends back (.csv or .xlsx, first sheet, header on the first row)
    done_values     status values meaning "transferred"
    failed_values   status values meaning "failed"

A payment leaves in one file only (a unique key on the line), so nothing is sent twice.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.roles import Action
from aidcenter.scope import in_scope
from funds import services
from funds.models import BankFile, BankFileLine, Fund, Payment, PaymentMethod

DEFAULT_LAYOUT = {
    "name": "generic-csv",
    "format": "csv",
    "columns": [
        ("reference", "业务编号"),
        ("payee_name", "收款人户名"),
        ("bank_account", "收款人账号"),
        ("bank_name", "收款人开户行"),
        ("amount", "金额"),
        ("memo", "用途"),
    ],
    "result_columns": {"reference": "业务编号", "status": "处理结果", "message": "说明"},
    "done_values": ["成功", "S", "OK", "SUCCESS"],
    "failed_values": ["失败", "F", "FAIL", "FAILED"],
}
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def layout() -> dict:
    return {**DEFAULT_LAYOUT, **getattr(settings, "FUNDS_BANK_FILE_LAYOUT", {})}


def _check(by, fund: Fund) -> None:
    services._require(by, Action.MANAGE_FUNDS)
    if not in_scope(by, fund.org_unit_id):
        raise Refused(_("This fund is outside your scope."))


@transaction.atomic
def bank_file_create(*, by, fund: Fund) -> BankFile:
    """Every bank transfer paid from the fund that has not left in a file yet."""
    _check(by, fund)
    # Two managers sending at once: one per fund at a time (this lock is taken by nothing else,
    # so it cannot join a cycle), and the second sees what the first has sent. The payment rows
    # are locked after it, so a reversal in progress finishes first and its payment stays out.
    services.advisory_locks([f"funds.bankfile:{fund.pk}"])
    payments = list(
        Payment.objects.select_for_update(of=("self",))
        .filter(
            fund=fund,
            method=PaymentMethod.BANK,
            status=Payment.Status.PAID,
            bank_line__isnull=True,
        )
        .order_by("paid_on", "paid_at", "id")
    )
    if not payments:
        raise DomainError(_("No bank transfer is waiting to be sent."), code="nothing_to_send")
    bank_file = BankFile.objects.create(fund=fund, layout=layout()["name"], created_by=by)
    BankFileLine.objects.bulk_create(
        BankFileLine(bank_file=bank_file, payment=p, reference=f"BF{bank_file.pk:06d}-{n:05d}")
        for n, p in enumerate(payments, start=1)
    )
    return bank_file


def _value(line: BankFileLine, field_name: str):
    payment = line.payment
    values = {
        "reference": line.reference,
        "payee_name": payment.payee_name,
        "bank_account": payment.bank_account,
        "bank_name": payment.bank_name,
        "amount": f"{payment.amount:.2f}",
        "paid_on": payment.paid_on.isoformat(),
        "memo": f"{payment.get_aid_type_display()}",
    }
    return values[field_name]


def bank_file_content(bank_file: BankFile) -> tuple[bytes, str, str]:
    """(content, content type, file name) in the configured layout."""
    spec = layout()
    lines = bank_file.lines.select_related("payment").order_by("id")
    header = [title for _field, title in spec["columns"]]
    rows = [[_value(line, name) for name, _title in spec["columns"]] for line in lines]
    name = f"{bank_file}"
    if spec["format"] == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("transfers")
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), XLSX, f"{name}.xlsx"
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig"), CSV, f"{name}.csv"


def _read_rows(content: bytes, filename: str) -> list[list[str]]:
    try:
        if filename.lower().endswith(".xlsx"):
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            return [
                ["" if v is None else str(v).strip() for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
        text = content.decode("utf-8-sig")
        return [[v.strip() for v in row] for row in csv.reader(io.StringIO(text))]
    except Exception:  # noqa: BLE001 - any unreadable file gets the same clear answer
        raise Invalid({"file": [_("The file could not be read as .csv or .xlsx.")]}) from None


@transaction.atomic
def bank_file_apply_results(*, by, bank_file: BankFile, content: bytes, filename: str) -> dict:
    """Read the bank's result file: every row checked first (row numbers in the errors), then
    all applied — transfers done, failed ones reversed — or, on any error, nothing."""
    _check(by, bank_file.fund)
    bank_file = BankFile.objects.select_for_update().select_related("fund").get(pk=bank_file.pk)
    spec = layout()
    rows = _read_rows(content, filename)
    if not rows:
        raise Invalid({"file": [_("The file is empty.")]})
    header = rows[0]
    columns = {}
    for key, title in spec["result_columns"].items():
        if title not in header:
            if key == "message":
                continue
            raise Invalid({"file": [_("The column %(name)s is missing.") % {"name": title}]})
        columns[key] = header.index(title)
    lines = {line.reference: line for line in bank_file.lines.select_related("payment")}
    done_values = {v.upper() for v in spec["done_values"]}
    failed_values = {v.upper() for v in spec["failed_values"]}
    errors, outcome, seen = [], [], set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue

        def cell(key, row=row):
            index = columns.get(key)
            return row[index] if index is not None and index < len(row) else ""

        reference, result = cell("reference"), cell("status").upper()
        line = lines.get(reference)
        where = {"row": number, "ref": reference}
        if line is None:
            errors.append(_("Row %(row)s: %(ref)s is not in this file.") % where)
        elif reference in seen:
            errors.append(_("Row %(row)s: %(ref)s appears twice.") % where)
        elif line.result != BankFileLine.Result.PENDING:
            errors.append(_("Row %(row)s: %(ref)s has a result already.") % where)
        elif result not in done_values | failed_values:
            errors.append(
                _("Row %(row)s: unknown result %(value)s.")
                % {"row": number, "value": cell("status")}
            )
        else:
            seen.add(reference)
            outcome.append((line, result in done_values, cell("message")[:200]))
    if errors:
        raise Invalid({"file": errors})
    counts = {"done": 0, "failed": 0}
    for line, done, message in outcome:
        if done:
            line.result = BankFileLine.Result.DONE
        else:
            services.payment_reverse(
                by=by,
                payment=line.payment,
                reason=_("Bank transfer failed: %(message)s") % {"message": message or "—"},
                failed_transfer=True,
            )
            line.result = BankFileLine.Result.FAILED
        line.message = message
        line.save(update_fields=["result", "message"])
        counts["done" if done else "failed"] += 1
    if not bank_file.lines.filter(result=BankFileLine.Result.PENDING).exists():
        bank_file.status, bank_file.settled_at = BankFile.Status.SETTLED, timezone.now()
        bank_file.save(update_fields=["status", "settled_at"])
    return counts
