"""Excel: export of every list (formula cells neutralised), import of vacancies (template,
row-numbered errors, all or nothing, re-import changes nothing, broken files refused)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from jobs.models import Employer, Vacancy
from tests.jobs.factories import (
    EmployerFactory,
    JobFairFactory,
    JobSeekerFactory,
    VacancyFactory,
    make_credit_code,
)

IMPORT = "/api/v1/vacancies/import/"


def _read(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _xlsx(rows, header=True) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    if header:
        sheet.append(
            ["代码", "单位", "岗位", "人数", "最低", "最高", "要求", "证书", "招聘会", "日期"]
        )
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("vacancies.xlsx", buffer.getvalue())


def _post(client, upload):
    return client.post(IMPORT, {"file": upload}, format="multipart")


@pytest.mark.parametrize(
    "url",
    ["employers", "job-fairs", "vacancies", "job-seekers", "guidance", "intents", "placements"],
)
def test_every_list_exports(api, staff, units, url):
    assert _read(api(staff.case_a).get(f"/api/v1/{url}/export/"))[0]  # the header row


def test_export_follows_filters_and_scope_and_neutralises_formulas(api, staff, units):
    JobSeekerFactory(org_unit=units.a, desired_job='=HYPERLINK("http://x")')
    JobSeekerFactory(org_unit=units.a, desired_job="@SUM(A1)")
    JobSeekerFactory(org_unit=units.b, desired_job="厨师")
    rows = _read(api(staff.case_a).get("/api/v1/job-seekers/export/"))
    jobs = sorted(row[4] for row in rows[1:])
    assert jobs == ['\'=HYPERLINK("http://x")', "'@SUM(A1)"]
    VacancyFactory(org_unit=units.a, title="-1+1", status="closed")
    VacancyFactory(org_unit=units.a, title="电工")
    rows = _read(api(staff.desk_b).get("/api/v1/vacancies/export/?status=closed"))
    assert [row[3] for row in rows[1:]] == ["'-1+1"]


def test_template_downloads_with_an_example_that_imports(api, staff, units):
    client = api(staff.case_a)
    rows = _read(client.get("/api/v1/vacancies/import-template/"))
    assert len(rows) == 2 and rows[1][0] == "91110000600037341L"
    template = client.get("/api/v1/vacancies/import-template/").content
    response = _post(client, SimpleUploadedFile("t.xlsx", template))
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 1, "unchanged": 0}
    vacancy = Vacancy.objects.get()
    assert (vacancy.title, vacancy.positions, vacancy.org_unit, vacancy.employer.name) == (
        "维修电工",
        3,
        units.a,
        "上海示例机电有限公司",
    )


def test_import_creates_all_rows_and_reimport_changes_nothing(api, staff, units):
    known = EmployerFactory(credit_code=make_credit_code(1))
    fair = JobFairFactory(org_unit=units.a)
    rows = [
        [make_credit_code(1), "", "操作工", 10, 4500, 5500, "", "", fair.pk, None],
        [
            make_credit_code(2),
            "新单位",
            "保安",
            "3",
            None,
            None,
            "退役军人优先",
            "",
            "",
            "2026-03-01",
        ],
    ]
    client = api(staff.case_a)
    first = _post(client, _xlsx(rows))
    assert first.status_code == 200, first.json()
    assert first.json() == {"created": 2, "unchanged": 0}
    made = {v.title: v for v in Vacancy.objects.select_related("employer")}
    assert made["操作工"].employer == known and made["操作工"].job_fair == fair
    assert str(made["保安"].opened_on) == "2026-03-01" and made["保安"].employer.name == "新单位"
    versions = sorted(Vacancy.objects.values_list("id", "version"))
    again = _post(client, _xlsx(rows))
    assert again.json() == {"created": 0, "unchanged": 2}
    assert sorted(Vacancy.objects.values_list("id", "version")) == versions
    assert Employer.objects.count() == 2


def test_any_bad_row_saves_nothing_and_every_error_names_its_row(api, staff, units):
    rows = [
        [make_credit_code(1), "甲", "操作工", 10, None, None, "", "", "", None],
        [make_credit_code(2)[:-1] + "0", "乙", "保安", 2, None, None, "", "", "", None],
        [make_credit_code(3), "丙", "", 2, None, None, "", "", "", None],
        [make_credit_code(4), "丁", "厨师", 0, None, None, "", "", "", None],
        [make_credit_code(5), "戊", "司机", 1, 9000, 5000, "", "", "", None],
        [make_credit_code(6), "", "司机", 1, None, None, "", "", "", None],
        [make_credit_code(7), "己", "司机", 1, None, None, "", "", 999999, None],
        [make_credit_code(1), "甲", "操作工", 10, None, None, "", "", "", None],
    ]
    response = _post(api(staff.case_a), _xlsx(rows))
    assert response.status_code == 400
    errors = response.json()["rows"]
    # In Chinese, as the clerk reads them: 第N行：…
    assert [e.split("：")[0] for e in errors] == [f"第{n}行" for n in range(3, 10)]
    assert "第2行" in errors[-1].split("：", 1)[1]
    assert not Vacancy.objects.exists() and not Employer.objects.exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"not a workbook", b"PK\x03\x04broken zip", b"\x00" * 100],
)
def test_broken_files_get_a_clear_400(api, staff, content):
    response = _post(api(staff.case_a), SimpleUploadedFile("x.xlsx", content))
    assert response.status_code == 400
    assert list(response.json()) == ["file"] and response.json()["file"][0]


def test_empty_sheet_and_wrong_role_are_refused(api, staff):
    response = _post(api(staff.case_a), _xlsx([]))
    assert response.json() == {"file": ["文件表头下方没有岗位数据行。"]}
    assert _post(api(staff.desk_a), _xlsx([])).status_code == 403
