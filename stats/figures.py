"""The figures of API.md "Stats summary", computed in one place.

    summary(user=…, org_unit=…, date_from=…, date_to=…) -> dict   (API.md's exact shape)
    records(key, user=…, org_unit=…, date_from=…, date_to=…) -> QuerySet   (drill-down)
    monthly(user=…, org_unit=…, year=…, keys=…) -> {key: [12 values]}
    by_unit(user=…, org_unit=…, date_from=…, date_to=…) -> [(child unit, summary), …]

Every figure is declared once below as a *measure* of a *group*: a group is one model, the
path from it to the keeping unit and the condition every row of the group meets in the
period; a measure counts its rows (or distinct people among them, or sums an amount) under
its own extra condition. `summary` runs one aggregate query per group; `records` returns the
group's rows under the measure's condition, through `aidcenter.scope.scoped()`, so a list's
count always equals its figure (for distinct people the list is the people themselves).

Meanings (API.md): stocks are taken at the period's end (or today, while the period runs),
flows count what happened within the period by the date API.md names; days are in
Asia/Shanghai. Records count by the unit that keeps them now. The meanings of jobs, training
and legal are those of each app's `figures()`; tests/stats check they agree.

Registry stocks come from the status history (cases.FileEvent): a file changed after the
period's end is judged by its last status event on or before it; any other file by its
current status and dates. Files loaded without a history (imports, the city-scale generator)
count by their dates (registered_on, ended_on) alone.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import models
from django.db.models import Avg, Case, Count, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from aidcenter.scope import scoped, subtree_ids, unit_ids
from cases.models import Channel, Worker
from funds.models import AidType

TZ = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Every code of each list is a key of the summary (zero when nothing counts); the lists are
# the models' own, so a new code (e.g. the training subsidy's aid type) appears by itself.
LEVELS = tuple(Worker.Level.values)
CAUSES = tuple(Worker.Cause.values)
CHANNELS = tuple(Channel.values)
AID_TYPES = tuple(AidType.values)
# File events that change a file's status (the others: created, submitted, reviews, visits).
STATUS_EVENTS = ("approved", "rejected", "lifted", "closed", "reopened")
PLACE_TAKING = ("enrolled", "completed")


class OutOfScope(Exception):
    """The requested unit is not in the caller's scope (answered as "not found")."""


# --- The period -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    date_from: datetime.date
    date_to: datetime.date

    @property
    def start(self) -> datetime.datetime:
        """The first instant of the period in Asia/Shanghai."""
        return datetime.datetime.combine(self.date_from, datetime.time.min, tzinfo=TZ)

    @property
    def end(self) -> datetime.datetime:
        """The first instant after the period (exclusive bound)."""
        day = self.date_to + datetime.timedelta(days=1)
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=TZ)

    @property
    def days(self) -> tuple[datetime.date, datetime.date]:
        return (self.date_from, self.date_to)

    @property
    def as_of(self) -> datetime.date:
        """The day stocks are taken on: the period's last day, or today while it runs."""
        return min(self.date_to, timezone.localdate(timezone=TZ))


def year_period(year: int) -> Period:
    return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def month_period(year: int, month: int) -> Period:
    start = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return Period(start, following - datetime.timedelta(days=1))


# --- Units ----------------------------------------------------------------------------------
def units_for(user, org_unit=None) -> frozenset[int] | None:
    """The unit ids the figures count: the requested unit's subtree within the caller's
    scope (None: every unit, for an admin asking for no unit). A unit outside the scope
    raises OutOfScope."""
    scope = unit_ids(user)
    if org_unit is None:
        return scope
    if scope is not None and org_unit.pk not in scope:
        raise OutOfScope(org_unit.code)
    subtree = subtree_ids(org_unit.pk)
    return subtree if scope is None else subtree & scope


# --- Declarations -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Measure:
    where: Q = field(default_factory=Q)
    kind: str = "count"  # count | distinct | sum (money) | total (a whole number) | avg
    field: str = "pk"  # distinct: the path to the counted record's id; sum/avg: the value
    target: str = ""  # distinct: the model of the records behind the number
    sign: int = 1  # sums of ledger lines that are negative by nature (money out)


@dataclass(frozen=True)
class Group:
    model: str  # app_label.Model
    unit_path: str
    where: Q
    measures: dict[str, Measure]
    live: bool = True  # leave soft-deleted rows out (models with deleted_at)

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def base(self, units) -> models.QuerySet:
        model = self.model_class
        qs = model._default_manager.all()
        if self.live and any(f.name == "deleted_at" for f in model._meta.fields):
            qs = qs.filter(deleted_at__isnull=True)
        if units is not None:
            qs = qs.filter(**{f"{self.unit_path}__in": list(units)})
        return qs.filter(self.where)


def _aggregate(measure: Measure):
    if measure.kind == "count":
        return Count("pk", filter=measure.where or None)
    if measure.kind == "distinct":
        return Count(measure.field, distinct=True, filter=measure.where or None)
    if measure.kind in ("sum", "total"):
        return Sum(measure.field, filter=measure.where or None)
    if measure.kind == "avg":
        return Avg(measure.field, filter=measure.where or None)
    raise ValueError(measure.kind)


def _registry(p: Period) -> list[Group]:
    FileEvent = apps.get_model("cases", "FileEvent")
    status_events = FileEvent.objects.filter(kind__in=STATUS_EVENTS)
    d = p.date_to
    changed_after = status_events.filter(on__gt=d).values("worker_id")
    # Every condition is a set of file ids computed once (hashed by PostgreSQL), never a
    # subquery per file: the planner then scans the files once and joins people by hash.
    ever = status_events.values("worker_id")
    later = status_events.filter(worker=OuterRef("worker_id"), on__lte=d).filter(
        Q(on__gt=OuterRef("on"))
        | Q(on=OuterRef("on"), at__gt=OuterRef("at"))
        | Q(on=OuterRef("on"), at=OuterRef("at"), id__gt=OuterRef("id"))
    )
    # Of the files changed after the end: those whose last status event by then approved them.
    approved_then = (
        status_events.filter(kind="approved", on__lte=d, worker_id__in=changed_after)
        .exclude(Exists(later))
        .values("worker_id")
    )
    registered_at_end = (
        (Q(status="registered", registered_on__lte=d) & ~Q(pk__in=changed_after))
        | (
            Q(status__in=["lifted", "closed"], registered_on__lte=d, ended_on__gt=d)
            & ~Q(pk__in=changed_after)
            & ~Q(pk__in=ever)
        )
        | Q(pk__in=approved_then)
    )

    def moved(kind: str, fallback: Q) -> Q:
        events = status_events.filter(kind=kind, on__range=p.days).values("worker_id")
        return Q(pk__in=events) | (fallback & ~Q(pk__in=ever))

    stock = {
        "registry.registered": Measure(),
        "registry.migrant": Measure(Q(head_is_migrant=True)),
        **{f"registry.by_level.{v}": Measure(Q(hardship_level=v)) for v in LEVELS},
        **{f"registry.by_main_cause.{v}": Measure(Q(main_cause=v)) for v in CAUSES},
    }
    flows = {
        "registry.new": Measure(moved("approved", Q(registered_on__range=p.days))),
        "registry.lifted": Measure(moved("lifted", Q(status="lifted", ended_on__range=p.days))),
        "registry.closed": Measure(moved("closed", Q(status="closed", ended_on__range=p.days))),
    }
    return [
        Group("cases.Worker", "org_unit_id", registered_at_end, stock),
        Group("cases.Worker", "org_unit_id", Q(), flows),
    ]


def _aid(p: Period) -> list[Group]:
    # Paid in the period and not reversed by its end (a reversed payment is paid again).
    paid = Q(paid_on__range=p.days) & (Q(status="paid") | Q(reversal__booked_on__gt=p.date_to))
    measures = {
        "aid.persons": Measure(kind="distinct", field="person_id", target="cases.Person"),
        "aid.person_times": Measure(),
        "aid.amount": Measure(kind="sum", field="amount"),
        **{
            f"aid.by_type.{t}": Measure(Q(aid_type=t), kind="sum", field="amount")
            for t in AID_TYPES
        },
    }
    return [Group("funds.Payment", "org_unit_id", paid, measures, live=False)]


def _cases(p: Period) -> list[Group]:
    received = Q(received_at__gte=p.start, received_at__lt=p.end)
    measures = {
        "cases.received": Measure(),
        **{f"cases.by_channel.{c}": Measure(Q(channel=c)) for c in CHANNELS},
        # Received in the period and resolved by its end.
        "cases.resolved": Measure(Q(resolved_at__lt=p.end)),
        "cases.satisfaction_avg": Measure(
            Q(satisfaction__isnull=False), kind="avg", field="satisfaction"
        ),
    }
    # Overdue: open at the end of the as-of day, past the deadline that applied then.
    day = p.as_of
    day_end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, TZ)
    open_then = Q(received_at__lt=day_end) & (
        Q(resolved_at__isnull=True, status__in=["open", "in_progress", "referred"])
        | Q(resolved_at__gte=day_end)
    )
    awaiting = Q(category="petition") & (Q(acceptance="") | Q(accepted_on__gt=day))
    past = (awaiting & Q(accept_due_on__lt=day)) | (
        ~awaiting & (Q(extended_to__lt=day) | Q(extended_to__isnull=True, due_on__lt=day))
    )
    # Answered late: resolved in the period after its handling deadline, or a petition whose
    # acceptance was decided (or never decided before resolution) after the 15 days.
    handled_by = Coalesce(F("extended_to"), F("due_on"))
    late = Q(resolved_at__date__gt=handled_by) | (
        Q(category="petition", accept_due_on__isnull=False)
        & (
            Q(accepted_on__gt=F("accept_due_on"))
            | Q(accepted_on__isnull=True, resolved_at__date__gt=F("accept_due_on"))
        )
    )
    resolved_in = Q(resolved_at__gte=p.start, resolved_at__lt=p.end)
    return [
        Group("cases.Case", "org_unit_id", received, measures),
        Group("cases.Case", "org_unit_id", open_then & past, {"cases.overdue": Measure()}),
        Group("cases.Case", "org_unit_id", resolved_in & late, {"cases.answered_late": Measure()}),
    ]


def _jobs(p: Period) -> list[Group]:
    d = p.days
    positions = Q(job_fair__held_on__range=d) | Q(job_fair__isnull=True, opened_on__range=d)
    return [
        Group("jobs.JobFair", "org_unit_id", Q(held_on__range=d), {"jobs.fairs": Measure()}),
        Group(
            "jobs.Vacancy",
            "org_unit_id",
            positions,
            {"jobs.positions": Measure(kind="total", field="positions")},
        ),
        Group(
            "jobs.Guidance",
            "org_unit_id",
            Q(held_on__range=d),
            {"jobs.guidance_person_times": Measure()},
        ),
        Group(
            "jobs.Intent",
            "org_unit_id",
            Q(reached_on__range=d),
            {
                "jobs.intents": Measure(),
                "jobs.intents_migrant": Measure(Q(seeker__person__is_migrant=True)),
            },
        ),
        Group(
            "jobs.Placement", "org_unit_id", Q(started_on__range=d), {"jobs.placements": Measure()}
        ),
    ]


def _training(p: Period) -> list[Group]:
    d = p.days
    place = Q(training_class__starts_on__range=d, status__in=PLACE_TAKING)
    person = {"kind": "distinct", "field": "person_id", "target": "cases.Person"}
    return [
        Group(
            "training.TrainingClass",
            "org_unit_id",
            Q(starts_on__range=d),
            {"training.classes": Measure()},
        ),
        Group(
            "training.Enrolment",
            "training_class__org_unit_id",
            place,
            {
                "training.trainees": Measure(**person),
                "training.trainees_migrant": Measure(Q(person__is_migrant=True), **person),
            },
        ),
        Group(
            "training.Certificate",
            "org_unit_id",
            Q(issued_on__range=d),
            {"training.certificates": Measure()},
        ),
    ]


def _legal(p: Period) -> list[Group]:
    d = p.days
    Claimant = apps.get_model("legal", "Claimant")
    migrant = Exists(Claimant.objects.filter(legal_case=OuterRef("pk"), person__is_migrant=True))
    return [
        Group(
            "legal.LegalCase",
            "org_unit_id",
            Q(opened_on__range=d),
            {"legal.cases": Measure(), "legal.migrant_cases": Measure(Q(migrant))},
        ),
        Group("legal.LegalCase", "org_unit_id", Q(closed_on__range=d), {"legal.closed": Measure()}),
        Group(
            "legal.Recovery",
            "claimant__legal_case__org_unit_id",
            Q(recovered_on__range=d, claimant__legal_case__deleted_at__isnull=True),
            {"legal.amount_recovered": Measure(kind="sum", field="amount")},
            live=False,
        ),
    ]


# Funds: the fund accounts' ledger lines (funds.services.fund_statement's meanings): income
# net of reversed income; spent = aid paid net of reversed payments and loan repayments;
# balance at the end = the account's balance less what was booked after the period.
INCOME_LINES = Q(kind="income") | Q(kind="reversal", aid_type="")
SPENT_LINES = Q(kind__in=["payment", "repayment"]) | (Q(kind="reversal") & ~Q(aid_type=""))


def _funds(p: Period) -> list[Group]:
    in_period = Q(booked_on__range=p.days)
    return [
        Group(
            "funds.LedgerEntry",
            "account__fund__org_unit_id",
            Q(account__kind="fund", booked_on__gte=p.date_from),
            {
                "funds.income": Measure(in_period & INCOME_LINES, kind="sum", field="amount"),
                "funds.spent": Measure(
                    in_period & SPENT_LINES, kind="sum", field="amount", sign=-1
                ),
                "funds.after": Measure(Q(booked_on__gt=p.date_to), kind="sum", field="amount"),
            },
            live=False,
        ),
        Group(
            "funds.Account",
            "fund__org_unit_id",
            Q(kind="fund"),
            {"funds.now": Measure(kind="sum", field="balance")},
            live=False,
        ),
    ]


SECTIONS: dict[str, Callable[[Period], list[Group]]] = {
    "registry": _registry,
    "aid": _aid,
    "cases": _cases,
    "jobs": _jobs,
    "training": _training,
    "legal": _legal,
    "funds": _funds,
}


def groups(period: Period, sections: Iterable[str] | None = None) -> list[Group]:
    return [g for name in (sections or SECTIONS) for g in SECTIONS[name](period)]


def _clean(measure: Measure, value):
    if measure.kind in ("count", "distinct", "total"):
        return value or 0
    if measure.kind == "avg":
        return None if value is None else Decimal(value).quantize(CENT)
    return ((value or ZERO) * measure.sign).quantize(CENT) + ZERO  # + 0: never "-0.00"


def compute(period: Period, units, sections=None, split: dict[int, int] | None = None):
    """Flat figures {key: value}; with `split` ({unit id: bucket}) {bucket: {key: value}},
    each group still one query (grouped by a CASE over the unit ids)."""
    flat: dict = {}
    buckets: dict[int, dict] = {}
    for group in groups(period, sections):
        qs = group.base(units)
        aggregates = {key.replace(".", "__"): _aggregate(m) for key, m in group.measures.items()}
        if split is None:
            row = qs.aggregate(**aggregates)
            for key, m in group.measures.items():
                flat[key] = _clean(m, row[key.replace(".", "__")])
            continue
        by: dict[int, list[int]] = {}
        for unit_id, bucket in split.items():
            by.setdefault(bucket, []).append(unit_id)
        bucket_expr = Case(
            *[
                When(**{f"{group.unit_path}__in": ids}, then=Value(bucket))
                for bucket, ids in by.items()
            ],
            default=Value(-1),
            output_field=models.IntegerField(),
        )
        rows = qs.annotate(_bucket=bucket_expr).values("_bucket").annotate(**aggregates)
        for row in rows.order_by():
            target = buckets.setdefault(row["_bucket"], {})
            for key, m in group.measures.items():
                target[key] = _clean(m, row[key.replace(".", "__")])
        for bucket in by:
            target = buckets.setdefault(bucket, {})
            for key, m in group.measures.items():
                target.setdefault(key, _clean(m, None))
    return flat if split is None else buckets


# --- The API shape ----------------------------------------------------------------------------
def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _shape(flat: dict, sections, by_fund: dict | None) -> dict:
    out: dict = {}
    if "registry" in sections:
        out["registry"] = {
            "registered": flat["registry.registered"],
            "by_level": {v: flat[f"registry.by_level.{v}"] for v in LEVELS},
            "by_main_cause": {v: flat[f"registry.by_main_cause.{v}"] for v in CAUSES},
            "migrant": flat["registry.migrant"],
            "new": flat["registry.new"],
            "lifted": flat["registry.lifted"],
            "closed": flat["registry.closed"],
        }
    if "aid" in sections:
        out["aid"] = {
            "persons": flat["aid.persons"],
            "person_times": flat["aid.person_times"],
            "amount": _money(flat["aid.amount"]),
            "by_type": {t: _money(flat[f"aid.by_type.{t}"]) for t in AID_TYPES},
        }
    if "cases" in sections:
        avg = flat["cases.satisfaction_avg"]
        out["cases"] = {
            "received": flat["cases.received"],
            "by_channel": {c: flat[f"cases.by_channel.{c}"] for c in CHANNELS},
            "resolved": flat["cases.resolved"],
            "overdue": flat["cases.overdue"],
            "answered_late": flat["cases.answered_late"],
            "satisfaction_avg": None if avg is None else float(avg),
        }
    for name, keys in (
        ("jobs", JOBS_KEYS),
        ("training", TRAINING_KEYS),
    ):
        if name in sections:
            out[name] = {k: flat[f"{name}.{k}"] for k in keys}
    if "legal" in sections:
        out["legal"] = {
            "cases": flat["legal.cases"],
            "closed": flat["legal.closed"],
            "amount_recovered": _money(flat["legal.amount_recovered"]),
            "migrant_cases": flat["legal.migrant_cases"],
        }
    if "funds" in sections:
        balance = flat["funds.now"] - flat["funds.after"]
        out["funds"] = {
            "income": _money(flat["funds.income"]),
            "spent": _money(flat["funds.spent"]),
            "balance": _money(balance),
            "by_fund": {
                code: {k: _money(v) for k, v in row.items()}
                for code, row in (by_fund or {}).items()
            },
        }
    return out


JOBS_KEYS = (
    "fairs",
    "positions",
    "guidance_person_times",
    "intents",
    "intents_migrant",
    "placements",
)
TRAINING_KEYS = ("classes", "trainees", "trainees_migrant", "certificates")


def funds_by_fund(period: Period, units) -> dict[str, dict[str, Decimal]]:
    """Every fund managed in the units: income, spent and balance at the end (two queries)."""
    Account = apps.get_model("funds", "Account")
    LedgerEntry = apps.get_model("funds", "LedgerEntry")
    accounts = Account.objects.filter(kind="fund")
    lines = LedgerEntry.objects.filter(account__kind="fund", booked_on__gte=period.date_from)
    if units is not None:
        accounts = accounts.filter(fund__org_unit_id__in=list(units))
        lines = lines.filter(account__fund__org_unit_id__in=list(units))
    in_period = Q(booked_on__range=period.days)
    moved = {
        row["account_id"]: row
        for row in lines.values("account_id")
        .annotate(
            income=Sum("amount", filter=in_period & INCOME_LINES),
            spent=Sum("amount", filter=in_period & SPENT_LINES),
            after=Sum("amount", filter=Q(booked_on__gt=period.date_to)),
        )
        .order_by()
    }
    out = {}
    for account_id, code, balance in accounts.values_list("id", "fund__code", "balance").order_by(
        "fund__code"
    ):
        row = moved.get(account_id, {})
        out[code] = {
            "income": (row.get("income") or ZERO).quantize(CENT),
            "spent": (-(row.get("spent") or ZERO)).quantize(CENT) + ZERO,
            "balance": (balance - (row.get("after") or ZERO)).quantize(CENT),
        }
    return out


def summary(*, user, org_unit=None, date_from, date_to, sections=None) -> dict:
    """API.md's stats summary for the unit's subtree (within the caller's scope)."""
    period = Period(date_from, date_to)
    units = units_for(user, org_unit)
    sections = tuple(sections or SECTIONS)
    flat = compute(period, units, sections)
    by_fund = funds_by_fund(period, units) if "funds" in sections else None
    return {
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "org_unit": org_unit.code if org_unit is not None else None,
        **_shape(flat, sections, by_fund),
    }


# --- Drill-down -------------------------------------------------------------------------------
def figure_keys() -> list[str]:
    """Every key a drill-down answers (the funds' helper sums excluded)."""
    keys = [k for g in groups(year_period(2000)) for k in g.measures]
    return [k for k in keys if k not in ("funds.now", "funds.after")] + ["funds.balance"]


def records(
    key: str, *, user, org_unit=None, date_from, date_to, fund: str = ""
) -> models.QuerySet:
    """The records behind one figure, scoped: their count (or, for amounts, the sum of their
    amounts) equals the figure. Unknown keys raise KeyError."""
    period = Period(date_from, date_to)
    units = units_for(user, org_unit)
    section = key.split(".", 1)[0]
    if section not in SECTIONS:
        raise KeyError(key)
    if key == "funds.balance":  # the fund accounts' lines booked up to the period's end
        LedgerEntry = apps.get_model("funds", "LedgerEntry")
        qs = scoped(user, LedgerEntry).filter(account__kind="fund", booked_on__lte=date_to)
        if units is not None:
            qs = qs.filter(account__fund__org_unit_id__in=list(units))
        return qs.filter(account__fund__code=fund) if fund else qs
    for group in SECTIONS[section](period):
        if key in group.measures and key not in ("funds.now", "funds.after"):
            measure = group.measures[key]
            qs = scoped(user, group.model_class)
            if units is not None:
                qs = qs.filter(**{f"{group.unit_path}__in": list(units)})
            qs = qs.filter(group.where).filter(measure.where)
            if fund:
                qs = qs.filter(account__fund__code=fund)
            if measure.kind == "distinct":
                target = apps.get_model(measure.target)
                return scoped(user, target).filter(pk__in=qs.values(measure.field))
            return qs
    raise KeyError(key)


# --- Series and breakdowns -------------------------------------------------------------------
def monthly(*, user, org_unit=None, year: int, keys: Iterable[str]) -> dict[str, list]:
    """Each figure month by month (flows within the month, stocks at its end); None for the
    months still to come. One query per group for the whole year: each month's conditions
    become that month's filtered aggregates over a single scan."""
    keys = list(keys)
    wanted = set(keys) | ({"funds.now", "funds.after"} if "funds.balance" in keys else set())
    units = units_for(user, org_unit)
    today = timezone.localdate(timezone=TZ)
    months = [m for m in range(1, 13) if month_period(year, m).date_from <= today]
    values: dict[tuple[int, str], object] = {}
    for section in sorted({k.split(".", 1)[0] for k in keys}):
        per_month = {m: SECTIONS[section](month_period(year, m)) for m in months}
        if not months:
            break
        for index, group in enumerate(per_month[months[0]]):
            measured = [k for k in group.measures if k in wanted]
            if not measured:
                continue
            aggregates, rows_of_any_month = {}, Q()
            for m in months:
                month_group = per_month[m][index]
                rows_of_any_month |= month_group.where
                for key in measured:
                    one = month_group.measures[key]
                    where = month_group.where & one.where
                    aggregates[f"m{m}__{key.replace('.', '__')}"] = _aggregate(
                        Measure(where, one.kind, one.field, one.target, one.sign)
                    )
            base = Group(group.model, group.unit_path, rows_of_any_month, {}, group.live)
            row = base.base(units).aggregate(**aggregates)
            for m in months:
                for key in measured:
                    value = row[f"m{m}__{key.replace('.', '__')}"]
                    values[(m, key)] = _clean(group.measures[key], value)
    series: dict[str, list] = {k: [] for k in keys}
    for m in range(1, 13):
        for k in keys:
            if m not in months:
                series[k].append(None)
            elif k == "funds.balance":
                series[k].append(values[(m, "funds.now")] - values[(m, "funds.after")])
            else:
                series[k].append(values[(m, k)])
    return series


def by_unit(*, user, org_unit, date_from, date_to, sections=None) -> list[tuple]:
    """The figures of each unit directly below `org_unit` (its subtree each), plus the
    unit's own records as a last row when it keeps any: one query per group."""
    OrgUnit = apps.get_model("aidcenter", "OrgUnit")
    period = Period(date_from, date_to)
    units = units_for(user, org_unit)
    sections = tuple(sections or SECTIONS)
    children = list(OrgUnit.objects.filter(parent=org_unit).order_by("code"))
    split: dict[int, int] = {}
    for index, child in enumerate(children):
        for unit_id in subtree_ids(child.pk):
            if units is None or unit_id in units:
                split[unit_id] = index
    split[org_unit.pk] = len(children)
    buckets = compute(period, units, sections, split=split)
    rows = []
    for index, unit in enumerate([*children, org_unit]):
        flat = buckets.get(index, {})
        if "funds" in sections:
            flat["funds.balance"] = flat["funds.now"] - flat["funds.after"]
        rows.append((unit, flat))
    return rows


def flat(*, user, org_unit=None, date_from, date_to, sections=None) -> dict:
    """Every figure under its dotted key (funds' balance included): for the pages."""
    values = compute(Period(date_from, date_to), units_for(user, org_unit), sections)
    if "funds.now" in values:
        values["funds.balance"] = values.pop("funds.now") - values.pop("funds.after")
    return values


def year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
