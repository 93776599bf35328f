"""The demo funds load through the services, balance, and a second run changes nothing."""

from decimal import Decimal

from django.core.management import call_command

from aidcenter.demo.orgs import seed_orgs_and_staff
from aidcenter.models import OrgUnit
from funds import demo, services
from funds.models import AidBatch, Fund, LedgerEntry, Loan, Payment
from tests.funds.factories import WorkerFactory


def test_demo_funds_with_a_year_of_income_and_payments(db):
    seed_orgs_and_staff()
    for code in ("PT-CS", "PT-CY", "PT-TP"):
        WorkerFactory.create_batch(4, org_unit=OrgUnit.objects.get(code=code))
    paid = demo.seed(applications=60)
    assert sorted(Fund.objects.values_list("source_kind", flat=True)) == [
        "central",
        "local",
        "mutual_aid",
        "one_day",
        "reemployment",
        "union_funds",
    ]
    assert paid > 30
    assert Payment.objects.count() == paid
    assert services.reconcile() == []
    # Funds II: this month's vouchers wait for the worker; a loan is being repaid.
    assert AidBatch.objects.get().status == "queued"
    assert Loan.objects.get().repaid == Decimal("2000.00")
    entries = LedgerEntry.objects.count()
    assert demo.seed() == 0
    assert LedgerEntry.objects.count() == entries
    call_command("reconcile")
