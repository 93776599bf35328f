"""A sync killed (SIGKILL) after the server took a queued create but before the mirror noted
it (issue #11, item 5): nothing is half-done — the create stays queued, the next sync sends it
again with the same UUID, the server answers it as the record it already holds, and exactly
one record exists on both sides. (The pull side applies each page and its cursor in one
SQLite transaction; it is not killed here because the feed's horizon is cluster-wide.)"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import psycopg
import pytest
from django.conf import settings

from aidcenter import faultpoints
from aidcenter.mirror import Mirror
from aidcenter.models import ApiKey
from cases.models import Person
from tests.faults.helpers import child_env, database_url, live_server, wait_gone

pytestmark = pytest.mark.django_db(transaction=True)


def _sync(base, key, path, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "sync_mirror",
            "--url",
            base,
            "--key",
            key,
            "--into",
            str(path),
        ],
        cwd=settings.BASE_DIR,
        env=child_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _paused_backend(watcher, process, timeout=60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = watcher.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event = 'advisory' AND pid <> pg_backend_pid()"
        ).fetchone()
        if row:
            return row[0]
        if process.poll() is not None:
            raise AssertionError(process.communicate()[1].decode()[-3000:])
        time.sleep(0.1)
    raise AssertionError("the sync never reached its pause point")


def test_a_sync_killed_after_sending_a_create_sends_it_once_more_and_once_only(
    units, staff, tmp_path
):
    _record, key = ApiKey.issue(user=staff.sync_a, name="mirror")
    path = tmp_path / "mirror.sqlite"
    with live_server() as base:
        mirror = Mirror(url=base, key=key, path=str(path))
        record_id = mirror.create("people", {"name": "离线登记的人", "phone": "13800001111"})
        mirror.db.close()

        pause = "mirror.push.after_send"
        watcher = psycopg.connect(database_url(), autocommit=True)
        try:
            watcher.execute("SELECT pg_advisory_lock(hashtext(%s))", [faultpoints.lock_key(pause)])
            process = _sync(base, key, path, **{faultpoints.ENV: pause})
            pid = _paused_backend(watcher, process)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            watcher.execute(
                "SELECT pg_advisory_unlock(hashtext(%s))", [faultpoints.lock_key(pause)]
            )
            wait_gone(watcher, pid)
        finally:
            watcher.close()

        # The server holds it; the mirror still has it queued.
        assert Person.objects.filter(pk=record_id).count() == 1
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1

        process = _sync(base, key, path)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]

    assert Person.objects.filter(name="离线登记的人").count() == 1
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0
        stored = db.execute(
            "SELECT version FROM records WHERE resource = 'people' AND id = ?", [record_id]
        ).fetchone()
        assert stored is not None
