"""The annual report and reporting upward, read back with openpyxl and compared with the
figures service; the national file numbers reconciled back."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from aidcenter.errors import Invalid, Refused
from cases.models import Worker
from stats import annual_report, figures, upward
from tests.excel.helpers import body, workbook_bytes
from tests.stats.conftest import (  # noqa: F401 (fixtures)
    approved,
    employer,
    household,
    known,
    make_file,
    make_fund,
    open_case,
)

YEAR = figures.year_period(2026)


def _book(content: bytes):
    return load_workbook(io.BytesIO(content))


def test_annual_report_reads_back_as_the_figures(known, staff, units):  # noqa: F811
    flat = figures.flat(
        user=staff.officer, org_unit=units.pt, date_from=YEAR.date_from, date_to=YEAR.date_to
    )
    book = _book(annual_report.build(user=staff.officer, org_unit=units.pt, period=YEAR))
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert units.pt.name in rows[0][0] and "2026-01-01" in rows[0][0] and "2026-12-31" in rows[0][0]
    assert "PT" in rows[1][0]
    # Every section's lines, in order, with their values and shares.
    expected = [line for _title, lines in annual_report._lines(flat) for line in lines]
    found = [r for r in rows[2:] if r[0] and isinstance(r[1], int | float | Decimal)]
    assert len(found) == len(expected)
    for (label, value, share, _key), row in zip(expected, found, strict=True):
        assert row[0] == label
        assert Decimal(str(row[1])) == Decimal(str(value))
        assert (row[2] is None and share is None) or row[2] == pytest.approx(share)
    headings = [r[0] for r in rows if r[0] and r[0][1:2] == "、"]
    assert [h[0] for h in headings] == list("一二三四五六七")
    registered = next(r for r in found if r[0] == expected[0][0])[1]
    assert registered == flat["registry.registered"] == 3  # b_new, loaded, the household
    deep = next(r for r in found[1:4])
    assert deep[2] == pytest.approx(flat["registry.by_level.deep"] / registered)
    assert (
        sum(
            r[1]
            for r in found
            if r[0] in {e[0] for e in expected if e[3].startswith("aid.by_type.")}
        )
        == flat["aid.amount"]
        == Decimal("1000.00")
    )

    units_sheet = [list(r) for r in book.worksheets[1].iter_rows(min_row=3, values_only=True)]
    total = units_sheet[-1]
    assert total[1] == "PT"
    for column, key in enumerate(annual_report.BY_UNIT, start=2):
        assert Decimal(str(total[column])) == Decimal(str(flat[key]))
        assert sum(Decimal(str(r[column])) for r in units_sheet[:-1]) == Decimal(str(flat[key]))
    # Printed on A4, every column within the page's width; the units' table repeats its
    # title, heads and unit names on every page (bench/report_render.py shows it printed).
    for printed, orientation in zip(book.worksheets, ("portrait", "landscape"), strict=True):
        assert printed.page_setup.orientation == orientation
        assert printed.page_setup.fitToWidth == 1 and printed.sheet_properties.pageSetUpPr.fitToPage
    assert book.worksheets[1].print_title_rows.replace("$", "") == "1:2"
    assert book.worksheets[1].print_title_cols.replace("$", "") == "A:B"


def test_annual_report_pages_are_scoped(client, known, staff, units):  # noqa: F811
    client.force_login(staff.officer)
    content = body(client.get("/stats/reports/annual.xlsx?year=2026&org_unit=PT-A"))
    assert "甲街道" in _book(content).worksheets[0]["A1"].value
    assert client.get("/stats/reports/annual.xlsx?year=2026&org_unit=QX").status_code == 404
    assert client.get("/stats/reports/").status_code == 200
    client.force_login(staff.desk_a)  # a role without reports
    assert client.get("/stats/reports/annual.xlsx?year=2026").status_code == 404


def test_upward_export_in_the_national_terms(known, staff, units):  # noqa: F811
    known.loaded.national_file_no = "N-1"
    known.loaded.save()
    content = upward.export_bytes(user=staff.officer, org_unit=units.pt, period=YEAR)
    book = _book(content)
    files = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    header, rows = files[0], files[1:]
    assert header == upward.FILE_HEADER
    registered = figures.records(
        "registry.registered",
        user=staff.officer,
        org_unit=units.pt,
        date_from=YEAR.date_from,
        date_to=YEAR.date_to,
    )
    assert sorted(r[1] for r in rows) == sorted(
        str(pk) for pk in registered.values_list("pk", flat=True)
    )
    by_id = {r[1]: dict(zip(header, r, strict=True)) for r in rows}
    loaded = by_id[str(known.loaded.pk)]
    assert (loaded["全国档案编号"], loaded["困难类别"], loaded["主要致困原因"]) == (
        "N-1",
        "深度困难",
        "因残",
    )
    assert "*" in loaded["身份证号"]  # a district officer sees ID numbers masked
    b_new = by_id[str(known.b_new.pk)]
    assert (b_new["困难类别"], b_new["是否农民工"]) == ("相对困难", "是")
    # The aid sheet totals the figures' aid by type.
    flat = figures.flat(
        user=staff.officer, org_unit=units.pt, date_from=YEAR.date_from, date_to=YEAR.date_to
    )
    totals = [list(r) for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert totals[-1][0] == "合计"
    assert (totals[-1][1], totals[-1][2]) == (flat["aid.persons"], flat["aid.person_times"])
    assert Decimal(str(totals[-1][3])) == flat["aid.amount"]
    for row, aid_type in zip(totals[:-1], upward.AID_TYPES, strict=True):
        assert Decimal(str(row[3])) == flat.get(f"aid.by_type.{aid_type}", 0)


def test_upward_export_of_a_sub_center_and_full_ids_with_the_permission(known, staff, units):  # noqa: F811
    from django.contrib.auth.models import Permission

    staff.officer.user_permissions.add(Permission.objects.get(codename="view_full_id"))
    officer = type(staff.officer).objects.get(pk=staff.officer.pk)
    content = upward.export_bytes(user=officer, org_unit=units.b, period=YEAR)
    rows = [list(r) for r in _book(content).worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert [r[1] for r in rows] == [str(known.b_new.pk)]
    assert rows[0][7] == known.b_new.person.national_id
    with pytest.raises(Refused):
        upward.export_bytes(user=staff.desk_a, org_unit=units.a, period=YEAR)
    with pytest.raises(figures.OutOfScope):
        upward.export_bytes(user=staff.officer_qx, org_unit=units.pt, period=YEAR)


def _return_sheet(rows) -> SimpleUploadedFile:
    header = ["序号", "本系统档案号", "户主姓名", "身份证号", "全国档案编号"]
    return SimpleUploadedFile("back.xlsx", workbook_bytes([header, *rows]))


def test_reconcile_the_national_numbers(staff, units):
    a = make_file(units.a, registered_on=YEAR.date_from)
    b = make_file(units.b, registered_on=YEAR.date_from)
    numbered = make_file(units.a, registered_on=YEAR.date_from, national_file_no="N-OLD")
    same = make_file(units.a, registered_on=YEAR.date_from, national_file_no="N-SAME")
    taken = make_file(units.a, registered_on=YEAR.date_from)
    outside = make_file(units.qxa, registered_on=YEAR.date_from)
    rows = [
        [1, str(a.pk), "甲", a.person.national_id, "N-A"],  # matched
        [2, "", "乙", b.person.national_id, "N-B"],  # matched by the ID number alone
        [3, str(numbered.pk), "丙", numbered.person.national_id, "N-NEW"],  # numbered differently
        [4, str(same.pk), "丁", "", "N-SAME"],  # already recorded
        [5, str(taken.pk), "戊", taken.person.national_id, "N-SAME"],  # the number is same's
        [6, str(a.pk), "甲", b.person.national_id, "N-A"],  # ID number mismatch
        [7, str(outside.pk), "外", outside.person.national_id, "N-X"],  # not in scope: unknown
        [8, "", "无", "110105194912310021", "N-Z"],  # unknown
    ]
    result = upward.reconcile(user=staff.officer, org_unit=units.pt, upload=_return_sheet(rows))
    assert result["counts"] == {
        "matched": 2,
        "already": 1,
        "unknown_file": 2,
        "id_mismatch": 1,
        "numbered_differently": 1,
        "number_taken": 1,
    }
    listed = {r["row"]: r["outcome"] for r in result["rows"]}
    assert listed == {
        4: "numbered_differently",  # spreadsheet rows: the header is row 1
        5: "already",
        6: "number_taken",
        7: "id_mismatch",
        8: "unknown_file",
        9: "unknown_file",
    }
    saved = dict(Worker.objects.values_list("pk", "national_file_no"))
    assert (saved[a.pk], saved[b.pk], saved[numbered.pk], saved[taken.pk], saved[outside.pk]) == (
        "N-A",
        "N-B",
        "N-OLD",
        "",
        "",
    )
    again = upward.reconcile(user=staff.officer, org_unit=units.pt, upload=_return_sheet(rows))
    assert again["counts"]["matched"] == 0 and again["counts"]["already"] == 3


def test_reconcile_saves_nothing_from_a_broken_file_and_checks_role_and_scope(staff, units):
    a = make_file(units.a, registered_on=YEAR.date_from)
    for content in (b"not a workbook", workbook_bytes([["姓名"], ["王"]])):
        with pytest.raises(Invalid):
            upward.reconcile(
                user=staff.officer, org_unit=units.pt, upload=SimpleUploadedFile("x.xlsx", content)
            )
    with pytest.raises(Refused):
        upward.reconcile(
            user=staff.auditor,
            org_unit=units.pt,
            upload=_return_sheet([[1, str(a.pk), "", "", "N"]]),
        )
    with pytest.raises(figures.OutOfScope):
        upward.reconcile(
            user=staff.officer_qx,
            org_unit=units.pt,
            upload=_return_sheet([[1, str(a.pk), "", "", "N"]]),
        )
    assert Worker.objects.get(pk=a.pk).national_file_no == ""


def test_the_reports_page_reconciles(client, staff, units):
    a = make_file(units.a, registered_on=YEAR.date_from)
    client.force_login(staff.officer)
    response = client.post(
        "/stats/reports/?org_unit=PT",
        {"file": _return_sheet([[1, str(a.pk), "", a.person.national_id, "N-1"]])},
    )
    assert response.status_code == 200 and response.context["outcome"]["counts"]["matched"] == 1
    assert Worker.objects.get(pk=a.pk).national_file_no == "N-1"
    response = client.post("/stats/reports/", {"file": SimpleUploadedFile("x.xlsx", b"junk")})
    assert response.status_code == 200 and response.context["errors"]
    client.force_login(staff.auditor)
    assert client.get("/stats/reports/").status_code == 200
    assert client.post("/stats/reports/", {}).status_code == 404


def test_the_upward_download_is_scoped(client, staff, units):
    mine = make_file(units.a, registered_on=YEAR.date_from)
    make_file(units.qxa, registered_on=YEAR.date_from)
    client.force_login(staff.officer)
    rows = [
        list(r)
        for r in _book(body(client.get("/stats/reports/upward.xlsx?year=2026")))
        .worksheets[0]
        .iter_rows(values_only=True)
    ]
    assert rows[0] == upward.FILE_HEADER and [r[1] for r in rows[1:]] == [str(mine.pk)]
    assert client.get("/stats/reports/upward.xlsx?year=2026&org_unit=QX").status_code == 404
    client.force_login(staff.case_a)
    assert client.get("/stats/reports/upward.xlsx?year=2026").status_code == 404


def test_every_scoped_changelist_exports(client, known, staff, units):  # noqa: F811
    from django.contrib import admin

    from aidcenter.admin_base import ScopedAdmin

    scoped_admins = [m for m, a in admin.site._registry.items() if isinstance(a, ScopedAdmin)]
    assert len(scoped_admins) > 20
    for user in (staff.admin, staff.officer, staff.desk_a):
        client.force_login(user)
        for model in scoped_admins:
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/export.xlsx"
            response = client.get(url)
            assert response.status_code in (200, 403), (url, response.status_code)
            if response.status_code == 200:
                rows = _book(body(response)).worksheets[0]
                assert rows.max_row >= 1, url
