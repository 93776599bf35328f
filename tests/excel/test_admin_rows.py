"""An admin list's export reads its rows with values_list() (no model instances) when every
column allows it; the file must then hold exactly what the records' path, which the screen
uses, gives: for every admin list, every role, on a data set over every section."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone

from aidcenter.admin_base import ScopedAdmin
from cases.models import HouseholdMember, Person, Worker
from tests.excel.helpers import body, read
from tests.factories import PersonFactory, make_national_id
from tests.stats.conftest import (  # noqa: F401 (fixtures)
    approved,
    employer,
    household,
    known,
    make_file,
    make_fund,
    open_case,
)

# Lists whose columns are all read by values_list(): a display method added to one of them
# without `row_values` would silently bring back the slow path, so they are named here.
BY_VALUES = {
    "aidcenter.orgunit",
    "cases.person",
    "cases.worker",
    "cases.minimumlivingline",
    "jobs.vacancy",
    "jobs.jobseeker",
    "training.enrolment",
    "funds.aidapplication",
    "funds.payment",
    "funds.ledgertransaction",
}


def _request(user, query: str = ""):
    request = RequestFactory().get("/admin/export/")
    request.GET = QueryDict(query)
    request.user = user
    return request


def _both(model_admin, user, query: str = ""):
    """The export's rows by values and by records, for this user's changelist."""
    request = _request(user, query)
    export = model_admin.excel_export(request)
    changelist = model_admin.get_changelist_instance(request)
    names = [n for n in changelist.list_display if n != "action_checkbox"]
    by_records = model_admin.excel_rows(changelist.get_queryset(request), names, from_records=True)
    return list(export.rows), list(by_records)


def _scoped_admins():
    return {
        model._meta.label_lower: model_admin
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ScopedAdmin)
    }


def _reads_by_values(model_admin) -> bool:
    names = [n for n in model_admin.list_display if n != "action_checkbox"]
    return all(model_admin._excel_column(n) is not None for n in names)


def test_the_large_lists_are_read_by_values():
    admins = _scoped_admins()
    assert {label for label, a in admins.items() if _reads_by_values(a)} >= BY_VALUES


@pytest.mark.parametrize("who", ["admin", "officer", "desk_a", "case_b", "manager"])
def test_values_and_records_give_the_same_file_for_every_list(known, staff, who):  # noqa: F811
    user = getattr(staff, who)
    compared = 0
    for label, model_admin in sorted(_scoped_admins().items()):
        if not _reads_by_values(model_admin) or not model_admin.has_view_permission(_request(user)):
            continue
        by_values, by_records = _both(model_admin, user)
        assert by_values == by_records, label
        compared += len(by_values)
    assert compared >= 20  # the known set reaches this role's lists


def test_the_registry_file_shows_the_screens_values(client, staff, units):
    today = timezone.localdate()
    due = make_file(units.a, registered_on=today - datetime.timedelta(days=400))
    make_file(
        units.a,
        status="lifted",
        registered_on=datetime.date(2024, 1, 5),
        ended_on=datetime.date(2025, 1, 5),
    )
    head = PersonFactory(org_unit=units.a, national_id=make_national_id(7), name="=户主")
    big = make_file(units.a, registered_on=today)
    Worker.objects.filter(pk=big.pk).update(person=head)
    for _ in range(2):
        HouseholdMember.objects.create(
            org_unit=units.a,
            worker=big,
            person=PersonFactory(org_unit=units.a),
            relation="child",
        )
    client.force_login(staff.officer)
    rows = read(body(client.get("/admin/cases/worker/export.xlsx?o=-9")))
    assert rows[0][0] == "户主" and len(rows) == 4
    by_head = {row[0]: row for row in rows[1:]}
    first_due = (due.registered_on.replace(year=due.registered_on.year + 1)).isoformat()
    assert by_head[due.person.name][9] == f"{first_due} ⚠"  # overdue
    assert by_head["'=户主"][7] == 2 and by_head["'=户主"][1] == (
        make_national_id(7)[:6] + "********" + make_national_id(7)[-4:]
    )
    lifted = next(r for r in rows[1:] if r[3] == "已脱困")
    assert lifted[9] == "—" and lifted[2] == units.a.name and lifted[4] == "深度困难"
    assert Person.objects.filter(name="=户主").exists()


def test_the_registry_export_reads_in_bulk(staff, units, django_assert_max_num_queries):
    model_admin = admin.site._registry[Worker]

    def count_queries():
        officer = get_user_model().objects.get(pk=staff.officer.pk)  # nothing cached on it
        with django_assert_max_num_queries(15) as captured:
            export = model_admin.excel_export(_request(officer))
            rows = list(export.rows)
        return len(rows), len(captured.captured_queries)

    for _ in range(2):
        make_file(units.a, registered_on=datetime.date(2026, 1, 5))
    few = count_queries()
    for n in range(12):
        make_file(units.a1 if n % 2 else units.b, registered_on=datetime.date(2026, 1, 5))
    many = count_queries()
    assert (few[0], many[0]) == (2, 14) and few[1] == many[1]


def test_without_server_side_cursors_the_rows_are_read_by_key(
    known,  # noqa: F811
    staff,
    monkeypatch,
    django_assert_max_num_queries,
):
    # Behind PgBouncer in transaction mode: no server-side cursor, the same rows.
    for model in (Worker, Person):
        model_admin = admin.site._registry[model]
        by_cursor, by_records = _both(model_admin, staff.admin)
        monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
        with django_assert_max_num_queries(20) as captured:
            by_key, _ = _both(model_admin, staff.admin)
        monkeypatch.undo()
        assert by_key == by_cursor == by_records and len(by_key) >= 3
        assert not any("DECLARE" in q["sql"] for q in captured.captured_queries)
