"""`GET /metrics`: a few gauges in Prometheus' text format, for the operators' monitoring.

Internal only. With METRICS_TOKEN set, the scraper sends `Authorization: Bearer <token>`.
Without it, only a request from this machine's loopback with no proxy in front
(TRUSTED_PROXIES=0) is answered: behind a proxy every request comes from loopback. Everything
else gets 404, as if there were no such page. No personal data: counts and ages only.
"""

from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

LOOPBACK = {"127.0.0.1", "::1"}


def _allowed(request) -> bool:
    token = os.environ.get("METRICS_TOKEN", "")
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    return settings.TRUSTED_PROXIES == 0 and request.META.get("REMOTE_ADDR") in LOOPBACK


def _gauges() -> list[tuple[str, str, dict[str, str], float]]:
    """(name, help, labels, value) from a handful of cheap queries."""
    out: list[tuple[str, str, dict[str, str], float]] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*), extract(epoch FROM now() - min(enqueued_at))"
            " FROM django_tasks_database_dbtaskresult GROUP BY status"
        )
        rows = {status: (count, age) for status, count, age in cursor.fetchall()}
        for status in ("READY", "RUNNING", "FAILED", "SUCCESSFUL"):
            count, _age = rows.get(status, (0, None))
            out.append(
                ("aidcenter_tasks", "Background tasks by status.", {"status": status}, count)
            )
        ready_age = rows.get("READY", (0, None))[1]
        out.append(
            (
                "aidcenter_tasks_oldest_ready_seconds",
                "Age of the oldest task waiting for the worker (0 when none waits).",
                {},
                float(ready_age or 0),
            )
        )
        cursor.execute(
            "SELECT count(*) FROM django_session WHERE expire_date > %s", [timezone.now()]
        )
        out.append(("aidcenter_sessions", "Unexpired staff sessions.", {}, cursor.fetchone()[0]))
        cursor.execute(
            "SELECT count(*) FROM axes_accessattempt WHERE failures_since_start >= %s",
            [settings.AXES_FAILURE_LIMIT],
        )
        out.append(
            ("aidcenter_login_lockouts", "Usernames or addresses locked.", {}, cursor.fetchone()[0])
        )
        cursor.execute("SELECT coalesce(max(id), 0) FROM aidcenter_change")
        out.append(
            ("aidcenter_changes_captured", "Highest change-capture id.", {}, cursor.fetchone()[0])
        )
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        out.append(
            ("aidcenter_db_connections", "Connections to this database.", {}, cursor.fetchone()[0])
        )
    return out


def _render(gauges) -> str:
    lines: list[str] = []
    seen: set[str] = set()
    for name, help_text, labels, value in gauges:
        if name not in seen:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            seen.add(name)
        label = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.append(f"{name}{{{label}}} {value:g}" if label else f"{name} {value:g}")
    return "\n".join(lines) + "\n"


@never_cache
@require_GET
def metrics(request):
    if not _allowed(request):
        raise Http404
    try:
        gauges = _gauges()
        up = 1
    except DatabaseError:
        gauges, up = [], 0
    gauges.append(("aidcenter_database_up", "1 when the database answers.", {}, up))
    return HttpResponse(_render(gauges), content_type="text/plain; version=0.0.4; charset=utf-8")
