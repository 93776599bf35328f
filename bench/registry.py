"""Registry benchmark at city scale: the project's code path beside the raw SQL of the same work.

    .venv/bin/python bench/registry.py                  # every part, 200 runs each
    .venv/bin/python bench/registry.py --runs 50 --only search --explain

Needs the data of bench/citygen.py (run it first). Timings are wall-clock in this process
("server-side": no network, no browser), p50/p95 in milliseconds over --runs runs, project and
raw alternated run by run so that drift hits both alike:

  (a) search: cases.services.search_people(user=<district officer>, q=...), first 50 results,
      for the last 4 and last 6 characters of an ID number, 2 characters of a name and 8 digits
      of a phone — against (b) the same WHERE / ORDER BY / LIMIT in raw SQL through psycopg.
      Each run takes the next of 20 terms sampled from the officer's scope.
  (c) API list pages /api/v1/workers/ and /api/v1/people/ (50 rows, the officer's API key)
      through DRF's APIClient, against the raw SQL of the same page (the rows and the count).
  (d) admin changelists /admin/cases/person/ and /admin/cases/worker/ through Django's test
      Client (the officer logged in), against the raw SQL of the same page.

For (c) and (d) a third column replays the SELECTs that Django ran for the page through
psycopg: the database's share of the page, so the rest is Python (ORM, serializers,
templates). Parts whose code does not exist yet are reported as missing.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Timing, bench_url, interleaved, psycopg_url, setup_django  # noqa: E402

SEARCH_TARGET_MS = 30.0
API_TARGET_RATIO = 3.0
TERMS = 20

PERSON_COLS = (
    "p.id, p.version, p.created_at, p.updated_at, p.deleted_at, p.create_digest, p.name,"
    " p.phone, p.national_id, p.sex, p.birth_date, p.is_migrant, p.hukou, p.org_unit_id"
)
WORKER_COLS = (
    "w.id, w.version, w.created_at, w.updated_at, w.deleted_at, w.create_digest, w.address,"
    " w.employer_name, w.union_member_no, w.employment_status, w.household_income_year,"
    " w.major_costs_year, w.income_per_head, w.hardship_level, w.main_cause,"
    " w.secondary_causes, w.file_level, w.national_file_no, w.is_model_worker, w.status,"
    " w.consent_signed_on, w.home_visit_on, w.home_visit_note, w.notice_starts_on,"
    " w.notice_ends_on, w.submitted_at, w.decided_at, w.decision_opinion, w.registered_on,"
    " w.last_reviewed_on, w.ended_on, w.end_reason, w.decided_by_id, w.entered_by_id,"
    " w.org_unit_id, w.person_id"
)


def fmt(t: Timing | None) -> str:
    return "        -        " if t is None else f"{t.p50:7.1f} /{t.p95:7.1f}"


def row(label: str, project: Timing | None, raw: Timing | None, extra: str = "") -> str:
    ratio = ""
    if project is not None and raw is not None:
        ratio = f"{project.p50 / raw.p50:6.2f}x {project.p95 / raw.p95:6.2f}x"
    return f"  {label:<34} {fmt(project)}   {fmt(raw)}   {ratio:<16} {extra}"


HEADER = f"  {'':<34} {'project p50/p95':>17}   {'raw SQL p50/p95':>17}   {'ratio p50 p95':<16}"


class Bench:
    def __init__(self, args):
        import psycopg
        from django.contrib.auth import get_user_model

        from aidcenter.scope import unit_ids

        self.args = args
        self.url = psycopg_url(bench_url())
        # Client-side binding, as Django's backend does: the same literal SQL reaches the
        # server (server-side binding would switch to generic plans after 5 executions).
        self.raw = psycopg.connect(self.url, autocommit=True, cursor_factory=psycopg.ClientCursor)
        self.user = (
            get_user_model().objects.select_related("staff__org_unit").get(username=args.user)
        )
        ids = unit_ids(self.user)
        self.scope_ids = None if ids is None else sorted(ids)
        self.missing: list[str] = []
        self.concerns: list[str] = []

    # --- helpers ----------------------------------------------------------------------------
    def scope_sql(self, alias: str) -> str:
        if self.scope_ids is None:
            return "TRUE"
        # Integers from the database, not user input.
        return f"{alias}.org_unit_id IN ({', '.join(str(i) for i in self.scope_ids)})"

    def fetch(self, sql: str, params=None):
        return self.raw.execute(sql, params).fetchall()

    def explain(self, sql: str, params=None) -> str:
        rows = self.raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
        return "\n".join("      " + r[0] for r in rows)

    def execution_ms(self, sql: str, params=None) -> float:
        plan = self.explain(sql, params)
        found = re.search(r"Execution Time: ([\d.]+) ms", plan)
        return float(found.group(1)) if found else float("nan")

    # --- (a)/(b) search -----------------------------------------------------------------------
    def search_terms(self) -> dict[str, list[str]]:
        sample = self.fetch(
            f"SELECT national_id, name, phone FROM cases_person p WHERE {self.scope_sql('p')}"  # noqa: S608
            " AND p.deleted_at IS NULL AND p.national_id IS NOT NULL AND p.phone <> ''"
            f" ORDER BY md5(p.id::text) LIMIT {TERMS}"
        )
        return {
            "ID last 4": [r[0][-4:] for r in sample],
            "ID last 6": [r[0][-6:] for r in sample],
            "name, 2 chars": [r[1][:2] for r in sample],
            "phone, 8 digits": [r[2][-8:] for r in sample],
        }

    def raw_search_sql(self, q: str) -> tuple[str, list]:
        """The WHERE of cases.services.search_people, hand-written, with the same order."""
        where = [self.scope_sql("p"), "p.deleted_at IS NULL"]
        params: list = []
        if re.fullmatch(r"\d{17}[\dX]", q):
            where.append("p.national_id = %s")
            params.append(q)
        elif re.fullmatch(r"[\dX]+", q):
            # 4–6 characters: the ID number's (or a phone's) last characters; longer: anywhere.
            pattern = f"%{q}" if len(q) <= 6 else f"%{q}%"
            if q.isdigit():
                where.append("(p.national_id LIKE %s OR p.phone LIKE %s)")
                params += [pattern, pattern]
            else:
                where.append("p.national_id LIKE %s")
                params.append(pattern)
        elif len(q) <= 2:
            where.append("(p.name LIKE %s OR p.name LIKE %s)")
            params += [f"{q}%", f"%{q}"]
        else:
            where.append("p.name LIKE %s")
            params.append(f"%{q}%")
        sql = f"SELECT {PERSON_COLS} FROM cases_person p WHERE {' AND '.join(where)}"  # noqa: S608
        return sql + " ORDER BY lower(p.name), p.id LIMIT 50", params

    def search(self) -> None:
        from cases.services import search_people

        print(f"\n(a)/(b) search_people vs raw SQL, first 50 results, {self.args.runs} runs each")
        print(HEADER + "   rows  server exec p50 (EXPLAIN ANALYZE)")
        for label, terms in self.search_terms().items():
            state = {"i": 0, "j": 0}

            def project(terms=terms, state=state):
                q = terms[state["i"] % len(terms)]
                state["i"] += 1
                return list(search_people(user=self.user, q=q)[:50])

            def raw(terms=terms, state=state):
                q = terms[state["j"] % len(terms)]
                state["j"] += 1
                sql, params = self.raw_search_sql(q)
                return self.fetch(sql, params)

            (tp, tr), _ = interleaved([project, raw], self.args.runs)
            # Same rows? (first term; the ORM and the raw SQL must agree)
            first = terms[0]
            mine = [str(p.pk) for p in search_people(user=self.user, q=first)[:50]]
            sql, params = self.raw_search_sql(first)
            theirs = [str(r[0]) for r in self.fetch(sql, params)]
            same = "" if sorted(mine) == sorted(theirs) else "  ROWS DIFFER"
            execs = sorted(self.execution_ms(*self.raw_search_sql(q)) for q in terms)
            exec_p50 = execs[len(execs) // 2]
            print(row(label, tp, tr, f"{len(mine):5d}  {exec_p50:7.1f} ms{same}"))
            if tp.p95 > SEARCH_TARGET_MS or self.args.explain:
                slowest = max(terms, key=lambda q: self.execution_ms(*self.raw_search_sql(q)))
                self.concerns.append(
                    f"search {label!r}: project p95 {tp.p95:.1f} ms"
                    f" (target {SEARCH_TARGET_MS:.0f} ms); EXPLAIN ANALYZE of the slowest term"
                    f" {'(masked)' if label.startswith('ID') else repr(slowest)}:\n"
                    + self.explain(*self.raw_search_sql(slowest))
                )

    # --- (c) API and (d) admin pages ---------------------------------------------------------
    def replay_selects(self, queries: list[dict]):
        selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]

        def replay():
            for sql in selects:
                self.raw.execute(sql).fetchall()

        return replay, len(selects)

    def page(self, label: str, client, url: str, raw_fn, count_rows) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        response = client.get(url)
        if response.status_code != 200:
            print(row(label, None, None, f"HTTP {response.status_code}: skipped"))
            self.missing.append(f"{label} {url}: HTTP {response.status_code}")
            return
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        queries = list(captured.captured_queries)  # the log is reset by later requests
        rows = count_rows(response)
        replay, n_selects = self.replay_selects(queries)

        def project():
            return client.get(url)

        (tp, tr, tx), _ = interleaved(
            [project, raw_fn, replay], self.args.runs, max_seconds=self.args.max_seconds
        )
        print(
            row(label, tp, tr, f"{rows:4d}  {len(queries):3d} q  ")
            + f"{tx.p50:6.1f} /{tx.p95:6.1f}  ({n_selects} SELECTs, {tp.runs} runs)"
        )
        if tp.p50 / tr.p50 > API_TARGET_RATIO:
            self.concerns.append(
                f"{label}: {tp.p50 / tr.p50:.1f}x its raw SQL at p50"
                f" (the API target is < {API_TARGET_RATIO:.0f}x); Django's SQL replayed takes"
                f" {tx.p50:.0f} ms of its {tp.p50:.0f} ms. Slowest queries of the page:"
            )
            selects = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
            for query in sorted(selects, key=lambda q: -float(q["time"]))[:2]:
                sql = query["sql"]
                short = sql if len(sql) < 400 else sql[:200] + " … " + sql[-200:]
                self.concerns.append(
                    f"  {float(query['time']) * 1000:.0f} ms: {short}\n" + self.explain(sql)
                )
        return tp, tr

    def raw_worker_page(self, order: str, per_page: int):
        def run():
            rows = self.fetch(
                f"SELECT {WORKER_COLS}, p.name, p.phone, p.national_id, p.sex, p.birth_date,"  # noqa: S608
                " p.is_migrant, p.hukou, u.code, u.name,"
                " (SELECT count(*) FROM cases_householdmember m"
                "   WHERE m.worker_id = w.id AND m.deleted_at IS NULL)"
                " FROM cases_worker w JOIN cases_person p ON p.id = w.person_id"
                " JOIN aidcenter_orgunit u ON u.id = w.org_unit_id"
                f" WHERE w.deleted_at IS NULL AND {self.scope_sql('w')}"
                f" ORDER BY {order} LIMIT {per_page}"
            )
            total = self.fetch(
                f"SELECT count(*) FROM cases_worker w WHERE w.deleted_at IS NULL"  # noqa: S608
                f" AND {self.scope_sql('w')}"
            )
            return rows, total

        return run

    def raw_person_page(self, order: str, per_page: int):
        def run():
            rows = self.fetch(
                f"SELECT {PERSON_COLS}, u.code, u.name,"  # noqa: S608
                " (SELECT m.worker_id FROM cases_householdmember m"
                "   WHERE m.person_id = p.id AND m.file_active LIMIT 1)"
                " FROM cases_person p JOIN aidcenter_orgunit u ON u.id = p.org_unit_id"
                f" WHERE p.deleted_at IS NULL AND {self.scope_sql('p')}"
                f" ORDER BY {order} LIMIT {per_page}"
            )
            total = self.fetch(
                f"SELECT count(*) FROM cases_person p WHERE p.deleted_at IS NULL"  # noqa: S608
                f" AND {self.scope_sql('p')}"
            )
            return rows, total

        return run

    def api(self) -> None:
        from rest_framework.test import APIClient

        from aidcenter.models import ApiKey

        print(f"\n(c) API list pages vs raw SQL of the same page, {self.args.runs} runs each")
        print(HEADER + "   rows  queries  replay of Django's SELECTs p50/p95")
        try:
            from django.urls import resolve

            resolve("/api/v1/workers/")
            resolve("/api/v1/people/")
        except Exception as exc:  # noqa: BLE001 - reported, the rest still runs
            print(f"  missing: the registry API ({type(exc).__name__}: {exc})")
            self.missing.append(f"(c) API: {type(exc).__name__}: {exc}")
            return
        ApiKey.objects.filter(user=self.user, name="bench/registry.py").delete()
        _record, key = ApiKey.issue(user=self.user, name="bench/registry.py")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

        def count_api(response):
            return len(response.json().get("results", []))

        for label, url, raw_fn in (
            (
                "GET /api/v1/workers/",
                "/api/v1/workers/",
                self.raw_worker_page("w.created_at DESC", 50),
            ),
            ("GET /api/v1/people/", "/api/v1/people/", self.raw_person_page("p.name, p.id", 50)),
        ):
            self.page(label, client, url, raw_fn, count_api)
        # The posted search too: the API path of (a).
        try:
            resolve("/api/v1/people/search/")
        except Exception:  # noqa: BLE001
            return
        terms = self.search_terms()["name, 2 chars"]
        state = {"i": 0, "j": 0}

        def project():
            q = terms[state["i"] % len(terms)]
            state["i"] += 1
            return client.post("/api/v1/people/search/", {"q": q}, format="json")

        def raw():
            q = terms[state["j"] % len(terms)]
            state["j"] += 1
            sql, params = self.raw_search_sql(q)
            return self.fetch(sql, params)

        first = project()
        if first.status_code != 200:
            print(row("POST /api/v1/people/search/", None, None, f"HTTP {first.status_code}"))
            return
        (tp, tr), _ = interleaved([project, raw], self.args.runs)
        print(row("POST /api/v1/people/search/ (name)", tp, tr, f"{count_api(first):4d}"))

    def admin(self) -> None:
        from django.contrib import admin
        from django.test import Client

        from cases.models import Person, Worker

        print(f"\n(d) admin changelists vs raw SQL of the same page, {self.args.runs} runs each")
        print(HEADER + "   rows  queries  replay of Django's SELECTs p50/p95")
        client = Client()
        client.force_login(self.user)

        def count_rows(response):
            html = response.content.decode()
            table = html[html.find('id="result_list"') :]
            return table[table.find("<tbody") : table.find("</tbody>")].count("<tr")

        for model, url in ((Person, "/admin/cases/person/"), (Worker, "/admin/cases/worker/")):
            label = f"GET {url}"
            model_admin = admin.site._registry.get(model)
            if model_admin is None:
                print(f"  {label:<34} missing: {model.__name__} is not registered in the admin")
                self.missing.append(f"(d) admin: {model.__name__} not registered")
                continue
            per_page = model_admin.list_per_page
            ordering = list(model_admin.ordering or model._meta.ordering or ["-pk"])
            alias = "p" if model is Person else "w"
            order = ", ".join(
                f"{alias}.{o.lstrip('-')} DESC" if o.startswith("-") else f"{alias}.{o}"
                for o in ordering
                if "__" not in o
            )
            order += f", {alias}.id DESC"  # the admin adds the pk for a stable order
            raw_fn = (
                self.raw_person_page(order, per_page)
                if model is Person
                else self.raw_worker_page(order, per_page)
            )
            self.page(label, client, url, raw_fn, count_rows)

    def run(self) -> None:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM cases_worker")
            files = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM cases_person")
            people = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM cases_person WHERE " + self.scope_sql("cases_person"))
            in_scope = cur.fetchone()[0]
        staff = self.user.staff
        print(
            f"data: {files:,} household files, {people:,} people; user {self.user.username!r}"
            f" ({staff.role} at {staff.org_unit.code}) sees {in_scope:,} people in"
            f" {len(self.scope_ids or [])} units"
        )
        if files < 1000:
            sys.exit("no bench data: run `.venv/bin/python bench/citygen.py` first")
        only = self.args.only
        if only in (None, "search"):
            self.search()
        if only in (None, "api"):
            self.api()
        if only in (None, "admin"):
            self.admin()
        if self.concerns:
            print("\nconcerns:")
            for concern in self.concerns:
                print("  - " + concern)
        if self.missing:
            print("\nmissing (re-run when it lands):")
            for item in self.missing:
                print("  - " + item)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--user", default="officer", help="a district officer of the bench data")
    parser.add_argument("--only", choices=["search", "api", "admin"])
    parser.add_argument("--explain", action="store_true", help="print every search plan")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=90,
        help="time budget per page (at least 20 runs): slow pages stop before --runs",
    )
    args = parser.parse_args()

    warnings.filterwarnings("ignore", message="No directory at")  # STATIC_ROOT, unused here
    # The throttle would otherwise count the benchmark's own requests.
    os.environ.setdefault("API_KEY_RATE", "1000000/min")
    setup_django(bench_url())
    from django.conf import settings

    # DEBUG wraps every cursor to record its queries; production runs without it.
    settings.DEBUG = False
    started = time.perf_counter()
    Bench(args).run()
    print(f"\nelapsed: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
