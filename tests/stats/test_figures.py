"""The figures service on a known data set: values, drill-down agreement, stocks and flows,
period boundaries in Asia/Shanghai, the apps' own figures(), scope, query count."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aidcenter.scope import subtree_ids
from jobs import services as jobs_services
from legal import services as legal_services
from stats import figures
from training import services as training_services

D = datetime.date
Y2025 = {"date_from": D(2025, 1, 1), "date_to": D(2025, 12, 31)}
Y2026 = {"date_from": D(2026, 1, 1), "date_to": D(2026, 12, 31)}


def test_the_district_2026(known, staff, units):
    s = figures.summary(user=staff.officer, org_unit=units.pt, **Y2026)
    assert s["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert s["org_unit"] == "PT"
    reg = s["registry"]
    # At the end of 2026: the PT-B file approved in April, the loaded one, the funds household.
    assert reg["registered"] == 3
    assert reg["by_level"] == {"deep": 2, "relative": 1, "accidental": 0}
    assert reg["by_main_cause"]["disability"] == 1 and reg["by_main_cause"]["illness"] == 2
    assert reg["migrant"] == 1
    assert (reg["new"], reg["lifted"], reg["closed"]) == (1, 1, 1)
    assert s["aid"] == {
        "persons": 2,
        "person_times": 3,
        "amount": "1000.00",
        "by_type": {
            "living": "800.00",
            "schooling": "0.00",
            "medical": "0.00",
            "holiday": "0.00",
            "emergency": "200.00",
            "voucher": "0.00",
            "loan": "0.00",
            "training": "0.00",
        },
    }
    assert sum(Decimal(v) for v in s["aid"]["by_type"].values()) == Decimal(s["aid"]["amount"])
    assert s["cases"] == {
        "received": 2,
        "by_channel": {"walk_in": 1, "hotline": 0, "letter": 1, "online": 0, "referral": 0},
        "resolved": 2,
        "overdue": 1,  # the hotline call of 31 December, due 10 January, still open
        "answered_late": 1,
        "satisfaction_avg": 4.5,
    }
    # Income 10,000; 1,050 paid, 50 of it reversed.
    assert s["funds"]["income"] == "10000.00"
    assert s["funds"]["spent"] == "1000.00"
    assert s["funds"]["balance"] == "9000.00"
    assert s["funds"]["by_fund"] == {
        "PT-AID": {"income": "10000.00", "spent": "1000.00", "balance": "9000.00"}
    }


def test_stocks_at_the_end_and_flows_within(known, staff, units):
    s = figures.summary(user=staff.officer, org_unit=units.pt, **Y2025)
    reg = s["registry"]
    # At the end of 2025: the file lifted in 2026 (history), the one closed in 2026 (no
    # history, by its dates), the loaded one and the funds household.
    assert reg["registered"] == 4
    assert (reg["new"], reg["lifted"], reg["closed"]) == (2, 0, 0)
    assert s["cases"]["received"] == 1 and s["cases"]["by_channel"]["hotline"] == 1
    assert s["cases"]["overdue"] == 0  # due 10 January 2026: not yet late on 31 December
    assert s["cases"]["satisfaction_avg"] is None
    assert s["aid"]["person_times"] == 0 and s["aid"]["amount"] == "0.00"
    # The fund did not exist yet: nothing moved, nothing held.
    assert s["funds"]["by_fund"]["PT-AID"] == {
        "income": "0.00",
        "spent": "0.00",
        "balance": "0.00",
    }
    # A month: the file lifted on 1 February 2026 was registered at the end of January.
    jan = figures.summary(
        user=staff.officer, org_unit=units.pt, date_from=D(2026, 1, 1), date_to=D(2026, 1, 31)
    )
    feb = figures.summary(
        user=staff.officer, org_unit=units.pt, date_from=D(2026, 2, 1), date_to=D(2026, 2, 28)
    )
    assert jan["registry"]["registered"] - feb["registry"]["registered"] == 1
    assert feb["registry"]["lifted"] == 1 and jan["registry"]["lifted"] == 0


def test_a_day_ends_at_midnight_in_shanghai(known, staff, units):
    dec31 = {"date_from": D(2025, 12, 31), "date_to": D(2025, 12, 31)}
    jan1 = {"date_from": D(2026, 1, 1), "date_to": D(2026, 1, 1)}
    assert figures.summary(user=staff.officer, org_unit=units.a, **dec31)["cases"]["received"] == 1
    got = figures.summary(user=staff.officer, org_unit=units.a, **jan1)["cases"]
    assert got["received"] == 1 and got["by_channel"]["walk_in"] == 1


def test_every_figure_equals_the_records_behind_it(known, staff, units):
    for period in (Y2025, Y2026):
        values = figures.flat(user=staff.officer, org_unit=units.pt, **period)
        for key in figures.figure_keys():
            qs = figures.records(key, user=staff.officer, org_unit=units.pt, **period)
            measure = _measure(key)
            if key == "funds.balance":
                got = qs.aggregate(t=Sum("amount"))["t"] or Decimal("0")
            elif measure.kind == "sum":
                got = (qs.aggregate(t=Sum(measure.field))["t"] or Decimal("0")) * measure.sign
            elif measure.kind == "total":
                got = qs.aggregate(t=Sum(measure.field))["t"] or 0
            elif measure.kind == "avg":
                rows = list(qs.values_list("satisfaction", flat=True))
                got = (
                    None if not rows else (Decimal(sum(rows)) / len(rows)).quantize(Decimal("0.01"))
                )
            else:
                got = qs.count()
            assert got == values[key], (key, period)
    # Persons and person-times are not confused: two people, three payments.
    people = figures.records("aid.persons", user=staff.officer, org_unit=units.pt, **Y2026)
    times = figures.records("aid.person_times", user=staff.officer, org_unit=units.pt, **Y2026)
    assert (people.count(), times.count()) == (2, 3)
    assert people.model._meta.label == "cases.Person"


def _measure(key):
    for group in figures.groups(figures.year_period(2026)):
        if key in group.measures:
            return group.measures[key]
    return figures.Measure(kind="sum", field="amount")  # funds.balance


def test_jobs_training_legal_agree_with_the_apps_own_figures(known, staff, units):
    for unit in (units.pt, units.a, units.b):
        ids = subtree_ids(unit.pk)
        for period in (Y2025, Y2026):
            s = figures.summary(user=staff.officer, org_unit=unit, **period)
            assert s["jobs"] == jobs_services.figures(units=ids, **period)
            assert s["training"] == training_services.figures(units=ids, **period)
            legal = legal_services.figures(units=ids, **period)
            legal["amount_recovered"] = f"{legal['amount_recovered']:.2f}"
            assert s["legal"] == legal


@pytest.mark.parametrize(
    ("who", "unit", "received_2026"),
    [
        ("officer", None, 2),  # the district: PT-A and PT-B
        ("auditor", None, 2),
        ("desk_a", None, 1),  # a sub-center's staff: its own
        ("auditor_a", None, 1),
        ("sync_a", None, 1),
        ("desk_b", None, 1),
        ("desk_point", None, 0),  # the aid point below PT-A keeps no case
        ("officer_qx", None, 1),  # the other district: its own only
        ("admin", None, 3),  # the city
        ("officer", "b", 1),  # a unit below: its subtree
        ("admin", "qxa", 1),
    ],
)
def test_scope_per_role(known, staff, units, who, unit, received_2026):
    user = getattr(staff, who)
    org_unit = getattr(units, unit) if unit else (user.staff.org_unit)
    s = figures.summary(user=user, org_unit=org_unit, **Y2026)
    assert s["cases"]["received"] == received_2026
    records = figures.records("cases.received", user=user, org_unit=org_unit, **Y2026)
    assert records.count() == received_2026


@pytest.mark.parametrize(
    ("who", "unit"), [("desk_a", "b"), ("desk_a", "pt"), ("officer", "qx"), ("officer_qx", "a")]
)
def test_a_unit_outside_the_scope_is_refused(known, staff, units, who, unit):
    with pytest.raises(figures.OutOfScope):
        figures.summary(user=getattr(staff, who), org_unit=getattr(units, unit), **Y2026)
    with pytest.raises(figures.OutOfScope):
        figures.records(
            "cases.received", user=getattr(staff, who), org_unit=getattr(units, unit), **Y2026
        )


def test_by_unit_adds_up_and_monthly_follows_the_months(known, staff, units):
    rows = figures.by_unit(user=staff.officer, org_unit=units.pt, **Y2026)
    by_code = {unit.code: values for unit, values in rows}
    assert set(by_code) == {"PT-A", "PT-B", "PT"}
    total = figures.flat(user=staff.officer, org_unit=units.pt, **Y2026)
    for key in ("cases.received", "registry.registered", "aid.person_times", "aid.amount"):
        assert sum(v[key] for v in by_code.values()) == total[key]
    # Distinct people per unit: each sub-center's own beneficiaries.
    assert by_code["PT-A"]["aid.persons"] == 1 and by_code["PT-B"]["aid.persons"] == 1
    series = figures.monthly(
        user=staff.officer, org_unit=units.pt, year=2026, keys=["cases.received", "funds.income"]
    )
    assert series["cases.received"][0] == 1 and series["cases.received"][2] == 1
    today = timezone.localdate()
    # Months still to come have no figures; the others add up to the year.
    assert all(
        (v is None) == (datetime.date(2026, m, 1) > today)
        for m, v in enumerate(series["cases.received"], start=1)
    )
    assert sum(v or 0 for v in series["cases.received"]) == 2
    assert sum(v or 0 for v in series["funds.income"]) == Decimal("10000.00")


def test_few_queries_whatever_the_data(known, staff, units):
    with CaptureQueriesContext(connection) as few:
        figures.summary(user=staff.officer, org_unit=units.pt, **Y2026)
    # Units tree once, one aggregate per group, the funds' two: no query per record.
    assert len(few.captured_queries) <= 25
    with CaptureQueriesContext(connection) as split:
        figures.by_unit(user=staff.officer, org_unit=units.pt, **Y2026)
    assert len(split.captured_queries) <= 30


def test_nothing_counts_for_a_user_without_a_role(known, units):
    from tests.factories import UserFactory

    nobody = UserFactory(username="nobody")
    s = figures.summary(user=nobody, org_unit=None, **Y2026)
    assert s["cases"]["received"] == 0 and s["registry"]["registered"] == 0
    assert s["funds"]["by_fund"] == {}


def test_the_monthly_series_is_the_summary_of_each_month(known, staff, units):
    keys = [
        "registry.registered",
        "registry.lifted",
        "aid.persons",
        "aid.amount",
        "cases.received",
        "cases.overdue",
        "training.trainees",
        "legal.amount_recovered",
        "funds.income",
        "funds.balance",
    ]
    for year in (2025, 2026):
        series = figures.monthly(user=staff.officer, org_unit=units.pt, year=year, keys=keys)
        for month in range(1, 13):
            period = figures.month_period(year, month)
            if period.date_from > timezone.localdate():
                assert all(series[k][month - 1] is None for k in keys)
                continue
            flat = figures.flat(
                user=staff.officer,
                org_unit=units.pt,
                date_from=period.date_from,
                date_to=period.date_to,
            )
            for key in keys:
                assert series[key][month - 1] == flat[key], (year, month, key)


def test_the_monthly_series_runs_one_query_per_group(known, staff, units):
    with CaptureQueriesContext(connection) as queries:
        figures.monthly(
            user=staff.officer,
            org_unit=units.pt,
            year=2026,
            keys=["registry.registered", "registry.new", "cases.received"],
        )
    assert len(queries.captured_queries) <= 6
