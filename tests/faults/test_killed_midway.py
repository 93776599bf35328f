"""A process killed (SIGKILL) in the middle of its work leaves nothing half-done (issue #11,
item 5): the vacancy import and a batch payment each run in one transaction, so PostgreSQL
rolls back whatever was written when the connection dies.

Deterministic: the process runs with AIDCENTER_TEST_PAUSE_AT naming a pause point late in its
work (aidcenter/faultpoints.py), where it waits on an advisory lock the test holds; the test
waits until it stands there with rows written, kills it with SIGKILL, and looks at what was
left. Then the same work runs again to the end."""

from __future__ import annotations

import io
import signal

import psycopg
import pytest
from openpyxl import Workbook

from aidcenter import faultpoints
from aidcenter.models import OrgUnit
from funds import batches
from funds import services as funds
from funds.models import AidBatch, BatchRun, LedgerEntry, Payment
from jobs.models import Employer, Vacancy
from tests.faults.helpers import database_url, start_django, wait_gone, wait_until_blocked
from tests.funds.factories import WorkerFactory
from tests.jobs.factories import EmployerFactory, make_credit_code

pytestmark = pytest.mark.django_db(transaction=True)


def _kill_midway(code: str, *, pause_at: str, holding: str):
    """Run `code`, let it pause at `pause_at` (after writing into `holding`), SIGKILL it."""
    watcher = psycopg.connect(database_url(), autocommit=True)
    try:
        key = faultpoints.lock_key(pause_at)
        watcher.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
        process = start_django(code, **{faultpoints.ENV: pause_at})
        pid = wait_until_blocked(watcher, process, holding=holding)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        watcher.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
        wait_gone(watcher, pid)
    finally:
        watcher.close()


def _workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["code", "name", "title", "positions", "min", "max", "req", "cert", "fair", "opened"]
    )
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_vacancy_import_killed_midway_saves_nothing(units, staff, tmp_path):
    first, last = EmployerFactory(), EmployerFactory()
    rows = [
        [first.credit_code, first.name, f"岗位{n}", 2, 5000, 6000, "", "", "", ""] for n in range(3)
    ]
    rows += [
        [last.credit_code, last.name, f"岗位{n}", 2, 5000, 6000, "", "", "", ""]
        for n in range(3, 5)
    ]
    rows.append([make_credit_code(987654), "新来的公司", "岗位5", 1, "", "", "", "", "", ""])
    book = tmp_path / "vacancies.xlsx"
    book.write_bytes(_workbook(rows))
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from django.core.files.uploadedfile import SimpleUploadedFile\n"
        "from aidcenter.models import OrgUnit\n"
        "from jobs.imports import vacancies_import\n"
        f"upload = SimpleUploadedFile('v.xlsx', open({str(book)!r}, 'rb').read())\n"
        f"by = get_user_model().objects.get(username={staff.case_a.username!r})\n"
        f"print(vacancies_import(by=by, org_unit=OrgUnit.objects.get(code='PT-A'), "
        "upload=upload))\n"
    )
    # Killed before the sheet's row 7 (the new employer): five vacancies written by then.
    _kill_midway(code, pause_at="jobs.vacancies_import.row7", holding="jobs_vacancy")
    assert Vacancy.objects.count() == 0
    assert set(Employer.objects.values_list("pk", flat=True)) == {first.pk, last.pk}

    # Run again to the end: all of it arrives, once.
    process = start_django(code)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    assert Vacancy.objects.count() == 6
    assert Employer.objects.count() == 3


def test_a_batch_payment_killed_midway_pays_nobody_and_can_be_run_again(units, staff):
    district = OrgUnit.objects.get(code="PT")
    fund = funds.fund_create(
        by=staff.admin,
        org_unit=district,
        code="KILL",
        name="救助券基金",
        source_kind="union_funds",
        aid_types=["voucher"],
    )
    funds.income_record(
        by=staff.manager, fund=fund, amount="10000.00", received_on=funds._today(), source="区总"
    )
    workers = [WorkerFactory(org_unit=units.a) for _ in range(4)]
    batch = batches.batch_build(
        by=staff.manager,
        fund=fund,
        org_unit=district,
        kind="voucher",
        name="本月救助券",
        month=funds._today(),
        method="voucher",
    )
    batch = batches.batch_approve(by=staff.approver, batch=batch, opinion="同意")
    run = batches.batch_pay(by=staff.manager, batch=batch)
    assert run.total == 4
    entries_before = LedgerEntry.objects.count()
    code = f"from funds.batches import batch_run\nprint(batch_run(run_id={run.pk}))\n"
    # Killed before the fourth line: three payments written by then.
    _kill_midway(code, pause_at="funds.batch_run.line4", holding="funds_payment")
    assert Payment.objects.count() == 0
    assert LedgerEntry.objects.count() == entries_before
    batch.refresh_from_db()
    assert batch.status == AidBatch.Status.QUEUED  # still waiting to be paid, not half paid
    del workers

    # The manager presses "pay" again: the run the dead process left is queued again (a live
    # run is not: see test_batches), and the worker pays everything, once.
    assert batches.batch_pay(by=staff.manager, batch=batch).pk == run.pk
    assert BatchRun.objects.filter(batch=batch).count() == 1
    process = start_django(code)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    assert out.decode().strip().endswith("done")
    assert Payment.objects.count() == 4
    batch.refresh_from_db()
    assert batch.status == AidBatch.Status.PAID
    assert BatchRun.objects.get(pk=run.pk).status == BatchRun.Status.DONE


def test_a_batch_being_paid_by_a_live_process_is_not_queued_twice(units, staff):
    from aidcenter.errors import DomainError

    district = OrgUnit.objects.get(code="PT")
    fund = funds.fund_create(
        by=staff.admin,
        org_unit=district,
        code="LIVE",
        name="救助券基金",
        source_kind="union_funds",
        aid_types=["voucher"],
    )
    funds.income_record(
        by=staff.manager, fund=fund, amount="1000.00", received_on=funds._today(), source="区总"
    )
    WorkerFactory(org_unit=units.a)
    batch = batches.batch_build(
        by=staff.manager,
        fund=fund,
        org_unit=district,
        kind="voucher",
        name="本月救助券",
        month=funds._today(),
        method="voucher",
    )
    batch = batches.batch_approve(by=staff.approver, batch=batch, opinion="同意")
    run = batches.batch_pay(by=staff.manager, batch=batch)
    BatchRun.objects.filter(pk=run.pk).update(status=BatchRun.Status.RUNNING)
    other = psycopg.connect(database_url(), autocommit=True)  # the live worker's connection
    try:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"funds.batch_run:{run.pk}"])
        with pytest.raises(DomainError) as refused:
            batches.batch_pay(by=staff.manager, batch=batch)
        assert refused.value.code == "already_paid"
        assert batches.batch_run(run_id=run.pk) == BatchRun.Status.RUNNING  # left to it
        assert Payment.objects.count() == 0
    finally:
        other.close()
