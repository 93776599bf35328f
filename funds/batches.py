"""Campaign batches (送温暖 before the Spring Festival, the monthly supermarket vouchers):
built from a rule over the registry, reviewed by a fund approver, frozen when approved, and
paid in one go by a background task — all or nothing.

Freezing: approval turns every line into an approved aid application with the line's amount
and payee, so a later edit to a household file changes nothing that was approved. Paying
calls `services.application_pay` for each line inside one transaction; the first refusal
rolls every payment of the batch back. Progress is written on a second connection, outside
that transaction, so it shows while the batch is being paid and survives a roll-back.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.faultpoints import pause_point
from aidcenter.models import OrgUnit
from aidcenter.roles import Action
from aidcenter.scope import in_scope, subtree_ids
from cases.models import Worker
from funds import services
from funds.models import (
    Account,
    AidApplication,
    AidBatch,
    Approval,
    BatchLine,
    BatchRun,
    Fund,
    PaymentMethod,
)

DEFAULT_VOUCHER_AMOUNT = Decimal("50.00")


def voucher_amount() -> Decimal:
    return Decimal(str(getattr(settings, "FUNDS_VOUCHER_AMOUNT", DEFAULT_VOUCHER_AMOUNT)))


def _rule_lines(*, fund: Fund, org_unit: OrgUnit, kind: str, amount: Decimal) -> list[BatchLine]:
    """Deep-hardship registered files in the unit's subtree; for holiday visits also files
    headed by migrant workers or of model workers, where the fund allows."""
    files = (
        Worker.objects.filter(
            org_unit_id__in=subtree_ids(org_unit.pk), status="registered", deleted_at__isnull=True
        )
        .select_related("person")
        .order_by("org_unit_id", "registered_on", "id")
    )
    if fund.file_levels:
        files = files.filter(file_level__in=fund.file_levels)
    lines = []
    for worker in files:
        if worker.hardship_level == "deep":
            reason = BatchLine.Reason.DEEP
        elif kind == AidBatch.Kind.HOLIDAY and fund.campaign_migrants and worker.person.is_migrant:
            reason = BatchLine.Reason.MIGRANT
        elif (
            kind == AidBatch.Kind.HOLIDAY and fund.campaign_model_workers and worker.is_model_worker
        ):
            reason = BatchLine.Reason.MODEL
        else:
            continue
        lines.append(
            BatchLine(
                org_unit_id=worker.org_unit_id,
                worker=worker,
                person=worker.person,
                payee_name=worker.person.name,
                reason=reason,
                amount=amount,
            )
        )
    return lines


@transaction.atomic
def batch_build(
    *,
    by,
    fund: Fund,
    org_unit: OrgUnit,
    kind: str,
    name: str,
    month,
    amount=None,
    method: str = PaymentMethod.CASH,
) -> AidBatch:
    """A fund manager builds the list from the rule; it waits for a fund approver."""
    services._require(by, Action.MANAGE_FUNDS)
    if not in_scope(by, fund.org_unit_id):
        raise Invalid({"fund": [_("Unknown fund.")]})
    if not in_scope(by, org_unit.pk) or org_unit.pk not in subtree_ids(fund.org_unit_id):
        raise Invalid({"org_unit": [_("The fund pays only units at or below its own.")]})
    if kind not in AidBatch.Kind.values:
        raise Invalid({"kind": [_("Choose one of the listed campaigns.")]})
    if fund.aid_types and kind not in fund.aid_types:
        raise DomainError(
            _("The fund %(fund)s may not pay %(type)s.")
            % {"fund": fund.name, "type": AidBatch.Kind(kind).label},
            code="earmark",
        )
    if method not in (PaymentMethod.CASH, PaymentMethod.VOUCHER):
        raise Invalid({"method": [_("A campaign is paid in cash or in vouchers.")]})
    if amount in (None, "") and kind == AidBatch.Kind.VOUCHER:
        amount = voucher_amount()
    if amount in (None, ""):
        raise Invalid({"amount": [_("This field is required.")]})
    amount = services.money(amount)
    if not (name or "").strip():
        raise Invalid({"name": [_("This field is required.")]})
    batch = AidBatch.objects.create(
        org_unit=org_unit,
        fund=fund,
        kind=kind,
        name=name.strip(),
        amount=amount,
        month=month.replace(day=1),
        method=method,
        built_by=by,
    )
    lines = _rule_lines(fund=fund, org_unit=org_unit, kind=kind, amount=amount)
    if not lines:
        raise DomainError(_("No household file meets the campaign's rule."), code="empty_batch")
    for line in lines:
        line.batch = batch
    BatchLine.objects.bulk_create(lines)
    return batch


@transaction.atomic
def batch_remove_lines(*, by, batch: AidBatch, line_ids) -> int:
    """Take households out of a batch under review (e.g. already visited in person)."""
    services._require(by, Action.MANAGE_FUNDS)
    batch = _locked(batch)
    if batch.status != AidBatch.Status.DRAFT:
        raise DomainError(_("Only a batch under review can change."), code="not_editable")
    deleted, _detail = batch.lines.filter(pk__in=list(line_ids)).delete()
    return deleted


def _locked(batch: AidBatch) -> AidBatch:
    return AidBatch.objects.select_for_update().select_related("fund").get(pk=batch.pk)


def _check_decider(by, batch: AidBatch) -> None:
    services._require(by, Action.APPROVE_AID)
    if batch.built_by_id == by.pk:
        raise Refused(_("The person who built a batch may not decide it."))
    if batch.status != AidBatch.Status.DRAFT:
        raise DomainError(_("Only a batch under review can be decided."), code="invalid_transition")


@transaction.atomic
def batch_approve(*, by, batch: AidBatch, opinion: str = "") -> AidBatch:
    """Approve and freeze: each line becomes an approved application with its own amount and
    payee, decided by this approver."""
    batch = _locked(batch)
    _check_decider(by, batch)
    now = timezone.now()
    lines = list(batch.lines.order_by("id"))
    applications = [
        AidApplication(
            org_unit_id=line.org_unit_id,
            person_id=line.person_id,
            worker_id=line.worker_id,
            aid_type=batch.kind,
            amount=line.amount,
            reason=batch.name,
            applied_on=services._today(),
            status=AidApplication.Status.APPROVED,
            payment_method=batch.method,
            payee_name=line.payee_name,
            entered_by_id=batch.built_by_id,
            submitted_at=now,
            decided_at=now,
            required_approvals=1,
        )
        for line in lines
    ]
    AidApplication.objects.bulk_create(applications)
    Approval.objects.bulk_create(
        Approval(application=a, by=by, decision=Approval.Decision.APPROVE, opinion=opinion)
        for a in applications
    )
    for line, application in zip(lines, applications, strict=True):
        line.application = application
    BatchLine.objects.bulk_update(lines, ["application"])
    batch.status, batch.decided_by, batch.decided_at = AidBatch.Status.APPROVED, by, now
    batch.opinion = opinion
    batch.save()
    return batch


@transaction.atomic
def batch_reject(*, by, batch: AidBatch, opinion: str) -> AidBatch:
    if not (opinion or "").strip():
        raise Invalid({"opinion": [_("A rejection needs a written opinion.")]})
    batch = _locked(batch)
    _check_decider(by, batch)
    batch.status, batch.decided_by, batch.decided_at = AidBatch.Status.REJECTED, by, timezone.now()
    batch.opinion = opinion
    batch.save()
    return batch


def batch_total(batch: AidBatch) -> Decimal:
    return batch.lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


@transaction.atomic
def batch_pay(*, by, batch: AidBatch) -> BatchRun:
    """Queue the payment of an approved batch; the background task pays it (funds/tasks.py)."""
    from funds.tasks import pay_batch

    services._require(by, Action.MANAGE_FUNDS)
    if not in_scope(by, batch.fund.org_unit_id):
        raise Refused(_("This fund is outside your scope."))
    batch = _locked(batch)
    stale = (
        BatchRun.objects.filter(batch=batch, status=BatchRun.Status.RUNNING).order_by("-pk").first()
        if batch.status == AidBatch.Status.QUEUED
        else None
    )
    if stale is not None and not _run_is_alive(stale.pk):
        # Its process died mid-way (nothing of it was paid): queue the same run again.
        from funds.tasks import pay_batch

        result = pay_batch.enqueue(stale.pk)
        BatchRun.objects.filter(pk=stale.pk).update(task_id=str(result.id))
        return stale
    if batch.status in (AidBatch.Status.QUEUED, AidBatch.Status.PAID):
        raise DomainError(_("This batch is paid or being paid already."), code="already_paid")
    if batch.status != AidBatch.Status.APPROVED:
        raise DomainError(_("Only an approved batch can be paid."), code="not_approved")
    total, balance = batch_total(batch), services.fund_balances([batch.fund])[batch.fund_id]
    if balance < total:
        raise services.InsufficientFunds(
            _("The fund %(fund)s holds %(balance)s, less than the %(amount)s this batch needs.")
            % {
                "fund": batch.fund.name,
                "balance": services.yuan(balance),
                "amount": services.yuan(total),
            }
        )
    run = BatchRun.objects.create(batch=batch, by=by, total=batch.lines.count())
    batch.status, batch.last_error = AidBatch.Status.QUEUED, ""
    batch.save(update_fields=["status", "last_error"])
    # Same transaction as the queued status: the task exists exactly when the batch is queued.
    result = pay_batch.enqueue(run.pk)
    BatchRun.objects.filter(pk=run.pk).update(task_id=str(result.id))
    return run


class _Progress:
    """Writes a run's progress on its own connection, committed at once, so it is seen while
    the paying transaction is still open and kept when that transaction rolls back."""

    def __init__(self, run_id: int, total: int):
        self.run_id, self.step = run_id, max(1, total // 50)
        self.connection = connections.create_connection("default")

    def report(self, done: int, *, force: bool = False) -> None:
        if force or done % self.step == 0:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE funds_batchrun SET done = %s WHERE id = %s", [done, self.run_id]
                )

    def close(self) -> None:
        self.connection.close()


def _run_lock_key(run_id: int) -> str:
    return f"funds.batch_run:{run_id}"


def _run_is_alive(run_id: int) -> bool:
    """Whether a live process is paying this run now (it holds the run's advisory lock)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [_run_lock_key(run_id)])
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [_run_lock_key(run_id)])
    return False


def batch_run(*, run_id: int) -> str:
    """The task's body: pay every line of the batch in one transaction, or none.

    While it runs, the process holds the run's advisory lock (session level: PostgreSQL frees
    it when the process dies). A run marked RUNNING whose lock is free was left by a process
    that died mid-way, its payments rolled back with it: it is paid again from the start."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [_run_lock_key(run_id)])
        if not cursor.fetchone()[0]:
            return BatchRun.Status.RUNNING  # another live process is paying it
    try:
        return _batch_run(run_id)
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [_run_lock_key(run_id)])


def _batch_run(run_id: int) -> str:
    run = BatchRun.objects.select_related("batch", "by").get(pk=run_id)
    if run.status not in (BatchRun.Status.QUEUED, BatchRun.Status.RUNNING):
        return run.status
    BatchRun.objects.filter(pk=run.pk).update(status=BatchRun.Status.RUNNING)
    progress = _Progress(run.pk, run.total)
    try:
        with transaction.atomic(durable=True):
            _pay_all(run=run, progress=progress)
    except DomainError as exc:
        message = exc.message or exc.code
        if isinstance(exc, Invalid):
            message = "; ".join(m for msgs in exc.errors.values() for m in msgs)
        with transaction.atomic():
            BatchRun.objects.filter(pk=run.pk).update(
                status=BatchRun.Status.FAILED, error=message, finished_at=timezone.now()
            )
            AidBatch.objects.filter(pk=run.batch_id).update(
                status=AidBatch.Status.APPROVED, last_error=message
            )
        return BatchRun.Status.FAILED
    finally:
        progress.close()
    BatchRun.objects.filter(pk=run.pk).update(
        status=BatchRun.Status.DONE, done=run.total, finished_at=timezone.now()
    )
    return BatchRun.Status.DONE


def _pay_all(*, run: BatchRun, progress: _Progress) -> None:
    batch = _locked(run.batch)
    if batch.status != AidBatch.Status.QUEUED:
        raise DomainError(_("This batch is not queued for payment."), code="invalid_transition")
    lines = list(batch.lines.order_by("id").values_list("id", "application_id"))
    ids = sorted(application_id for _line, application_id in lines)
    # Every lock of one kind for all lines before the next kind (services' lock order), so a
    # payment of one household racing the batch never waits on it in a circle.
    applications = {
        a.pk: a
        for a in AidApplication.objects.select_for_update(of=("self",))
        .select_related("person", "worker")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    year = services._today().year
    services.advisory_locks(services.cap_lock_key(a, year=year) for a in applications.values())
    services._lock_accounts(batch.fund)
    for done, (_line, application_id) in enumerate(lines, start=1):
        pause_point(f"funds.batch_run.line{done}")  # tests/faults only
        services.application_pay(
            by=run.by,
            application=applications[application_id],
            fund=batch.fund,
            method=batch.method,
            in_batch=True,
        )
        progress.report(done)
    batch.status, batch.paid_by = AidBatch.Status.PAID, run.by
    batch.save(update_fields=["status", "paid_by"])


def batch_lines(batch: AidBatch):
    return batch.lines.select_related("org_unit", "person", "application").order_by("id")


def fund_balance(fund: Fund) -> Decimal:
    return Account.objects.get(fund=fund, kind=Account.Kind.FUND).balance
