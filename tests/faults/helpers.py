"""What the fault tests share: the test database as a URL for a subprocess, and a real server
(gunicorn, one sync worker) running the project against it on a loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from urllib.parse import quote

from django.conf import settings
from django.db import connection

PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL": "0",
}


def database_url() -> str:
    """The database this test runs in, as a DATABASE_URL (the one in the environment may not
    even exist while tests run)."""
    conf = connection.settings_dict
    netloc = f"{quote(conf['USER'] or '')}:{quote(conf['PASSWORD'] or '')}@{conf['HOST'] or ''}"
    if conf["PORT"]:
        netloc += f":{conf['PORT']}"
    url = f"postgresql://{netloc}/{conf['NAME']}"
    if (conf.get("OPTIONS") or {}).get("host"):
        url += f"?host={conf['OPTIONS']['host']}"
    return url


def child_env(**extra) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aidcenter.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env["DATABASE_URL"] = database_url()
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_server(**extra_env):
    """gunicorn with one sync worker (one database connection) on 127.0.0.1; stopped after."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "aidcenter.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
        ],
        cwd=settings.BASE_DIR,
        env=child_env(
            **PRODUCTION_ENV,
            SECRET_KEY=settings.SECRET_KEY,  # sessions made by the test stay valid there
            DJANGO_SETTINGS_MODULE="tests.faults.server_settings",
            **extra_env,
        ),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()  # noqa: S310 (loopback)
                break
            except OSError:  # not listening yet (refused, reset, timed out)
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(log.read().decode()[-3000:]) from None
                time.sleep(0.2)
        yield base
    except BaseException:
        log.seek(0)
        sys.stderr.write(log.read().decode(errors="replace")[-6000:])  # the server's side
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def fetch(url: str, headers: dict | None = None, timeout: float = 30):
    """(status, headers, body) of a GET, whatever the status."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def start_django(code: str, **env) -> subprocess.Popen:
    """Run `code` in `manage.py shell` against the test database, in its own process."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=child_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_until_blocked(watcher, process: subprocess.Popen, *, holding: str, timeout=60) -> int:
    """The pid of the backend that waits on a lock after it has written into table `holding`
    (a RowExclusiveLock on it: rows inserted or updated, not committed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = watcher.execute(
            "SELECT a.pid FROM pg_stat_activity a WHERE a.datname = current_database() "
            "AND a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid() AND EXISTS ("
            "  SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted "
            "  AND l.mode = 'RowExclusiveLock' AND l.relation = %s::regclass)",
            [holding],
        ).fetchone()
        if row:
            return row[0]
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the process ended before blocking: {err.decode()[-3000:]}")
        time.sleep(0.1)
    raise AssertionError("the process never blocked mid-way")


def wait_gone(watcher, pid: int, timeout=30) -> None:
    """Until the backend of the killed process has ended (its transaction rolled back)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            return
        time.sleep(0.1)
    raise AssertionError(f"backend {pid} still there")
