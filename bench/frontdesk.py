"""Front-desk benchmark (issue 4): at the city-scale data set, the server time of

  (a) the desk search (POST /desk/ with an ID suffix, one match opens the card),
  (b) logging a case (cases.desk.case_log: reference number, deadline, case row, its first
      step, history and change capture by trigger),

each beside the raw SQL doing the same work in the same run, with the ratio. Target: both
under 100 ms server time.

    .venv/bin/python bench/citygen.py          # once: the 250,000-file data set
    .venv/bin/python bench/frontdesk.py        # --runs N, --user USERNAME (a front desk)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_url, interleaved, psycopg_url, setup_django  # noqa: E402


def fmt(t) -> str:
    return f"{t.p50:7.1f} / {t.p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--user", default="desk_cs")
    args = parser.parse_args()
    url = bench_url()
    setup_django(url)

    import psycopg
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from aidcenter.scope import unit_ids
    from cases import desk
    from cases.models import Person

    user = get_user_model().objects.select_related("staff__org_unit").get(username=args.user)
    unit = user.staff.org_unit
    ids = sorted(unit_ids(user))
    raw = psycopg.connect(psycopg_url(url), autocommit=True, cursor_factory=psycopg.ClientCursor)
    people = list(
        Person.objects.filter(org_unit_id__in=ids, national_id__isnull=False)
        .order_by("?")
        .values_list("pk", "national_id")[:200]
    )
    print(
        f"user {user.username} at {unit.code}: {len(ids)} units, "
        f"{Person.objects.filter(org_unit_id__in=ids).count()} people in scope"
    )
    client = Client()
    client.force_login(user)
    cursor = iter(range(10**9))

    def page_search():
        _pk, number = people[next(cursor) % len(people)]
        response = client.post("/desk/", {"q": number[-6:]})
        assert response.status_code == 200

    scope = ", ".join(str(i) for i in ids)

    def raw_search():
        _pk, number = people[next(cursor) % len(people)]
        raw.execute(
            f"SELECT p.* FROM cases_person p WHERE p.org_unit_id IN ({scope}) "  # noqa: S608
            "AND p.deleted_at IS NULL AND (p.national_id LIKE %s OR p.phone LIKE %s) "
            "ORDER BY p.name LIMIT 20",
            [f"%{number[-6:]}", f"%{number[-6:]}"],
        ).fetchall()

    def service_log():
        pk, _number = people[next(cursor) % len(people)]
        with transaction.atomic():
            desk.case_log(
                by=user,
                org_unit=unit,
                person=Person(pk=pk, org_unit_id=unit.pk),
                data={"channel": "walk_in", "category": "job_seeking", "summary": "基准测试：求职"},
            )

    def raw_log():
        pk, _number = people[next(cursor) % len(people)]
        now = timezone.now()
        with raw.transaction():
            n = raw.execute(
                "INSERT INTO cases_referencecounter (org_unit_id, year, last) "
                "VALUES (%s, %s, 1) ON CONFLICT (org_unit_id, year) "
                "DO UPDATE SET last = cases_referencecounter.last + 1 RETURNING last",
                [unit.pk, now.year + 1000],
            ).fetchone()[0]
            case_id = raw.execute(
                "INSERT INTO cases_case (id, org_unit_id, version, created_at, updated_at, "
                "create_digest, reference, channel, work_order_no, received_at, received_by_id, "
                "person_id, category, urgency, summary, status, acceptance, extension_reason, "
                "follow_up_remarks, due_on) "
                "VALUES (gen_random_uuid(), %s, 1, %s, %s, '', %s, 'walk_in', '', %s, %s, %s, "
                "'job_seeking', 'normal', '基准测试：求职', 'open', '', '', '', %s) RETURNING id",
                [unit.pk, now, now, f"RAW-{n}", now, user.pk, pk, now.date()],
            ).fetchone()[0]
            raw.execute(
                "INSERT INTO cases_casemove (org_unit_id, case_id, action, from_status, to_status, "
                "by_id, at, note) VALUES (%s, %s, 'logged', '', 'open', %s, %s, '')",
                [unit.pk, case_id, user.pk, now],
            )

    (t_page, t_raw_search), _ = interleaved([page_search, raw_search], args.runs)
    (t_log, t_raw_log), _ = interleaved([service_log, raw_log], args.runs)
    print(f"  {'':<30} {'project p50/p95':>20}   {'raw SQL p50/p95':>20}   ratio p50")
    print(
        f"  {'desk search page (POST /desk/)':<30} {fmt(t_page):>20}   {fmt(t_raw_search):>20}   "
        f"{t_page.p50 / t_raw_search.p50:5.2f}x"
    )
    print(
        f"  {'log a case (service)':<30} {fmt(t_log):>20}   {fmt(t_raw_log):>20}   "
        f"{t_log.p50 / t_raw_log.p50:5.2f}x"
    )
    print(
        "  (raw log: counter, case row and first step only; the service also writes history "
        "and change-capture rows through triggers)"
    )
    ok = t_page.p95 < 100 and t_log.p95 < 100
    print("targets (p95 < 100 ms):", "met" if ok else "NOT met")
    connection.close()


if __name__ == "__main__":
    main()
