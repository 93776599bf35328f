"""Excel import, the part every importer shares: reading an uploaded .xlsx defensively, and
running a large import as a background job.

`read_rows` refuses, with one clear message (`Invalid`, never a 500), a file that is too big,
not a zip, truncated, encrypted (or an old .xls: both are OLE files), a zip bomb (the parts
unpack to far more than the file holds), an empty sheet, a header row that is not the
template's, and more rows than the cap. Formula cells are errors of their row: an import takes
values, never a formula whose result depends on the spreadsheet program.

An importer (cases/imports.py for the registry, jobs/imports.py for vacancies) checks every
row, then saves them all in one transaction or nothing. `register` makes it runnable as a
background job on a stored upload (`start_import`, run by aidcenter.exports.excel_job).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from aidcenter.errors import DomainError, Invalid
from aidcenter.exports import job_progress
from aidcenter.models import ExcelJob

MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED = 200 * 1024 * 1024  # all parts of the zip together, unpacked
MAX_RATIO = 150  # unpacked / packed of any part larger than 1 MB unpacked
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Column:
    key: str
    header: object  # a lazy translation: the template's header in the user's language


def _file_error(message: str) -> Invalid:
    return Invalid({"file": [message]})


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _content(upload) -> bytes:
    if isinstance(upload, bytes | bytearray):
        return bytes(upload)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return upload.read()


def _check_container(content: bytes, *, max_bytes: int) -> None:
    broken = _("This file is not an Excel workbook (.xlsx) that can be read.")
    if len(content) > max_bytes:
        raise _file_error(
            _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}
        )
    if content.startswith(OLE_MAGIC):
        raise _file_error(
            _(
                "This file is password-protected or in the old .xls format: save it as an "
                ".xlsx workbook without a password and import that."
            )
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _file_error(broken) from None
    names = {part.filename for part in parts}
    if "xl/workbook.xml" not in names:
        raise _file_error(broken)
    if any(part.flag_bits & 0x1 for part in parts):
        raise _file_error(_("This file is password-protected: remove the password first."))
    unpacked = sum(part.file_size for part in parts)
    swollen = any(
        part.file_size > 1024 * 1024 and part.file_size > MAX_RATIO * max(part.compress_size, 1)
        for part in parts
    )
    if unpacked > MAX_UNPACKED or swollen:
        raise _file_error(
            _("This file unpacks to far more data than a workbook of this size holds: refused.")
        )


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(content: bytes) -> bool:
    """Does any worksheet of the (already checked) zip hold a formula element?"""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(name) as part:
                    tail = b""
                    while chunk := part.read(1 << 20):
                        if _FORMULA_TAG.search(tail + chunk):
                            return True
                        tail = chunk[-16:]
    return False


def _headers_match(found: list, columns: list[Column]) -> bool:
    def norm(value) -> str:
        return "".join(str(value or "").split()).lower()

    expected = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            expected.append([norm(c.header) for c in columns])
    got = [norm(v) for v in found[: len(columns)]]
    got += [""] * (len(columns) - len(got))
    return any(got == names for names in expected)


def read_rows(
    upload,
    *,
    columns: list[Column],
    max_rows: int,
    max_bytes: int = MAX_BYTES,
    check_header: bool = True,
    empty_message: str = "",
    header_out: list | None = None,
) -> tuple[list[tuple[int, dict]], list[str]]:
    """The non-empty data rows of the first sheet, each with its spreadsheet row number, and
    the row errors found while reading (formula cells). Invalid for a file that cannot be
    imported at all. `header_out`, when given, receives the header row's values."""
    if (getattr(upload, "size", None) or 0) > max_bytes:
        _check_container(b"x" * (max_bytes + 1), max_bytes=max_bytes)  # the size message
    content = _content(upload)
    _check_container(content, max_bytes=max_bytes)
    keys = [c.key for c in columns]
    rows, errors = [], []
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        try:
            if not workbook.worksheets:
                raise _file_error(_("The workbook has no sheet."))
            sheet = workbook.worksheets[0]
            header = None
            # Cells are only looked at one by one when the file holds a formula somewhere.
            detailed = _has_formulas(content)
            lines = sheet.iter_rows(max_row=max_rows + 2, values_only=not detailed)
            for number, cells in enumerate(lines, start=1):
                cells = cells[: len(columns)]
                values = [getattr(c, "value", None) for c in cells] if detailed else list(cells)
                if header is None:
                    header = values
                    continue
                if all(_blank(v) for v in values):
                    continue
                for index, c in enumerate(cells if detailed else ()):
                    if getattr(c, "data_type", None) == "f":
                        cell = f"{get_column_letter(index + 1)}{number}"
                        message = _("the cell %(cell)s holds a formula; paste values only.")
                        errors.append(
                            _("Row %(row)d: %(message)s")
                            % {"row": number, "message": message % {"cell": cell}}
                        )
                values += [None] * (len(columns) - len(values))
                rows.append((number, dict(zip(keys, values, strict=True))))
                if len(rows) > max_rows:
                    break
        finally:
            workbook.close()
    except Invalid:
        raise
    except Exception:  # noqa: BLE001 - whatever openpyxl, zipfile or lxml raise on a bad file
        raise _file_error(
            _("This file is not an Excel workbook (.xlsx) that can be read.")
        ) from None
    if header is None or (not rows and all(_blank(v) for v in header)):
        raise _file_error(empty_message or _("The sheet is empty."))
    if header_out is not None:
        header_out.extend(header)
    if check_header and not _headers_match(header, columns):
        raise _file_error(
            _(
                "The first row is not the template's header row: download the template and "
                "keep its columns in their order."
            )
        )
    if len(rows) > max_rows:
        raise _file_error(_("Import at most %(n)d rows at a time.") % {"n": max_rows})
    if not rows:
        raise _file_error(empty_message or _("The sheet has no rows below the header."))
    return rows, errors


def text(value) -> str:
    """A cell as trimmed text (whole floats without their '.0')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- Background imports ---------------------------------------------------------------------
_IMPORTERS: dict[str, Callable] = {}


def register(name: str):
    """Decorator: `@register("cases.registry") def run(job, content, progress) -> dict`.
    The function runs the import for `job.user` with `job.params`; it raises Invalid (with
    `rows` errors) to refuse the file, and answers the counts to show."""

    def add(function):
        _IMPORTERS[name] = function
        return function

    return add


def start_import(*, user, source: str, params: dict, upload, title: str) -> ExcelJob:
    job = ExcelJob(kind=ExcelJob.Kind.IMPORT, user=user, source=source, params=params, title=title)
    job.file.save(f"{job.pk}.xlsx", ContentFile(_content(upload)), save=False)
    job.filename = str(getattr(upload, "name", "") or "")[:200]
    job.save()
    from aidcenter.exports import excel_job

    transaction.on_commit(lambda: excel_job.enqueue(str(job.pk)))
    return job


def run_import(job: ExcelJob) -> None:
    with job.file.open("rb") as handle:
        content = handle.read()

    try:
        with job_progress(job) as progress:
            result = _IMPORTERS[job.source](job, content, progress)
    except DomainError as exc:
        errors = getattr(exc, "errors", {}) or {}
        job.result = {"errors": [m for messages in errors.values() for m in messages][:500]}
        job.save(update_fields=["result"])
        raise
    job.result = result
    job.save(update_fields=["result", "done", "total"])
