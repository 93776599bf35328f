"""Registry import: template, every row checked with row-numbered errors, all or nothing,
re-import changes nothing, scope, and a catalogue of bad files — each a clear message, nothing
saved, never a 500."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from aidcenter.errors import Invalid, Refused
from aidcenter.models import ExcelJob
from cases import imports
from cases.models import FileEvent, HouseholdMember, Person, Worker
from tests.excel.helpers import body, read, workbook_bytes
from tests.factories import PersonFactory, make_national_id

HEAD = make_national_id(1, born="19700101")
WIFE = make_national_id(2, born="19720202", female=True)
CHILD = make_national_id(3, born="20100303")
HEAD2 = make_national_id(4, born="19650505")


def header() -> list[str]:
    with translation.override("en"):
        return [str(c.header) for c in imports.COLUMNS]


def row(head, relation, name, number, **extra) -> list:
    values = dict.fromkeys([c.key for c in imports.COLUMNS], "")
    values.update(head_id=head, relation=relation, name=name, national_id=number, is_migrant="否")
    values.update(extra)
    return [values[c.key] for c in imports.COLUMNS]


def good_rows() -> list[list]:
    return [
        row(
            HEAD,
            "户主",
            "王建国",
            HEAD,
            phone="138-0000-0001",
            hardship_level="深度困难",
            main_cause="illness",
            secondary_causes="low_wage、schooling",
            household_income_year=24000,
            address="示例路1号",
            org_unit="PT-A",
        ),
        row(HEAD, "spouse", "李秀英", WIFE),
        row(HEAD, "子女", "王小明", CHILD, school="初二"),
        row(
            HEAD2,
            "head",
            "赵强",
            HEAD2,
            hardship_level="relative",
            main_cause="laid_off",
            is_migrant="是",
            org_unit="PT-A-01",
        ),
    ]


def upload(rows, *, with_header=True) -> SimpleUploadedFile:
    content = workbook_bytes(([header()] if with_header else []) + rows)
    return SimpleUploadedFile("registry.xlsx", content)


def run(user, unit, content):
    return imports.registry_import(by=user, org_unit=unit, upload=content)


def snapshot():
    return sorted(
        [(str(w.pk), w.version) for w in Worker.objects.all()]
        + [(str(p.pk), p.version) for p in Person.objects.all()]
        + [(str(m.pk), m.version) for m in HouseholdMember.objects.all()]
    )


def test_import_creates_files_through_the_services_and_reimport_changes_nothing(staff, units):
    result = run(staff.case_a, units.a, upload(good_rows()))
    assert result == {"created": 2, "updated": 0, "unchanged": 0, "members_added": 2}
    wang = Worker.objects.get(person__national_id=HEAD)
    assert (wang.org_unit, wang.status, wang.hardship_level, wang.main_cause) == (
        units.a,
        "draft",
        "deep",
        "illness",
    )
    assert wang.secondary_causes == ["low_wage", "schooling"]
    assert str(wang.household_income_year) == "24000.00" and wang.entered_by == staff.case_a
    assert wang.person.phone == "13800000001" and wang.person.sex == "M"
    assert sorted(wang.members.values_list("relation", flat=True)) == ["child", "head", "spouse"]
    assert FileEvent.objects.filter(worker=wang, kind="created").count() == 1
    zhao = Worker.objects.get(person__national_id=HEAD2)
    assert zhao.org_unit == units.a1 and zhao.person.is_migrant is True

    before = snapshot()
    again = run(staff.case_a, units.a, upload(good_rows()))
    assert again == {"created": 0, "updated": 0, "unchanged": 2, "members_added": 0}
    assert snapshot() == before  # not one row written again

    changed = good_rows()
    changed[2][imports.COLUMNS.index(next(c for c in imports.COLUMNS if c.key == "school"))] = (
        "初三"
    )
    assert run(staff.case_a, units.a, upload(changed))["updated"] == 1
    assert HouseholdMember.objects.get(person__national_id=CHILD).school == "初三"


def _errors(user, unit, content) -> list[str]:
    with pytest.raises(Invalid) as caught:
        run(user, unit, content)
    return [m for ms in caught.value.errors.values() for m in ms]


def test_any_bad_row_saves_nothing_and_each_error_names_its_row(staff, units):
    rows = good_rows() + [
        row(HEAD, "child", "错号", "110105194912310022"),  # row 6: check digit
        row(HEAD, "cousin", "某", make_national_id(7)),  # row 7: unknown relation
        row(make_national_id(8), "head", "钱", make_national_id(8), hardship_level="很困难"),
        row(make_national_id(9), "head", "孙", make_national_id(9), org_unit="QX-A"),  # not mine
        row(make_national_id(10), "child", "孤", make_national_id(11)),  # no head row
        row(HEAD, "child", "重复", WIFE),  # row 11: the same person as row 3
        row(make_national_id(12), "head", "负", make_national_id(12), household_income_year=-5),
        row(make_national_id(13), "head", "浮", 1.10105194912310e17),  # a number, not text
        row(make_national_id(14), "head", "", make_national_id(14)),  # no name
    ]
    with translation.override("en"):
        errors = _errors(staff.case_a, units.a, upload(rows))
    numbers = [int(e.split(":")[0].removeprefix("Row ")) for e in errors]
    assert numbers == [6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert "check digit" in errors[0] and "cousin" in errors[1] and "很困难" in errors[2]
    assert "QX-A" in errors[3] and "row 3" in errors[5]
    assert not Worker.objects.exists() and not Person.objects.exists()


def test_errors_read_in_chinese(staff, units):
    rows = [row(HEAD, "户主", "王", "123")]
    errors = _errors(staff.case_a, units.a, upload(rows))
    assert errors[0].startswith("第2行：")


def test_scope_and_stored_files(staff, units):
    # A person already in an active file of another unit cannot join one here.
    run(staff.case_b, units.b, upload([row(HEAD2, "head", "赵强", HEAD2)]))
    errors = _errors(staff.case_a, units.a, upload(good_rows()))
    assert len(errors) == 1 and errors[0].startswith("第5行")
    # The same file re-imported by its own unit is found, not duplicated.
    assert run(staff.case_b, units.b, upload([row(HEAD2, "head", "赵强", HEAD2)]))["unchanged"] == 1
    # A person known elsewhere (no active file) may be filed: the ID number is the person.
    PersonFactory(org_unit=units.qxa, national_id=CHILD, name="王小明")
    rows = [r for r in good_rows() if r[0] == HEAD]
    assert run(staff.case_a, units.a, upload(rows))["created"] == 1
    assert Person.objects.filter(national_id=CHILD).count() == 1


def test_roles_that_do_not_enter_files_are_refused(staff, units):
    for user in (staff.officer, staff.auditor, staff.manager):
        with pytest.raises(Refused):
            run(user, units.a, upload(good_rows()))
    with pytest.raises(Refused):
        run(staff.case_a, units.b, upload(good_rows()))  # a unit outside the importer's scope


def _zip(parts: dict[str, bytes], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _formula_file() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header())
    sheet.append(good_rows()[0])
    sheet["C2"] = '=CONCAT("王","建国")'
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _many_rows(n: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("x")
    sheet.append(header())
    for i in range(n):
        sheet.append([HEAD, "child", f"人{i}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD = workbook_bytes([header(), *good_rows()])

BAD_FILES = {
    "not a zip": b"name,id\nwang,1\n",
    "truncated zip": GOOD[: len(GOOD) // 2],
    "ole (encrypted or .xls)": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000,
    "zip without a workbook": _zip({"hello.txt": b"hi"}),
    "zip bomb": _zip({"xl/workbook.xml": b"<a/>", "xl/worksheets/sheet1.xml": b"\0" * 60_000_000}),
    "broken xml": _zip({"xl/workbook.xml": b"<not xml", "[Content_Types].xml": b"<x"}),
    "empty sheet": workbook_bytes([]),
    "header only": workbook_bytes([header()]),
    "wrong headers": workbook_bytes([["姓名", "身份证"], ["王", HEAD]]),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_files_get_one_clear_message_and_nothing_is_saved(staff, units, name):
    with pytest.raises(Invalid) as caught:
        run(staff.case_a, units.a, SimpleUploadedFile("x.xlsx", BAD_FILES[name]))
    assert list(caught.value.errors) == ["file"] and caught.value.errors["file"][0]
    assert not Person.objects.exists()


def test_a_file_larger_than_the_cap_is_refused_before_reading(staff, units, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 1000)
    with pytest.raises(Invalid) as caught:
        run(staff.case_a, units.a, SimpleUploadedFile("x.xlsx", GOOD + b"\0" * 1000))
    assert list(caught.value.errors) == ["file"]


def test_more_rows_than_the_cap_are_refused(staff, units):
    with pytest.raises(Invalid) as caught:
        run(staff.case_a, units.a, _many_rows(100_001))
    assert "20000" in caught.value.errors["file"][0]


def test_formula_cells_and_wrong_types_are_row_errors(staff, units):
    errors = _errors(staff.case_a, units.a, _formula_file())
    assert errors[0].startswith("第2行") and "C2" in errors[0]
    rows = [row(HEAD, "head", "王", HEAD, is_migrant="maybe", household_income_year="很多")]
    errors = _errors(staff.case_a, units.a, upload(rows))
    assert len(errors) == 1 and errors[0].startswith("第2行")
    assert not Worker.objects.exists()


def test_template_downloads_and_imports(client, staff, units):
    client.force_login(staff.case_a)
    content = body(client.get("/people/import/template.xlsx"))
    rows = read(content)
    assert len(rows) == 3 and len(rows[0]) == len(imports.COLUMNS)
    response = client.post(
        "/people/import/",
        {"org_unit": units.a.pk, "file": SimpleUploadedFile("t.xlsx", content)},
    )
    assert response.status_code == 200 and response.context["result"]["created"] == 1
    assert Worker.objects.get().members.count() == 2


def test_the_page_lists_row_errors_and_refuses_other_roles(client, staff, units):
    client.force_login(staff.case_a)
    bad = upload([row(HEAD, "head", "王", "123")])
    response = client.post("/people/import/", {"org_unit": units.a.pk, "file": bad})
    assert response.status_code == 200 and response.context["errors"][0].startswith("第2行")
    broken = SimpleUploadedFile("x.xlsx", b"garbage")
    response = client.post("/people/import/", {"org_unit": units.a.pk, "file": broken})
    assert response.status_code == 200 and len(response.context["errors"]) == 1
    assert not Person.objects.exists()
    client.force_login(staff.officer)
    assert client.get("/people/import/").status_code == 404
    assert client.get("/people/import/template.xlsx").status_code == 404


def test_a_large_upload_is_imported_by_the_worker(
    client, staff, units, monkeypatch, django_capture_on_commit_callbacks
):
    from aidcenter.exports import excel_job

    monkeypatch.setattr(imports, "ASYNC_BYTES", 10)
    client.force_login(staff.case_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            "/people/import/", {"org_unit": units.a.pk, "file": upload(good_rows())}
        )
    job = ExcelJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/excel/jobs/{job.pk}/"
    assert len(callbacks) == 1 and not Worker.objects.exists()
    assert excel_job.call(str(job.pk)) == "done"
    job.refresh_from_db()
    assert job.status == "done" and job.result["created"] == 2 and job.done == job.total == 4
    assert Worker.objects.count() == 2
    page = client.get(f"/excel/jobs/{job.pk}/")
    assert page.status_code == 200 and b'http-equiv="refresh"' not in page.content

    # A bad file in the background: the job fails with the row errors, nothing saved.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/people/import/",
            {"org_unit": units.a.pk, "file": upload([row(HEAD2, "head", "赵", "123")])},
        )
    failed = ExcelJob.objects.exclude(pk=job.pk).get()
    assert excel_job.call(str(failed.pk)) == "failed"
    failed.refresh_from_db()
    assert failed.status == "failed" and failed.result["errors"][0].startswith("第2行")
