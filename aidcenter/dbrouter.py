"""Dashboards and reports may read from a PostgreSQL read replica; everything else uses the
primary.

Set DATABASE_REPLICA_URL and the settings add a `replica` alias. Reads go there only inside
`replica_reads()` (or a view decorated with `@reads_from_replica`), because a replica lags the
primary by a moment: a clerk who has just saved a case must read it back from the primary, while
a district's monthly figures do not mind a second's delay. Writes always go to the primary,
and migrations run on the primary only (the replica copies them).

Without DATABASE_REPLICA_URL nothing changes: `replica_reads()` reads from the primary.
"""

from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager

from django.conf import settings

REPLICA = "replica"
_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "aidcenter_replica_reads", default=False
)


@contextmanager
def replica_reads():
    """Reads inside this block go to the replica when one is configured."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reads_from_replica(view):
    """A read-only view (a dashboard, a report) whose queries may use the replica."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _replica_reads.get() and replica_configured():
            return REPLICA
        return None  # the primary

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
