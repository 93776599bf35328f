"""Races on the real database: real threads, each with its own connection."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from funds import services
from funds.models import Account, AidApplication, LedgerEntry, Payment
from tests.funds.factories import WorkerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _race(n: int, work) -> list:
    """Run work(i) in n threads released at the same instant; each result or exception."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _codes(results) -> list[str]:
    return sorted("paid" if isinstance(r, Payment) else r.code for r in results)


def test_twenty_concurrent_payments_against_a_fund_covering_seven(
    make_fund, staff, units, approved
):
    fund = make_fund(balance="700.00")
    applications = [approved("100.00", worker=WorkerFactory(org_unit=units.a)) for _ in range(20)]
    # Sample the balance from outside while the payments race: it is never negative.
    seen, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            seen.append(Account.objects.get(fund=fund, kind="fund").balance)
        connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    results = _race(
        20,
        lambda i: services.application_pay(
            by=staff.manager, application=applications[i], fund=fund
        ),
    )
    stop.set()
    watcher.join()
    assert _codes(results) == ["insufficient_funds"] * 13 + ["paid"] * 7
    assert Account.objects.get(fund=fund, kind="fund").balance == Decimal("0.00")
    assert Payment.objects.filter(fund=fund).count() == 7
    assert AidApplication.objects.filter(status="paid").count() == 7
    assert seen and min(seen) >= 0
    assert services.reconcile() == []


def test_concurrent_clicks_on_one_application_pay_it_once(fund, staff, approved):
    application = approved("300.00")
    results = _race(
        8,
        lambda i: services.application_pay(by=staff.manager, application=application, fund=fund),
    )
    assert _codes(results) == ["already_paid"] * 7 + ["paid"]
    assert Payment.objects.filter(application=application).count() == 1
    assert LedgerEntry.objects.filter(account__fund=fund, kind="payment").count() == 2
    assert Account.objects.get(fund=fund, kind="fund").balance == Decimal("9700.00")


def test_concurrent_payments_to_one_household_stay_under_its_cap(fund, staff, units, approved):
    from funds.models import AidCap

    AidCap.objects.create(
        org_unit=units.pt, year=services._today().year, aid_type="living", amount="1000.00"
    )
    applications = [approved("400.00") for _ in range(5)]  # same household
    results = _race(
        5,
        lambda i: services.application_pay(
            by=staff.manager, application=applications[i], fund=fund
        ),
    )
    assert _codes(results) == ["cap"] * 3 + ["paid"] * 2


def test_the_database_alone_refuses_a_double_payment(fund, staff, approved):
    """Even a writer that skips the service's row lock cannot store two live payments."""
    from django.db import IntegrityError

    application = approved("100.00")
    first = services.application_pay(by=staff.manager, application=application, fund=fund)
    with pytest.raises(IntegrityError, match="one_payment_per_application"):
        Payment.objects.create(
            org_unit_id=first.org_unit_id,
            application=application,
            person_id=first.person_id,
            fund=fund,
            aid_type="living",
            amount=Decimal("100.00"),
            method="cash",
            paid_on=first.paid_on,
            paid_by=staff.manager,
            transaction=services.income_record(
                by=staff.manager, fund=fund, amount="1", received_on=first.paid_on, source="x"
            ).transaction,
        )
