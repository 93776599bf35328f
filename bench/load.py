"""Load test (issue 11, item 6): the day's mix against gunicorn at the city-scale data set.

Users are threads, each with its own keep-alive connection (one API key per role), looping over one
kind of work with a think time (a clerk does not click without pause):

  front desk   POST /api/v1/people/search/ (an ID suffix or a name)   50 %
  front desk   POST /api/v1/cases/ (log a walk-in)                      15 %
  officer      GET  /api/v1/stats/summary/?year=…&org_unit=PT            5 %
  sub-center   GET  /api/v1/sync/changes/?since=<its cursor> (poll)     30 %

The number of users steps up (default 10, 25, 50, 100, 200, 300), each step held for
`--hold` seconds after a short ramp; for each step: requests per second, p50/p95/p99 and
errors (anything but 2xx; a 429 counts as an error: the bench raises the per-key rate). The
knee is the first step where throughput stops growing by at least 10 % while p95 more than
doubles; steps below it must show no errors. Gunicorn runs with sync workers (2 × cores + 1)
and the project's production settings (DEBUG=0).

    .venv/bin/python bench/citygen.py       # once: the 250,000-file data set
    .venv/bin/python bench/load.py          # about 3 minutes; --steps 10,50,100 --hold 15
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_url, manage_env, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PORT = 8790
BASE = f"http://127.0.0.1:{PORT}"
MIX = [("search", 50), ("log_case", 15), ("dashboard", 5), ("sync", 30)]
USER_OF = {"search": "desk_cs", "log_case": "desk_cs", "dashboard": "officer", "sync": "sync_cs"}


def manage(env, *args) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def start_gunicorn(env) -> subprocess.Popen:
    workers = 2 * (os.cpu_count() or 1) + 1
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "aidcenter.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--backlog",
            "2048",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(120):
        try:
            if requests.get(f"{BASE}/healthz", timeout=10).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("gunicorn did not start")


def search_terms(url: str) -> list[str]:
    import psycopg
    from common import psycopg_url

    with psycopg.connect(psycopg_url(url)) as conn:
        rows = conn.execute(
            """SELECT p.national_id, p.name FROM cases_person p
               JOIN aidcenter_orgunit u ON u.id = p.org_unit_id
               WHERE u.code = 'PT-CS' AND p.deleted_at IS NULL
               ORDER BY p.id LIMIT 400"""
        ).fetchall()
    terms = [nid[-4:] for nid, _name in rows if nid] + [name for _nid, name in rows]
    return terms or ["1234"]


class User(threading.Thread):
    def __init__(self, kind: str, key: str, think: float, stop: threading.Event, ctx: dict):
        super().__init__(daemon=True)
        self.kind, self.think, self.stop, self.ctx = kind, think, stop, ctx
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {key}"
        self.samples: list[tuple[float, float, int]] = []  # (end time, ms, status)
        self.cursor = ctx.get("cursor", "")

    def request(self):
        if self.kind == "search":
            term = random.choice(self.ctx["terms"])
            return self.session.post(f"{BASE}/api/v1/people/search/", json={"q": term})
        if self.kind == "log_case":
            body = {"channel": "walk_in", "category": "living_hardship", "summary": "来访求助"}
            return self.session.post(f"{BASE}/api/v1/cases/", json=body)
        if self.kind == "dashboard":
            return self.session.get(
                f"{BASE}/api/v1/stats/summary/", params={"year": self.ctx["year"], "org_unit": "PT"}
            )
        response = self.session.get(f"{BASE}/api/v1/sync/changes/", params={"since": self.cursor})
        if response.status_code == 200:
            self.cursor = response.json()["next_cursor"]
        return response

    def run(self):
        time.sleep(random.uniform(0, self.think))  # spread the starts
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                status = self.request().status_code
            except requests.RequestException:
                status = 0
            ended = time.perf_counter()
            self.samples.append((ended, (ended - started) * 1000, status))
            self.stop.wait(random.expovariate(1 / self.think) if self.think else 0)


def pick_kinds(n: int) -> list[str]:
    kinds = []
    for kind, weight in MIX:
        kinds += [kind] * max(1, round(n * weight / 100))
    return kinds[:n] if len(kinds) >= n else kinds + ["search"] * (n - len(kinds))


def run_step(n: int, keys: dict, ctx: dict, think: float, ramp: float, hold: float) -> dict:
    stop = threading.Event()
    users = [User(kind, keys[USER_OF[kind]], think, stop, ctx) for kind in pick_kinds(n)]
    for user in users:
        user.start()
    time.sleep(ramp)
    window_start = time.perf_counter()
    time.sleep(hold)
    window_end = time.perf_counter()
    stop.set()
    for user in users:
        user.join(timeout=70)
    inside = [
        (ms, status, user.kind)
        for user in users
        for end, ms, status in user.samples
        if window_start <= end <= window_end
    ]
    times = [ms for ms, _s, _k in inside]
    errors = sum(1 for _ms, status, _k in inside if not 200 <= status < 300)
    by_kind = {}
    for kind, _w in MIX:
        mine = [ms for ms, _s, k in inside if k == kind]
        by_kind[kind] = round(percentile(mine, 95), 1) if mine else None
    return {
        "users": n,
        "requests": len(inside),
        "rps": round(len(inside) / (window_end - window_start), 1),
        "p50": round(percentile(times, 50), 1) if times else None,
        "p95": round(percentile(times, 95), 1) if times else None,
        "p99": round(percentile(times, 99), 1) if times else None,
        "errors": errors,
        "p95_by_kind": by_kind,
    }


def knee(results: list[dict]) -> int | None:
    for before, after in zip(results, results[1:], strict=False):
        grew = after["rps"] >= before["rps"] * 1.10
        if not grew and after["p95"] > 2 * before["p95"]:
            return after["users"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", default="10,25,50,100,200,300")
    parser.add_argument("--hold", type=float, default=20.0)
    parser.add_argument("--ramp", type=float, default=5.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between clicks")
    parser.add_argument("--year", type=int, default=time.localtime().tm_year)
    args = parser.parse_args()

    url = bench_url()
    env = {
        **manage_env(url),
        "DEBUG": "0",
        "SECURE_SSL": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "API_KEY_RATE": "1000000/min",
    }
    manage(env, "migrate", "--no-input", "-v0")
    keys = {user: manage(env, "issue_token", user) for user in set(USER_OF.values())}
    ctx = {"terms": search_terms(url), "year": args.year}
    server = start_gunicorn(env)
    print(f"gunicorn up; {len(ctx['terms'])} search terms", flush=True)
    try:
        # Sub-centers poll from where they are: page the feed to its end once.
        cursor, session = "", requests.Session()
        session.headers["Authorization"] = f"Token {keys['sync_cs']}"
        while True:
            page = session.get(
                f"{BASE}/api/v1/sync/changes/", params={"since": cursor, "limit": 1000}
            ).json()
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        ctx["cursor"] = cursor
        print("feed paged to its end; stepping users", flush=True)
        results = []
        for n in [int(s) for s in args.steps.split(",")]:
            result = run_step(n, keys, ctx, args.think, args.ramp, args.hold)
            results.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    found = knee(results)
    print(f"\nknee: {found if found else 'not reached'} users")
    below = [r for r in results if found is None or r["users"] < found]
    print("errors below the knee:", sum(r["errors"] for r in below))
    print(f"{'users':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>6}")
    for r in results:
        print(
            f"{r['users']:>6} {r['rps']:>7} {r['p50']:>7} {r['p95']:>7} {r['p99']:>7} "
            f"{r['errors']:>6}"
        )


if __name__ == "__main__":
    main()
