"""Change-feed benchmark (issue 10): at the city-scale data set,

  (a) pulling 100,000 changes from an empty cursor, following next_cursor (limit 1000)
      through the API as a district officer would, beside a raw-SQL reader doing the same
      walk (the change rows in (txid, id) order below the horizon, joined to the current rows
      as JSON) — target: under 60 s;
  (b) an empty poll (the cursor at the end) — target: under 20 ms; beside its raw SQL.

The city data set is loaded without captured changes (bench/citygen.py), so this script first
makes real ones: it touches --changes people of the officer's scope through a plain UPDATE,
which the triggers version and capture like any other write (once; reused after).

    .venv/bin/python bench/citygen.py
    .venv/bin/python bench/feed.py [--changes 100000] [--user officer]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_url, interleaved, psycopg_url, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--user", default="officer")
    args = parser.parse_args()
    url = bench_url()
    setup_django(url)

    import psycopg
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from aidcenter.models import ApiKey, Change
    from aidcenter.scope import unit_ids

    user = get_user_model().objects.get(username=args.user)
    ids = sorted(unit_ids(user))
    raw = psycopg.connect(psycopg_url(url), autocommit=True)
    captured = Change.objects.filter(table_name="cases_person", new_org_unit_id__in=ids).count()
    if captured < args.changes:
        started = time.perf_counter()
        raw.execute(
            "UPDATE cases_person SET phone = phone WHERE id IN (SELECT id FROM cases_person "
            "WHERE org_unit_id = ANY(%s) AND deleted_at IS NULL ORDER BY id LIMIT %s)",
            [ids, args.changes - captured],
        )
        raw.execute("ANALYZE aidcenter_change")
        print(
            f"captured {args.changes - captured} changes in {time.perf_counter() - started:.1f} s"
        )
    total = Change.objects.count()
    print(f"aidcenter_change holds {total} rows; {args.user} sees units {len(ids)}")

    ApiKey.objects.filter(user=user, name="bench-feed").delete()
    _record, key = ApiKey.issue(user=user, name="bench-feed")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    def walk_api() -> tuple[int, str]:
        since, count = None, 0
        while True:
            query = {"limit": 1000} | ({"since": since} if since else {})
            body = client.get("/api/v1/sync/changes/", query).json()
            count += len(body["changes"])
            since = body["next_cursor"]
            if not body["has_more"]:
                return count, since

    page_sql = """
        SELECT c.txid::text, c.id, row_to_json(p)
        FROM aidcenter_change c
        LEFT JOIN cases_person p ON p.id = CASE WHEN c.table_name = 'cases_person'
                                                THEN c.record_id::uuid END
        WHERE (c.txid, c.id) > (%s::xid8, %s)
          AND c.txid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
          AND (c.new_org_unit_id = ANY(%s) OR c.old_org_unit_id = ANY(%s))
        ORDER BY c.txid, c.id LIMIT 1000
    """

    def walk_raw() -> int:
        txid, row_id, count = "0", 0, 0
        while True:
            rows = raw.execute(page_sql, [txid, row_id, ids, ids]).fetchall()
            count += len(rows)
            if len(rows) < 1000:
                return count
            txid, row_id = rows[-1][0], rows[-1][1]

    t0 = time.perf_counter()
    pulled, end_cursor = walk_api()
    api_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw_rows = walk_raw()
    raw_seconds = time.perf_counter() - t0
    print(
        f"(a) full pull from an empty cursor: {pulled} changes in {api_seconds:.1f} s "
        f"(raw SQL walk: {raw_rows} rows in {raw_seconds:.1f} s; "
        f"ratio {api_seconds / raw_seconds:.2f}x)"
        f" — target < 60 s: {'met' if api_seconds < 60 else 'NOT met'}"
    )

    def empty_poll():
        body = client.get("/api/v1/sync/changes/", {"since": end_cursor}).json()
        assert body["changes"] == []

    from aidcenter.feed import decode_cursor

    txid, row_id = decode_cursor(end_cursor)

    def empty_raw():
        raw.execute(page_sql, [str(txid), row_id, ids, ids]).fetchall()

    (t_poll, t_raw), _ = interleaved([empty_poll, empty_raw], runs=200)
    print(
        f"(b) empty poll: p50 {t_poll.p50:.1f} ms, p95 {t_poll.p95:.1f} ms "
        f"(raw SQL p50 {t_raw.p50:.2f} ms; ratio {t_poll.p50 / t_raw.p50:.1f}x) — "
        f"target < 20 ms: {'met' if t_poll.p95 < 20 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
