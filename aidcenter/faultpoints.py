"""Pause points for the fault tests: a long job (an import, a batch payment, a sync) calls
`pause_point("name")` between two steps. When the environment names that point in
AIDCENTER_TEST_PAUSE_AT — set by tests/faults only, never in production — the process waits
there on a PostgreSQL advisory lock that the test holds, so the test can kill it at exactly
that moment. Otherwise it costs one dictionary lookup."""

from __future__ import annotations

import os

from django.db import connection

ENV = "AIDCENTER_TEST_PAUSE_AT"


def lock_key(name: str) -> str:
    return f"aidcenter.pause:{name}"


def pause_point(name: str) -> None:
    if os.environ.get(ENV) != name:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [lock_key(name)])
        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [lock_key(name)])
