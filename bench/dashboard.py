"""Dashboard benchmark (issue 9): the year's stats summary for the whole city.

    .venv/bin/python bench/dashboard.py [--runs 20] [--year 2026] [--cases 100000]

On the city-scale data set (bench/citygen.py: 250,000 household files), plus a year of front
desk cases added here once (`--cases`, by INSERT … SELECT with the capture triggers skipped,
as citygen does), and 5 % of the files given a status history (approved, some lifted after
the year). Times `stats.figures.summary` for an admin over the whole city beside the same
figures by hand-written SQL (one statement per section, FILTER clauses) in the same run,
alternating, and checks both give the same numbers. Target: p50 < 500 ms, ratio ≤ 1.5.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_url, interleaved, psycopg_url, setup_django  # noqa: E402

STATUS_EVENTS = "('approved','rejected','lifted','closed','reopened')"


def add_year(conn, year: int, cases: int) -> None:
    """A year of cases and a status history for some files, once."""
    marker = f"BENCH-{year}-%"
    have = conn.execute("SELECT count(*) FROM cases_case WHERE reference LIKE %s", [marker])
    if have.fetchone()[0] >= cases:
        return
    print(f"adding {cases:,} cases of {year} and file histories …")
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("DELETE FROM cases_case WHERE reference LIKE %s", [marker])
        rows = conn.execute("SELECT id FROM aidcenter_orgunit WHERE parent_id IS NOT NULL")
        units = [r[0] for r in rows]
        user = conn.execute("SELECT min(id) FROM auth_user").fetchone()[0]
        conn.execute(
            """
            INSERT INTO cases_case (id, org_unit_id, version, created_at, updated_at, deleted_at,
                create_digest, reference, channel, work_order_no, received_at, received_by_id,
                category, urgency, summary, status, accept_due_on, acceptance, due_on,
                extended_to, extension_reason, resolved_at, closed_at, satisfaction,
                follow_up_remarks)
            SELECT gen_random_uuid(),
                (%(units)s::bigint[])[1 + i %% cardinality(%(units)s::bigint[])],
                1, now(), now(), NULL, '', 'BENCH-' || %(year)s || '-' || i,
                (ARRAY['walk_in','hotline','letter','online','referral'])[1 + i %% 5], '',
                r.at, %(user)s, 'other', 'normal', '案', CASE WHEN i %% 5 = 0 THEN 'open'
                ELSE 'resolved' END, NULL, '', (r.at + interval '15 days')::date, NULL, '',
                CASE WHEN i %% 5 = 0 THEN NULL ELSE r.at + (i %% 20) * interval '1 day' END,
                NULL, CASE WHEN i %% 3 = 0 THEN 1 + i %% 5 END, ''
            FROM generate_series(1, %(n)s) i,
                LATERAL (SELECT make_timestamptz(%(year)s, 1, 1, 0, 0, 0, 'Asia/Shanghai')
                         + (i::float / %(n)s) * interval '364 days' AS at) r
            """,
            {"units": units, "year": year, "n": cases, "user": user},
        )
        conn.execute(
            f"DELETE FROM cases_fileevent WHERE note = 'bench' AND kind IN {STATUS_EVENTS}"
        )
        # 5 % of the registered files: approved in the year; a fifth of those lifted after it.
        conn.execute(
            """
            INSERT INTO cases_fileevent (org_unit_id, worker_id, kind, "on", by_id, at, note)
            SELECT org_unit_id, id, 'approved',
                   make_date(%(year)s::int, (1 + n %% 12)::int, (1 + n %% 28)::int),
                   %(user)s, now(), 'bench'
            FROM (SELECT w.*, row_number() OVER (ORDER BY id) n FROM cases_worker w
                  WHERE status = 'registered') w WHERE n %% 20 = 0
            """,
            {"year": year, "user": user},
        )
        conn.execute(
            """
            INSERT INTO cases_fileevent (org_unit_id, worker_id, kind, "on", by_id, at, note)
            SELECT org_unit_id, worker_id, 'lifted', make_date(%(year)s::int + 1, 1, 15), by_id,
                   now(), 'bench'
            FROM cases_fileevent WHERE note = 'bench' AND kind = 'approved' AND id %% 5 = 0
            """,
            {"year": year},
        )
    conn.execute("ANALYZE cases_case")
    conn.execute("ANALYZE cases_fileevent")


def raw_sql(conn, year: int) -> dict:
    """The same figures by hand: one statement per section over the whole city."""
    d0, d1 = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    start = f"{year}-01-01 00:00:00+08"
    end = f"{year + 1}-01-01 00:00:00+08"
    today = min(d1, datetime.date.today())
    p = {"d0": d0, "d1": d1, "start": start, "end": end, "today": today}
    out = {}
    out["registry"] = conn.execute(
        f"""
        WITH after AS (SELECT worker_id FROM cases_fileevent
                       WHERE kind IN {STATUS_EVENTS} AND "on" > %(d1)s),
        last AS (SELECT DISTINCT ON (e.worker_id) e.worker_id, e.kind FROM cases_fileevent e
                 WHERE e.kind IN {STATUS_EVENTS} AND e."on" <= %(d1)s
                   AND e.worker_id IN (SELECT worker_id FROM after)
                 ORDER BY e.worker_id, e."on" DESC, e.at DESC, e.id DESC)
        SELECT count(*), count(*) FILTER (WHERE w.hardship_level = 'deep'),
               count(*) FILTER (WHERE w.head_is_migrant)
        FROM cases_worker w
        WHERE w.deleted_at IS NULL AND (
            (w.status = 'registered' AND w.registered_on <= %(d1)s
             AND w.id NOT IN (SELECT worker_id FROM after))
            OR (w.status IN ('lifted', 'closed') AND w.registered_on <= %(d1)s
                AND w.ended_on > %(d1)s AND w.id NOT IN (SELECT worker_id FROM cases_fileevent
                                                         WHERE kind IN {STATUS_EVENTS}))
            OR w.id IN (SELECT worker_id FROM last WHERE kind = 'approved'))
        """,
        p,
    ).fetchone()
    out["flows"] = conn.execute(
        f"""
        WITH moved AS (SELECT worker_id, kind FROM cases_fileevent
                       WHERE kind IN ('approved', 'lifted', 'closed')
                         AND "on" BETWEEN %(d0)s AND %(d1)s),
             ever AS (SELECT worker_id FROM cases_fileevent WHERE kind IN {STATUS_EVENTS})
        SELECT
          count(*) FILTER (WHERE w.id IN (SELECT worker_id FROM moved WHERE kind = 'approved')
              OR (w.registered_on BETWEEN %(d0)s AND %(d1)s
                  AND w.id NOT IN (SELECT worker_id FROM ever))),
          count(*) FILTER (WHERE w.id IN (SELECT worker_id FROM moved WHERE kind = 'lifted')
              OR (w.status = 'lifted' AND w.ended_on BETWEEN %(d0)s AND %(d1)s
                  AND w.id NOT IN (SELECT worker_id FROM ever))),
          count(*) FILTER (WHERE w.id IN (SELECT worker_id FROM moved WHERE kind = 'closed')
              OR (w.status = 'closed' AND w.ended_on BETWEEN %(d0)s AND %(d1)s
                  AND w.id NOT IN (SELECT worker_id FROM ever)))
        FROM cases_worker w WHERE w.deleted_at IS NULL
        """,
        p,
    ).fetchone()
    out["cases"] = conn.execute(
        """
        SELECT count(*) FILTER (WHERE received_at >= %(start)s AND received_at < %(end)s),
               count(*) FILTER (WHERE received_at >= %(start)s AND received_at < %(end)s
                                AND channel = 'hotline'),
               count(*) FILTER (WHERE received_at >= %(start)s AND received_at < %(end)s
                                AND resolved_at < %(end)s),
               avg(satisfaction) FILTER (WHERE received_at >= %(start)s
                                         AND received_at < %(end)s),
               count(*) FILTER (WHERE resolved_at >= %(start)s AND resolved_at < %(end)s
                                AND (resolved_at AT TIME ZONE 'Asia/Shanghai')::date
                                    > coalesce(extended_to, due_on)),
               count(*) FILTER (WHERE received_at < %(today)s::date + 1
                                AND resolved_at IS NULL
                                AND status IN ('open', 'in_progress', 'referred')
                                AND coalesce(extended_to, due_on) < %(today)s)
        FROM cases_case WHERE deleted_at IS NULL
        """,
        p,
    ).fetchone()
    out["aid"] = conn.execute(
        """
        SELECT count(DISTINCT person_id), count(*), coalesce(sum(amount), 0)
        FROM funds_payment p LEFT JOIN funds_ledgertransaction r ON r.id = p.reversal_id
        WHERE paid_on BETWEEN %(d0)s AND %(d1)s AND (p.status = 'paid' OR r.booked_on > %(d1)s)
        """,
        p,
    ).fetchone()
    out["jobs"] = conn.execute(
        """
        SELECT (SELECT count(*) FROM jobs_jobfair WHERE held_on BETWEEN %(d0)s AND %(d1)s),
               (SELECT count(*) FROM jobs_guidance WHERE deleted_at IS NULL
                  AND held_on BETWEEN %(d0)s AND %(d1)s),
               (SELECT count(*) FROM jobs_intent WHERE deleted_at IS NULL
                  AND reached_on BETWEEN %(d0)s AND %(d1)s),
               (SELECT count(*) FROM jobs_placement WHERE deleted_at IS NULL
                  AND started_on BETWEEN %(d0)s AND %(d1)s),
               (SELECT coalesce(sum(v.positions), 0) FROM jobs_vacancy v
                  LEFT JOIN jobs_jobfair f ON f.id = v.job_fair_id
                  WHERE f.held_on BETWEEN %(d0)s AND %(d1)s
                     OR (v.job_fair_id IS NULL AND v.opened_on BETWEEN %(d0)s AND %(d1)s))
        """,
        p,
    ).fetchone()
    out["training"] = conn.execute(
        """
        SELECT (SELECT count(*) FROM training_trainingclass
                  WHERE starts_on BETWEEN %(d0)s AND %(d1)s),
               (SELECT count(DISTINCT e.person_id) FROM training_enrolment e
                  JOIN training_trainingclass c ON c.id = e.training_class_id
                  WHERE e.deleted_at IS NULL AND e.status IN ('enrolled', 'completed')
                    AND c.starts_on BETWEEN %(d0)s AND %(d1)s),
               (SELECT count(*) FROM training_certificate WHERE deleted_at IS NULL
                  AND issued_on BETWEEN %(d0)s AND %(d1)s)
        """,
        p,
    ).fetchone()
    out["legal"] = conn.execute(
        """
        SELECT (SELECT count(*) FROM legal_legalcase WHERE deleted_at IS NULL
                  AND opened_on BETWEEN %(d0)s AND %(d1)s),
               (SELECT count(*) FROM legal_legalcase WHERE deleted_at IS NULL
                  AND closed_on BETWEEN %(d0)s AND %(d1)s),
               (SELECT coalesce(sum(r.amount), 0) FROM legal_recovery r
                  JOIN legal_claimant c ON c.id = r.claimant_id
                  JOIN legal_legalcase l ON l.id = c.legal_case_id
                  WHERE l.deleted_at IS NULL AND r.recovered_on BETWEEN %(d0)s AND %(d1)s)
        """,
        p,
    ).fetchone()
    out["funds"] = conn.execute(
        """
        SELECT a.id, f.code, a.balance,
               coalesce(sum(e.amount) FILTER (WHERE e.booked_on <= %(d1)s AND (e.kind = 'income'
                   OR (e.kind = 'reversal' AND e.aid_type = ''))), 0),
               coalesce(sum(e.amount) FILTER (WHERE e.booked_on > %(d1)s), 0)
        FROM funds_account a JOIN funds_fund f ON f.id = a.fund_id
        LEFT JOIN funds_ledgerentry e ON e.account_id = a.id AND e.booked_on >= %(d0)s
        WHERE a.kind = 'fund' GROUP BY a.id, f.code
        """,
        p,
    ).fetchall()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--year", type=int, default=datetime.date.today().year)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()

    url = bench_url()
    setup_django(url)
    import psycopg
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from aidcenter.models import OrgUnit
    from stats import figures

    settings.DEBUG = False
    conn = psycopg.connect(psycopg_url(url), autocommit=True)
    add_year(conn, args.year, args.cases)
    admin = get_user_model().objects.filter(is_superuser=True).first()
    if admin is None or getattr(admin, "staff", None) is None:
        admin = next(u for u in get_user_model().objects.all() if figures.unit_ids(u) is None)
    city = OrgUnit.objects.get(parent__isnull=True)
    d0, d1 = datetime.date(args.year, 1, 1), datetime.date(args.year, 12, 31)

    def ours():
        if hasattr(admin, "_aid_scope_unit_ids"):
            del admin._aid_scope_unit_ids  # a new request resolves the scope again
        return figures.summary(user=admin, org_unit=city, date_from=d0, date_to=d1)

    def raw():
        return raw_sql(conn, args.year)

    (t_ours, t_raw), (s, r) = interleaved([ours, raw], args.runs)
    # Both give the same numbers.
    reg, cases, aid = r["registry"], r["cases"], r["aid"]
    assert s["registry"]["registered"] == reg[0], (s["registry"], reg)
    assert s["registry"]["by_level"]["deep"] == reg[1] and s["registry"]["migrant"] == reg[2]
    assert (s["registry"]["new"], s["registry"]["lifted"], s["registry"]["closed"]) == tuple(
        r["flows"]
    ), (s["registry"], r["flows"])
    assert s["cases"]["received"] == cases[0] and s["cases"]["by_channel"]["hotline"] == cases[1]
    assert s["cases"]["resolved"] == cases[2] and s["cases"]["answered_late"] == cases[4]
    assert (s["aid"]["persons"], s["aid"]["person_times"]) == (aid[0], aid[1])
    assert Decimal(s["aid"]["amount"]) == aid[2]
    income = sum((row[3] for row in r["funds"]), Decimal("0"))
    balance = sum((row[2] - row[4] for row in r["funds"]), Decimal("0"))
    assert Decimal(s["funds"]["income"]) == income, (s["funds"]["income"], income)
    assert Decimal(s["funds"]["balance"]) == balance
    print(
        f"city {args.year}: {s['registry']['registered']:,} files registered at the end, "
        f"{s['cases']['received']:,} cases received, {s['registry']['new']:,} new files"
    )
    print(f"{'':28} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'stats.figures.summary':28} {t_ours.p50:8.1f} {t_ours.p95:8.1f}")
    print(f"{'hand-written SQL':28} {t_raw.p50:8.1f} {t_raw.p95:8.1f}")
    ratio50, ratio95 = t_ours.p50 / t_raw.p50, t_ours.p95 / t_raw.p95
    verdict = "OK" if t_ours.p50 < 500 and ratio50 <= 1.5 else "MISSED"
    print(f"ratio p50 {ratio50:.2f}, p95 {ratio95:.2f} (target < 500 ms and ≤ 1.5×): {verdict}")


if __name__ == "__main__":
    main()
