"""Funds benchmark (issue 5): 1,000,000 ledger entries; a fund's yearly statement (< 500 ms)
and paying an application (< 100 ms), each against the raw SQL doing the same work.

    .venv/bin/python bench/funds_ledger.py [--entries 1000000] [--runs 30] [--rebuild]

The data lives in its own database (BENCH_FUNDS_DB, default `aidcenter_bench_funds`) so it
never meets the registry's bench data or anyone's tests. Entries are loaded by COPY with the
triggers off, balances are then set from the entries' sums, and `reconcile` proves the result
(every balance equals its entries, every transaction sums to zero) before anything is timed.
The timed payments run through every trigger.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.stdout.reconfigure(line_buffering=True)
DB = os.environ.get("BENCH_FUNDS_DB", "aidcenter_bench_funds")
FUNDS = 20
YEARS = (2023, 2024, 2025)
TX_PER_COMMIT = 50_000


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def _pg(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1] if url.startswith("postgres://") else url


def bench_url() -> str:
    import psycopg

    if os.environ.get("DATABASE_URL"):
        base = os.environ["DATABASE_URL"]
    else:
        from aidcenter import devdb

        base = devdb.url()
    with psycopg.connect(_pg(_with_db(base, "postgres")), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone() is None:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f'CREATE DATABASE "{DB}"')
    return _with_db(base, DB)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def report(name: str, ours: list[float], raw: list[float], target_ms: float) -> None:
    p50, p95 = percentile(ours, 50), percentile(ours, 95)
    r50, r95 = percentile(raw, 50), percentile(raw, 95)
    verdict = "OK" if p95 < target_ms else "OVER TARGET"
    print(
        f"{name:<22} project p50 {p50:7.1f} ms  p95 {p95:7.1f} ms | raw SQL p50 {r50:7.1f} ms "
        f"p95 {r95:7.1f} ms | ratio p50 {p50 / r50:5.2f}  (target p95 < {target_ms:.0f} ms: "
        f"{verdict}; mean {statistics.fmean(ours):.1f} ms)"
    )


# --- data -----------------------------------------------------------------------------------
def build(entries: int) -> None:
    """Funds with three years of income and payments, COPY-loaded through the triggers."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from aidcenter.models import OrgUnit, StaffProfile
    from funds import services
    from funds.models import Account

    city, _ = OrgUnit.objects.get_or_create(code="SH", defaults={"name": "市", "kind": "city"})
    district, _ = OrgUnit.objects.get_or_create(
        code="PT", defaults={"name": "普陀区", "kind": "district", "parent": city}
    )
    sub, _ = OrgUnit.objects.get_or_create(
        code="PT-CS", defaults={"name": "长寿路", "kind": "street", "parent": district}
    )
    users = {}
    for username, role, unit in [
        ("bench_admin", "admin", city),
        ("bench_manager", "fund_manager", district),
        ("bench_approver", "fund_approver", district),
        ("bench_desk", "front_desk", sub),
    ]:
        user, _ = get_user_model().objects.get_or_create(username=username)
        StaffProfile.objects.get_or_create(user=user, defaults={"role": role, "org_unit": unit})
        users[role] = get_user_model().objects.get(pk=user.pk)
    funds = [
        services.fund_create(
            by=users["admin"],
            org_unit=district,
            code=f"B-{n:02d}",
            name=f"基金{n:02d}",
            source_kind="local",
        )
        for n in range(FUNDS)
    ]
    accounts = {(a.fund_id, a.kind): a.pk for a in Account.objects.filter(fund__in=funds)}
    manager_id = users["fund_manager"].pk
    rng = random.Random(5)  # noqa: S311
    transactions = entries // 2
    per_fund = transactions // FUNDS
    days = [datetime.date(y, 1, 1) + datetime.timedelta(days=d) for y in YEARS for d in range(365)]
    aid_types = ["living", "medical", "schooling", "holiday", "emergency", "voucher"]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('funds_ledgertransaction_id_seq')")
        next_id = cursor.fetchone()[0] + 1
    raw = connection.connection  # psycopg connection behind Django's
    done = 0
    for fund in funds:
        balance = Decimal("0.00")
        rows_tx, rows_entry = [], []
        # About one income for every 12 payments, spread over the three years in order.
        for i in range(per_fund):
            day = days[i * len(days) // per_fund]
            tx_id = next_id
            next_id += 1
            if i % 12 == 0 or balance < Decimal("6000.00"):
                amount = Decimal(rng.randrange(50_000, 150_000))
                kind, aid_type, own, other = "income", "", amount, ("income", -amount)
            else:
                amount = Decimal(rng.choice([50, 500, 800, 1000, 1500, 2000, 3000, 5000]))
                kind, aid_type = "payment", rng.choice(aid_types)
                own, other = -amount, ("aid", amount)
            balance += own
            rows_tx.append(
                f"{tx_id}\t{fund.pk}\t{kind}\t{aid_type}\t{day}\t\t\\N\t{manager_id}"
                f"\t{day} 09:00:00+08"
            )
            copied = f"{day}\t{kind}\t{aid_type}"
            rows_entry.append(f"{tx_id}\t{accounts[fund.pk, 'fund']}\t{own}\t{copied}")
            rows_entry.append(f"{tx_id}\t{accounts[fund.pk, other[0]]}\t{other[1]}\t{copied}")
        # Loaded with triggers off (session_replication_role = replica): the balance trigger
        # updates one account row per entry, and tens of thousands of updates of one row in a
        # single load transaction walk ever longer version chains. Balances are set from the
        # sums below, and `reconcile` then proves balances and zero sums from the rows.
        with raw.transaction():
            raw.execute("SET LOCAL session_replication_role = replica")
            with raw.cursor().copy(
                "COPY funds_ledgertransaction (id, fund_id, kind, aid_type, booked_on, memo,"
                " reverses_id, created_by_id, created_at) FROM STDIN"
            ) as copy:
                for start in range(0, len(rows_tx), TX_PER_COMMIT):
                    copy.write("\n".join(rows_tx[start : start + TX_PER_COMMIT]) + "\n")
            with raw.cursor().copy(
                "COPY funds_ledgerentry (transaction_id, account_id, amount, booked_on, kind,"
                " aid_type) FROM STDIN"
            ) as copy:
                for start in range(0, len(rows_entry), 2 * TX_PER_COMMIT):
                    copy.write("\n".join(rows_entry[start : start + 2 * TX_PER_COMMIT]) + "\n")
        done += len(rows_tx)
        elapsed = time.perf_counter() - started
        print(f"  {fund.code}: {done * 2:,} entries loaded ({elapsed:.0f} s)")
    with raw.transaction():
        raw.execute("SET LOCAL session_replication_role = replica")
        raw.execute(
            "UPDATE funds_account a SET balance = s.total FROM (SELECT account_id,"
            " sum(amount) AS total FROM funds_ledgerentry GROUP BY account_id) s"
            " WHERE s.account_id = a.id"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('funds_ledgertransaction_id_seq', %s)", [next_id])
        cursor.execute("ANALYZE funds_ledgerentry; ANALYZE funds_ledgertransaction")


def approved_applications(n: int) -> list:
    """n approved applications (people without files; these funds do not require one)."""
    from django.contrib.auth import get_user_model

    from aidcenter.models import OrgUnit
    from cases.models import Person
    from funds.models import AidApplication

    unit = OrgUnit.objects.get(code="PT-CS")
    desk = get_user_model().objects.get(username="bench_desk")
    people = Person.objects.bulk_create(
        [Person(org_unit=unit, name=f"受助人{i}") for i in range(n)]
    )
    return AidApplication.objects.bulk_create(
        [
            AidApplication(
                org_unit=unit,
                person=p,
                aid_type="living",
                amount=Decimal("500.00"),
                payment_method="cash",
                status="approved",
                entered_by=desk,
            )
            for p in people
        ]
    )


# --- the raw SQL baselines ------------------------------------------------------------------
RAW_STATEMENT = [
    "SELECT id FROM funds_account WHERE fund_id = %s AND kind = 'fund'",
    "SELECT sum(amount) FROM funds_ledgerentry WHERE account_id = %s AND booked_on < %s",
    "SELECT kind, aid_type, sum(amount) FROM funds_ledgerentry WHERE account_id = %s"
    " AND booked_on BETWEEN %s AND %s GROUP BY kind, aid_type",
]


def raw_statement(conn, fund_id: int, year: int) -> Decimal:
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    with conn.cursor() as cur:
        account = cur.execute(RAW_STATEMENT[0], [fund_id]).fetchone()[0]
        opening = cur.execute(RAW_STATEMENT[1], [account, start]).fetchone()[0] or 0
        moved = sum(r[2] for r in cur.execute(RAW_STATEMENT[2], [account, start, end]))
    return opening + moved


def raw_pay(conn, application_id, fund_id: int, user_id: int) -> None:
    """The same writes as application_pay, in hand-written SQL: lock the application, lock the
    fund's account, book the transaction with two entries, record the payment, mark it paid."""
    with conn.transaction(), conn.cursor() as cur:
        person, unit, amount, status = cur.execute(
            "SELECT person_id, org_unit_id, amount, status FROM funds_aidapplication"
            " WHERE id = %s FOR UPDATE",
            [application_id],
        ).fetchone()
        assert status == "approved"
        accounts = dict(
            cur.execute("SELECT kind, id FROM funds_account WHERE fund_id = %s", [fund_id])
        )
        balance = cur.execute(
            "SELECT balance FROM funds_account WHERE id = %s FOR UPDATE", [accounts["fund"]]
        ).fetchone()[0]
        assert balance >= amount
        tx = cur.execute(
            "INSERT INTO funds_ledgertransaction (fund_id, kind, aid_type, booked_on, memo,"
            " created_by_id, created_at) VALUES (%s, 'payment', 'living', current_date, %s, %s,"
            " now()) RETURNING id",
            [fund_id, str(application_id), user_id],
        ).fetchone()[0]
        cur.execute(
            "INSERT INTO funds_ledgerentry (transaction_id, account_id, amount)"
            " VALUES (%s, %s, %s), (%s, %s, %s)",
            [tx, accounts["fund"], -amount, tx, accounts["aid"], amount],
        )
        cur.execute(
            "INSERT INTO funds_payment (id, org_unit_id, application_id, person_id, fund_id,"
            " aid_type, amount, method, payee_name, bank_name, bank_account, paid_on, paid_by_id,"
            " paid_at, transaction_id, status, failed_transfer, reversal_reason)"
            " VALUES (gen_random_uuid(), %s, %s, %s, %s, 'living', %s, 'cash', '', '', '',"
            " current_date, %s, now(), %s, 'paid', false, '')",
            [unit, application_id, person, fund_id, amount, user_id, tx],
        )
        cur.execute(
            "UPDATE funds_aidapplication SET status = 'paid' WHERE id = %s", [application_id]
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    url = bench_url()
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    if args.rebuild:
        import psycopg

        base = _with_db(url, "postgres")
        with psycopg.connect(_pg(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        url = bench_url()
    # Only what the funds need (other apps' migrations are not this benchmark's business).
    for app in ("auth", "funds"):
        subprocess.run(
            [sys.executable, "manage.py", "migrate", app, "-v", "0"], cwd=ROOT, env=env, check=True
        )
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="aidcenter.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import psycopg
    from django.contrib.auth import get_user_model

    from funds import services
    from funds.models import Account, Fund, LedgerEntry

    count = LedgerEntry.objects.count()
    if count < args.entries:
        if count:
            sys.exit(f"{DB} holds {count:,} entries; run with --rebuild")
        print(f"building {args.entries:,} ledger entries in {DB} …")
        t0 = time.perf_counter()
        build(args.entries)
        print(f"built in {time.perf_counter() - t0:.0f} s")
    count = LedgerEntry.objects.count()
    problems = services.reconcile()
    print(f"{count:,} ledger entries; reconcile: {'OK' if not problems else problems[:3]}")

    # A fund's yearly statement: the busiest fund, its middle year.
    fund = Fund.objects.filter(code__startswith="B-").order_by("code").first()
    year = YEARS[1]
    own = Account.objects.get(fund=fund, kind="fund")
    print(f"fund {fund.code}: {own.entries.count():,} entries on its own account")
    raw_conn = psycopg.connect(_pg(url), autocommit=True)
    ours, raw = [], []
    start, end = services.year_range(year)
    for i in range(args.runs + 3):
        t0 = time.perf_counter()
        statement = services.fund_statement(fund=fund, date_from=start, date_to=end)
        t1 = time.perf_counter()
        closing = raw_statement(raw_conn, fund.pk, year)
        t2 = time.perf_counter()
        assert closing == statement.closing, (closing, statement.closing)
        if i >= 3:  # warm-up
            ours.append((t1 - t0) * 1000)
            raw.append((t2 - t1) * 1000)
    report("fund statement (year)", ours, raw, 500)

    # Paying an application: each run pays a fresh approved application.
    apps = approved_applications(2 * (args.runs + 3))
    ours, raw = [], []
    for i in range(args.runs + 3):
        application, baseline = apps[2 * i], apps[2 * i + 1]
        # A fresh user per run, as each request has: its scope is resolved again.
        manager = get_user_model().objects.get(username="bench_manager")
        t0 = time.perf_counter()
        services.application_pay(by=manager, application=application, fund=fund)
        t1 = time.perf_counter()
        raw_pay(raw_conn, baseline.pk, fund.pk, manager.pk)
        t2 = time.perf_counter()
        if i >= 3:
            ours.append((t1 - t0) * 1000)
            raw.append((t2 - t1) * 1000)
    report("pay an application", ours, raw, 100)
    problems = services.reconcile()
    print(f"reconcile after paying: {'OK' if not problems else problems[:3]}")


if __name__ == "__main__":
    main()
