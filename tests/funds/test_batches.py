"""Campaign batches: built from the rule, frozen at approval, paid all or nothing by the
background task, with progress."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from funds import batches, services
from funds.models import Account, AidApplication, AidBatch, AidCap, BatchRun, Payment
from tests.funds.factories import PersonFactory, WorkerFactory


def _balance(fund) -> Decimal:
    return Account.objects.get(fund=fund, kind="fund").balance


def _households(units):
    """Deep files in PT-A (3) and PT-B (1), a migrant and a model worker of relative hardship,
    a relative file, a lifted deep file and a deep file in the other district."""
    deep = [WorkerFactory(org_unit=units.a, registered_on=f"2020-01-0{n}") for n in range(1, 4)] + [
        WorkerFactory(org_unit=units.b, registered_on="2020-02-01")
    ]
    migrant = WorkerFactory(
        org_unit=units.b,
        hardship_level="relative",
        person=PersonFactory(org_unit=units.b, is_migrant=True),
    )
    model = WorkerFactory(org_unit=units.b, hardship_level="relative", is_model_worker=True)
    WorkerFactory(org_unit=units.a, hardship_level="relative")
    WorkerFactory(org_unit=units.a, status="lifted", ended_on="2024-01-01", end_reason="other")
    WorkerFactory(org_unit=units.qxa)
    return deep, migrant, model


def _build(staff, fund, units, **kw):
    return batches.batch_build(
        by=staff.manager,
        fund=fund,
        org_unit=units.pt,
        kind=kw.pop("kind", "holiday"),
        name="2027年春节送温暖",
        month=services._today(),
        **{"amount": "500.00", **kw},
    )


def test_holiday_batch_takes_deep_files_and_migrants_where_the_fund_allows(make_fund, staff, units):
    deep, migrant, _model = _households(units)
    fund = make_fund(balance="5000", campaign_migrants=True)
    batch = _build(staff, fund, units)
    assert sorted(batch.lines.values_list("worker_id", "reason", "amount")) == sorted(
        [(w.pk, "deep", Decimal("500.00")) for w in deep]
        + [(migrant.pk, "migrant", Decimal("500.00"))]
    )


def test_voucher_batch_gives_fifty_yuan_to_each_deep_file(make_fund, staff, units):
    deep, _migrant, _model = _households(units)
    fund = make_fund(balance="5000", campaign_migrants=True, campaign_model_workers=True)
    batch = batches.batch_build(
        by=staff.manager,
        fund=fund,
        org_unit=units.a,
        kind="voucher",
        name="爱心超市救助券",
        month=services._today(),
        method="voucher",
    )
    assert sorted(batch.lines.values_list("worker_id", "amount")) == sorted(
        (w.pk, Decimal("50.00")) for w in deep[:3]
    )


def test_the_builder_may_not_approve_and_rejection_needs_an_opinion(make_fund, staff, units):
    _households(units)
    batch = _build(staff, make_fund(balance="5000"), units)
    with pytest.raises(services.Refused):
        batches.batch_approve(by=staff.manager, batch=batch)
    with pytest.raises(services.Invalid):
        batches.batch_reject(by=staff.approver, batch=batch, opinion=" ")
    assert AidBatch.objects.get(pk=batch.pk).status == "draft"


def test_approval_freezes_the_list_and_the_batch_pays_it_as_frozen(make_fund, staff, units):
    deep, _migrant, _model = _households(units)
    fund = make_fund(balance="5000")
    batch = _build(staff, fund, units)
    batch = batches.batch_approve(by=staff.approver, batch=batch, opinion="同意")
    # Later edits to the files change nothing that was approved.
    deep[0].hardship_level = "relative"
    deep[0].save()
    deep[1].person.name = "改名后"
    deep[1].person.save()
    WorkerFactory(org_unit=units.a)  # a new deep file after approval is not in the batch
    run = batches.batch_pay(by=staff.manager, batch=batch)
    assert batches.batch_run(run_id=run.pk) == "done"

    paid = Payment.objects.filter(application__batch_line__batch=batch)
    assert sorted(paid.values_list("worker_id", "amount", "method", "aid_type")) == sorted(
        (w.pk, Decimal("500.00"), "cash", "holiday") for w in deep
    )
    assert paid.get(worker=deep[1]).payee_name != "改名后"
    assert _balance(fund) == Decimal("3000.00")
    batch.refresh_from_db()
    assert (batch.status, batch.paid_by) == ("paid", staff.manager)
    assert list(BatchRun.objects.filter(pk=run.pk).values_list("status", "done", "total")) == [
        ("done", 4, 4)
    ]
    assert set(
        AidApplication.objects.filter(batch_line__batch=batch).values_list("status", flat=True)
    ) == {"paid"}
    # A line whose payment is reversed after the batch was paid is paid again on its own.
    again = services.payment_reverse(
        by=staff.manager, payment=paid.get(worker=deep[0]), reason="本人未领取，改日补发"
    )
    repaid = services.application_pay(by=staff.manager, application=again.application, fund=fund)
    assert (repaid.amount, _balance(fund)) == (Decimal("500.00"), Decimal("3000.00"))


def test_a_batch_application_is_not_paid_on_its_own(make_fund, staff, units):
    _households(units)
    fund = make_fund(balance="5000")
    batch = batches.batch_approve(by=staff.approver, batch=_build(staff, fund, units))
    line = batch.lines.first()
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=line.application, fund=fund)
    assert refused.value.code == "in_batch"


def test_a_batch_the_fund_cannot_cover_is_refused_before_it_is_queued(make_fund, staff, units):
    _households(units)
    fund = make_fund(balance="1999.99")
    batch = batches.batch_approve(by=staff.approver, batch=_build(staff, fund, units))
    with pytest.raises(services.InsufficientFunds):
        batches.batch_pay(by=staff.manager, batch=batch)
    assert AidBatch.objects.get(pk=batch.pk).status == "approved"
    assert not BatchRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_refusal_in_the_middle_leaves_nothing_paid(make_fund, staff, units, approved):
    """The fourth of five households already had most of its yearly holiday cap: the worker
    pays three lines, meets the refusal, and rolls everything back; its progress and error
    remain (they are written outside the paying transaction)."""
    deep, _migrant, _model = _households(units)
    fund = make_fund(balance="5000")
    AidCap.objects.create(
        org_unit=units.pt, year=services._today().year, aid_type="holiday", amount="800.00"
    )
    services.application_pay(
        by=staff.manager, application=approved("400.00", "holiday", worker=deep[2]), fund=fund
    )
    before = _balance(fund)
    batch = batches.batch_approve(by=staff.approver, batch=_build(staff, fund, units))
    run = batches.batch_pay(by=staff.manager, batch=batch)

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    run.refresh_from_db()
    assert (run.status, run.done, run.total) == ("failed", 3, 5)
    assert "¥800.00" in run.error
    assert not Payment.objects.filter(application__batch_line__batch=batch).exists()
    assert _balance(fund) == before
    batch.refresh_from_db()
    assert (batch.status, batch.last_error) == ("approved", run.error)
    assert services.reconcile() == []
