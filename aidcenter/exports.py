"""Excel export of every list: one streaming writer (openpyxl write-only, rows written as they
are read, the workbook built in a temporary file, so memory stays flat whatever the size).

Each list registers an *export source*: a function of (user, params) answering an `Export`
(title, header, a lazy iterator of rows, the row count). Sources apply the same scope and
filters as the screen they belong to, and mask ID numbers unless the user may see them. The
same source serves a download in the request and, above `ASYNC_THRESHOLD` rows, a background
job (`ExcelJob`, run by the task worker) whose file only the requester may download.

Every cell passes through `cell()`: text a spreadsheet would run as a formula (starting with
= + - @, a tab or a carriage return) is neutralised with a leading apostrophe, characters the
file format cannot hold are dropped, aware times become local times (Excel has no zones), and
an ID number left unmasked in a list the user may not see in full is masked all the same.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import Promise
from django_tasks import task
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from aidcenter.models import AccessLog, ExcelJob
from aidcenter.pii import log_access

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ASYNC_THRESHOLD = 5_000  # more rows than this: a background job
EXPORT_LIMIT = 1_000_000  # the format's own row limit is 1,048,576
PROGRESS_EVERY = 2_000
_FORMULA_START = frozenset("=+-@\t\r")
_FULL_ID = re.compile(r"\d{17}[\dXx]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


# Values a cell takes as they are (what `cell` would answer unchanged), skipped for speed.
_AS_IS = frozenset((int, float, bool, Decimal, datetime.date, type(None)))


def cell(value, mask_ids: bool = False):
    """A value safe to put in a cell (see the module's docstring)."""
    kind = value.__class__
    if kind is str:
        if not value:
            return value
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if not value:
                return value
        if value[0] in _FORMULA_START:
            return "'" + value
        if mask_ids and len(value) == 18 and _FULL_ID.fullmatch(value):
            return value[:6] + "********" + value[-4:]
        return value
    if value is None or kind in (int, float, bool, Decimal, datetime.date):
        return value
    if kind is datetime.datetime:
        if value.tzinfo is not None:
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, Promise | uuid.UUID):
        return cell(str(value), mask_ids=mask_ids)
    if isinstance(value, list | tuple | set | frozenset):
        return cell("、".join(str(v) for v in value), mask_ids=mask_ids)
    if isinstance(value, int | float | Decimal | datetime.date | datetime.time):
        return value
    return cell(str(value), mask_ids=mask_ids)


def sheet_title(title: str) -> str:
    return _SHEET_FORBIDDEN.sub(" ", str(title)).strip()[:31] or "Sheet"


@dataclass
class Export:
    """What a source answers: the list as the user sees it, ready to be written."""

    title: str
    header: list
    rows: Iterable  # lazy: rows are read from the database while they are written
    count: int
    model: str = ""  # the record type, for the access log
    full_ids: bool = False  # True when the user may see the full ID numbers it carries
    filename: str = ""
    extra: dict = field(default_factory=dict)

    def download_name(self) -> str:
        stamp = timezone.localdate().strftime("%Y%m%d")
        return f"{self.filename or sheet_title(self.title)}-{stamp}.xlsx"


def write(target, export: Export, *, progress: Callable[[int], None] | None = None) -> int:
    """Write the export as .xlsx into `target` (a path or a binary file); answer the row count.

    `progress(n)` is called every few thousand rows."""
    return write_sheets(target, [export], progress=progress)


def write_sheets(target, sheets: list[Export], *, progress=None) -> int:
    """Several exports, one sheet each, in one workbook; answer the first sheet's row count."""
    workbook = Workbook(write_only=True)
    counts = []
    for export in sheets:
        sheet = workbook.create_sheet(sheet_title(export.title))
        sheet.append([cell(h) for h in export.header])
        mask = not export.full_ids
        append = sheet.append
        written = 0
        for row in export.rows:
            append([v if v.__class__ in _AS_IS else cell(v, mask) for v in row])
            written += 1
            if written >= EXPORT_LIMIT:
                break
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(written)
        close = getattr(export.rows, "close", None)
        if close is not None:  # a generator left at the limit ends its read (and transaction)
            close()
        counts.append(written)
    workbook.save(target)
    return counts[0] if counts else 0


def xlsx_bytes(title: str, header: list, rows, *, full_ids: bool = True) -> bytes:
    """A small workbook in memory (templates, tests, reports of a few hundred rows)."""
    with tempfile.TemporaryFile() as handle:
        write(handle, Export(title=title, header=header, rows=rows, count=0, full_ids=full_ids))
        handle.seek(0)
        return handle.read()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _log(user, export: Export, count: int, path: str) -> None:
    log_access(
        user=user, action=AccessLog.Action.EXPORT, model=export.model, count=count, path=path
    )


def file_response(export: Export, *, user, path: str = "") -> FileResponse:
    """Write the export into a temporary file and stream that file back."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    count = write(handle, export)
    _log(user, export, count, path)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=export.download_name(), content_type=XLSX
    )


def bytes_response(export: Export, *, user, path: str = "") -> HttpResponse:
    """The same as `file_response`, with the file's bytes in the response (the API's exports,
    whose clients read `content`); the workbook is still written row by row."""
    with tempfile.TemporaryFile() as handle:
        count = write(handle, export)
        handle.seek(0)
        content = handle.read()
    _log(user, export, count, path)
    return xlsx_response(content, export.download_name())


# --- Sources --------------------------------------------------------------------------------
_SOURCES: dict[str, Callable[..., Export]] = {}


def register(name: str):
    """Decorator: `@register("cases.queue") def queue_export(user, params) -> Export`."""

    def add(function):
        _SOURCES[name] = function
        return function

    return add


def build(source: str, user, params: dict) -> Export:
    return _SOURCES[source](user, params)


def deliver(request, source: str, params: dict, *, threshold: int | None = None):
    """Pages and the admin: the file at once, or above `threshold` rows a background job and a
    redirect to its page (progress, then the download link)."""
    export = build(source, request.user, params)
    if export.count > (ASYNC_THRESHOLD if threshold is None else threshold):
        job = start_export(user=request.user, source=source, params=params, export=export)
        return redirect("excel-job", pk=job.pk)
    return file_response(export, user=request.user, path=request.path)


def start_export(*, user, source: str, params: dict, export: Export) -> ExcelJob:
    job = ExcelJob.objects.create(
        kind=ExcelJob.Kind.EXPORT,
        user=user,
        source=source,
        params=params,
        title=str(export.title)[:200],
        total=export.count,
        filename=export.download_name(),
    )
    transaction.on_commit(lambda: excel_job.enqueue(str(job.pk)))
    return job


@contextlib.contextmanager
def job_progress(job: ExcelJob):
    """A `progress(done, total=None)` that writes the job's counts on a database connection
    of its own, committed at once: the job's rows may be read, or an import saved, inside a
    long transaction (aidcenter.admin_base reads an export's rows in one), and the job's page
    must see the counts grow meanwhile. The job object keeps the last counts, for its final
    save."""
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    sql = (
        f'UPDATE "{ExcelJob._meta.db_table}" '  # noqa: S608 - the model's own table
        "SET done = %s, total = COALESCE(%s, total) WHERE id = %s"
    )

    def progress(done: int, total: int | None = None) -> None:
        job.done = done
        job.total = job.total if total is None else total
        with side.cursor() as cursor:
            cursor.execute(sql, [done, total, job.pk])

    try:
        yield progress
    finally:
        side.close()


def run_export(job: ExcelJob) -> None:
    export = build(job.source, job.user, job.params)
    ExcelJob.objects.filter(pk=job.pk).update(total=export.count)
    with tempfile.TemporaryFile() as handle, job_progress(job) as progress:
        count = write(handle, export, progress=progress)
        handle.seek(0)
        job.file.save(f"{job.pk}.xlsx", File(handle), save=False)
    job.done = job.total = count
    job.result = {"rows": count, "model": export.model, "full_ids": export.full_ids}
    job.save(update_fields=["file", "done", "total", "result"])


def download_job(job: ExcelJob, *, user, path: str) -> FileResponse:
    """The finished export's file, for its requester (the view checks who asks)."""
    if job.result.get("rows"):
        log_access(
            user=user,
            action=AccessLog.Action.EXPORT,
            model=job.result.get("model", ""),
            record_id=str(job.pk),
            count=job.result["rows"],
            path=path,
        )
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.filename, content_type=XLSX
    )


def purge_jobs(*, days: int | None = None, dry_run: bool = False, now=None) -> list[ExcelJob]:
    """Delete the jobs finished (done or failed) more than `days` ago (settings.EXCEL_JOB_DAYS)
    with their files: the workbooks written and the uploads kept hold personal data, and stay
    only as long as their requester needs to fetch them. Jobs queued or running are kept; the
    access log keeps every download."""
    days = settings.EXCEL_JOB_DAYS if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    due = list(
        ExcelJob.objects.filter(
            status__in=[ExcelJob.Status.DONE, ExcelJob.Status.FAILED], finished_at__lt=cutoff
        ).order_by("finished_at")
    )
    if not dry_run:
        for job in due:
            if job.file:
                job.file.delete(save=False)
            job.delete()
    return due


@task()
def excel_job(job_id: str) -> str:
    """Run a queued export or import; the job row carries its progress and outcome."""
    from django.urls import get_resolver

    from aidcenter import imports

    get_resolver().url_patterns  # noqa: B018 - imports every view, so every source is registered
    updated = ExcelJob.objects.filter(pk=job_id, status=ExcelJob.Status.QUEUED).update(
        status=ExcelJob.Status.RUNNING
    )
    if not updated:
        return "skipped"
    job = ExcelJob.objects.select_related("user").get(pk=job_id)
    try:
        if job.kind == ExcelJob.Kind.EXPORT:
            run_export(job)
        else:
            imports.run_import(job)
    except Exception as exc:  # noqa: BLE001 - the job records the failure; the worker goes on
        ExcelJob.objects.filter(pk=job.pk).update(
            status=ExcelJob.Status.FAILED,
            message=str(getattr(exc, "message", "") or exc)[:2000],
            finished_at=timezone.now(),
        )
        if not hasattr(exc, "message"):
            raise
        return ExcelJob.Status.FAILED
    ExcelJob.objects.filter(pk=job.pk).update(
        status=ExcelJob.Status.DONE, finished_at=timezone.now()
    )
    return ExcelJob.Status.DONE
