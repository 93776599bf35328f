"""Exports: one writer for every list — formula cells neutralised, illegal characters dropped,
ID numbers masked per role, scope and filters of the screen, the access log, and large
exports as background jobs only their requester may download."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from aidcenter import admin_base, exports
from aidcenter.models import AccessLog, ExcelJob
from tests.excel.helpers import body, read
from tests.factories import PersonFactory

PEOPLE = "/admin/cases/person/export.xlsx"


def test_cell_neutralises_formulas_and_drops_illegal_characters():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert exports.cell(text) == "'" + text
    assert exports.cell("\x00=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert exports.cell("a\x07b\x1fc") == "abc"
    assert exports.cell("中文 -1") == "中文 -1"
    assert exports.cell(-5) == -5 and exports.cell(Decimal("1.50")) == Decimal("1.50")
    aware = datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.UTC)
    assert exports.cell(aware) == datetime.datetime(2026, 1, 1, 8, 0)  # Asia/Shanghai
    assert exports.cell("110105194912310021", mask_ids=True) == "110105********0021"
    assert exports.cell("110105194912310021") == "110105194912310021"


def _people(units):
    PersonFactory(org_unit=units.a, name='=HYPERLINK("http://x")', national_id="110105194912310021")
    PersonFactory(org_unit=units.a1, name="甲一", is_migrant=True)
    PersonFactory(org_unit=units.b, name="乙", is_migrant=True)
    PersonFactory(org_unit=units.qxa, name="青")


@pytest.mark.parametrize(
    ("who", "names", "full"),
    [
        ("desk_a", {'\'=HYPERLINK("http://x")', "甲一"}, True),
        ("case_b", {"乙"}, True),
        ("officer", {'\'=HYPERLINK("http://x")', "甲一", "乙"}, False),
        ("auditor_a", {'\'=HYPERLINK("http://x")', "甲一"}, False),
        ("admin", {'\'=HYPERLINK("http://x")', "甲一", "乙", "青"}, False),
    ],
)
def test_admin_export_is_scoped_masked_and_logged(client, staff, units, who, names, full):
    _people(units)
    user = getattr(staff, who)
    client.force_login(user)
    rows = read(body(client.get(PEOPLE)))
    assert {row[0] for row in rows[1:]} == names
    ids = {row[1] for row in rows[1:]}
    if '\'=HYPERLINK("http://x")' in names:
        assert ("110105194912310021" in ids) is full
        assert ("110105********0021" in ids) is not full
    for shown in ids:
        assert shown == "—" or ("*" in shown) is not full
    log = AccessLog.objects.get(user=user, action="export")
    assert (log.model, log.count) == ("cases.Person", len(names))


def test_admin_export_applies_the_filters_and_search_on_screen(client, staff, units):
    _people(units)
    client.force_login(staff.officer)
    rows = read(body(client.get(PEOPLE + "?is_migrant__exact=1&o=1")))
    assert sorted(row[0] for row in rows[1:]) == sorted(["乙", "甲一"])
    rows = read(body(client.get(PEOPLE + "?q=%E4%B9%99&p=3")))  # search "乙"; the page is ignored
    assert [row[0] for row in rows[1:]] == ["乙"]


def test_changelist_offers_the_export_with_its_filters(client, staff, units):
    client.force_login(staff.officer)
    page = client.get("/admin/cases/person/?is_migrant__exact=1").content.decode()
    assert 'href="/admin/cases/person/export.xlsx?is_migrant__exact=1"' in page


def test_export_needs_the_admin_and_the_view_permission(client, staff, units):
    _people(units)
    client.force_login(staff.sync_a)  # an API client: no staff pages, no admin
    response = client.get(PEOPLE)
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.logout()
    assert client.get(PEOPLE).status_code == 302  # to the login page
    assert not AccessLog.objects.filter(action="export").exists()


def test_a_bad_filter_goes_back_to_the_list(client, staff, units):
    client.force_login(staff.officer)
    response = client.get(PEOPLE + "?no_such_field=1")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_large_export_runs_as_a_job_only_its_requester_downloads(
    client, staff, units, monkeypatch, django_capture_on_commit_callbacks
):
    _people(units)
    monkeypatch.setattr(exports, "ASYNC_THRESHOLD", 1)
    client.force_login(staff.officer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get(PEOPLE)
    assert response.status_code == 302 and len(callbacks) == 1  # the task was enqueued
    job = ExcelJob.objects.get()
    assert response["Location"] == f"/excel/jobs/{job.pk}/"
    assert (job.kind, job.status, job.total, job.user) == ("export", "queued", 3, staff.officer)
    page = client.get(response["Location"])
    assert page.status_code == 200 and b'http-equiv="refresh"' in page.content
    assert client.get(f"/excel/jobs/{job.pk}/download/").status_code == 404  # not ready

    assert exports.excel_job.call(str(job.pk)) == "done"
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 3, 3) and job.finished_at
    assert AccessLog.objects.filter(action="export").count() == 0  # logged when downloaded
    rows = read(body(client.get(f"/excel/jobs/{job.pk}/download/")))
    assert len(rows) == 4 and all("*" in r[1] or r[1] == "—" for r in rows[1:])
    assert AccessLog.objects.get(action="export").count == 3

    for other in (staff.admin, staff.desk_a, staff.auditor):
        client.force_login(other)
        assert client.get(f"/excel/jobs/{job.pk}/").status_code == 404
        assert client.get(f"/excel/jobs/{job.pk}/download/").status_code == 404
    assert exports.excel_job.call(str(job.pk)) == "skipped"  # a job runs once


def test_a_failing_job_is_marked_failed(staff, units):
    job = ExcelJob.objects.create(
        kind="export",
        user=staff.officer,
        source="admin",
        title="x",
        params={"model": "cases.person", "query": "no_such_field=1"},
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 - the worker logs whatever it was
        exports.excel_job.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at and timezone.now() >= job.created_at


def test_queue_export_is_the_page_as_shown(client, staff, units):
    from cases import desk

    person = PersonFactory(org_unit=units.a, national_id="110105194912310021")
    for summary in ("=1+2", "求职"):
        desk.case_log(
            by=staff.desk_a,
            org_unit=units.a,
            data={"channel": "walk_in", "category": "job_seeking", "summary": summary},
            person=person,
        )
    desk.case_log(
        by=staff.desk_b,
        org_unit=units.b,
        data={"channel": "walk_in", "category": "job_seeking", "summary": "乙"},
    )
    shown = list(desk.queue(user=staff.desk_a)[:200])
    client.force_login(staff.desk_a)
    rows = read(body(client.get("/queue/export.xlsx")))
    assert [r[0] for r in rows[1:]] == [c.reference for c in shown] and len(shown) == 2
    assert {r[4] for r in rows[1:]} == {"110105194912310021"}
    client.force_login(staff.officer)
    assert client.get("/queue/export.xlsx").status_code == 200


def test_search_export_is_posted_and_shows_ids_as_the_page_does(client, staff, units):
    PersonFactory(org_unit=units.a, name="王小二", national_id="110105194912310021")
    PersonFactory(org_unit=units.b, name="王大二")
    client.force_login(staff.desk_a)
    assert client.get("/people/search/export.xlsx").status_code == 405  # never in a URL
    rows = read(body(client.post("/people/search/export.xlsx", {"q": "王"})))
    assert [r[:2] for r in rows[1:]] == [["王小二", "110105194912310021"]]
    client.force_login(staff.officer)
    rows = read(body(client.post("/people/search/export.xlsx", {"q": "王"})))
    assert sorted(r[0] for r in rows[1:]) == ["王大二", "王小二"]
    assert "110105********0021" in {r[1] for r in rows[1:]}
    assert AccessLog.objects.filter(action="export", model="cases.Person").count() == 2


def _done_seen_elsewhere(job_id) -> int:
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT done FROM aidcenter_exceljob WHERE id = %s", [job_id])
            return cursor.fetchone()[0]
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_jobs_progress_is_seen_while_its_rows_are_read_in_a_transaction(
    staff, units, monkeypatch
):
    # The admin's export reads its rows inside a transaction (a server-side cursor without
    # WITH HOLD), which ends when the rows do.
    _people(units)
    monkeypatch.setattr(admin_base, "EXCEL_CHUNK", 1)  # a row is handed on before the next
    export = exports.build("admin", staff.officer, {"model": "cases.person", "query": ""})
    rows = iter(export.rows)
    next(rows)
    assert connection.in_atomic_block
    assert len(list(rows)) == 2 and not connection.in_atomic_block

    # Meanwhile the job's page, on another connection, sees the progress.
    job = ExcelJob.objects.create(kind="export", user=staff.officer, source="test.slow", title="t")
    seen = []

    def slow(user, params):
        def rows():
            with transaction.atomic():
                for n in range(6):
                    if n == 4:
                        seen.append(_done_seen_elsewhere(job.pk))
                    yield [n]

        return exports.Export(title="t", header=["n"], rows=rows(), count=6)

    monkeypatch.setitem(exports._SOURCES, "test.slow", slow)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    assert exports.excel_job.call(str(job.pk)) == "done"
    job.refresh_from_db()
    assert seen == [4] and (job.done, job.total, job.result["rows"]) == (6, 6, 6)


def test_finished_jobs_and_their_files_are_purged_after_their_days(staff, settings):
    settings.EXCEL_JOB_DAYS = 7
    now = timezone.now()

    def job(status, days_ago, *, with_file=True):
        made = ExcelJob.objects.create(
            kind="export",
            user=staff.officer,
            source="admin",
            title="t",
            status=status,
            finished_at=None if days_ago is None else now - datetime.timedelta(days=days_ago),
        )
        if with_file:
            made.file.save(f"{made.pk}.xlsx", ContentFile(b"PK"), save=True)
        return made

    old, recent = job("done", 8), job("done", 6)
    job("failed", 30, with_file=False)
    running = job("running", None)
    files = Path(old.file.path), Path(recent.file.path)

    out = io.StringIO()
    call_command("purge_excel_jobs", "--dry-run", stdout=out)
    assert "2 Excel jobs would be deleted." in out.getvalue()
    assert ExcelJob.objects.count() == 4 and files[0].exists()

    call_command("purge_excel_jobs", stdout=out)
    assert set(ExcelJob.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}
    assert not files[0].exists() and files[1].exists()
    call_command("purge_excel_jobs", "--days", "0", stdout=out)
    assert set(ExcelJob.objects.values_list("pk", flat=True)) == {running.pk}
    assert not files[1].exists()
    with pytest.raises(CommandError):
        call_command("purge_excel_jobs", "--days", "-1")
