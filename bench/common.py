"""What the benchmarks share: the bench database's URL, Django set-up against it, timing.

The bench data lives in its own database, `aidcenter_bench`, on the same server as the
application database: the embedded PostgreSQL of aidcenter/devdb.py, or the server of
DATABASE_URL when that is set (its database name is swapped for ours).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DB_NAME", "aidcenter_bench")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# Progress lines appear as they happen, also when the output goes to a file.
sys.stdout.reconfigure(line_buffering=True)


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def server_url() -> str:
    """The application database's URL (embedded server started if needed)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from aidcenter import devdb

    return devdb.url()


def bench_url(create: bool = False) -> str:
    """URL of the bench database; with create=True it is created when missing."""
    base = server_url()
    url = _with_db(base, BENCH_DB)
    if create:
        import psycopg
        from psycopg import errors

        with psycopg.connect(_with_db(base, "postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
            if exists.fetchone() is None:
                with contextlib.suppress(errors.DuplicateDatabase):
                    conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
                print(f"created database {BENCH_DB}")
    return url


def psycopg_url(url: str) -> str:
    """psycopg does not know the `postgres://` scheme alias that dj-database-url accepts."""
    return "postgresql://" + url.split("://", 1)[1] if url.startswith("postgres://") else url


def setup_django(url: str) -> None:
    """Point Django at the bench database and set it up in this process."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidcenter.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def manage_env(url: str) -> dict[str, str]:
    """The environment for a `manage.py` subprocess against the bench database."""
    return {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}


# --- timing ---------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Timing:
    def __init__(self, samples_ms: list[float]):
        self.samples = samples_ms
        self.p50 = percentile(samples_ms, 50)
        self.p95 = percentile(samples_ms, 95)
        self.mean = statistics.fmean(samples_ms)
        self.runs = len(samples_ms)


def time_it(fn: Callable[[], object], runs: int, warmup: int = 3) -> tuple[Timing, object]:
    """Wall-clock milliseconds of `fn()` over `runs` calls after `warmup` untimed ones."""
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return Timing(samples), result


def interleaved(
    fns: list[Callable[[], object]],
    runs: int,
    warmup: int = 3,
    max_seconds: float | None = None,
    min_runs: int = 20,
) -> tuple[list[Timing], list[object]]:
    """Like time_it for several functions, alternating them so that drift (cache, other load
    on the machine) hits each alike. With max_seconds, stops early (after at least min_runs)
    once that much time has passed: a one-second page need not run 200 times."""
    results: list[object] = [None] * len(fns)
    for _ in range(warmup):
        for i, fn in enumerate(fns):
            results[i] = fn()
    samples: list[list[float]] = [[] for _ in fns]
    started = time.perf_counter()
    for n in range(runs):
        if max_seconds and n >= min_runs and time.perf_counter() - started > max_seconds:
            break
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            results[i] = fn()
            samples[i].append((time.perf_counter() - t0) * 1000)
    return [Timing(s) for s in samples], results
