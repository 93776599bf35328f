"""The database going away in the middle of a request (issue #11, item 5): the request gets a
clear 503 — JSON on the API, a page elsewhere — and the next request is served again, with no
restart: the broken connection is dropped when the request ends and a new one is opened.

Deterministic: the test locks the people table from its own connection, so the server's query
waits on that lock; the test then terminates exactly that backend (pg_terminate_backend), as
a database restart or a failover would, and releases the lock."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.test import Client

from aidcenter.models import ApiKey
from tests.factories import PersonFactory
from tests.faults.helpers import database_url, fetch, live_server

pytestmark = pytest.mark.django_db(transaction=True)


def _cut_mid_request(url: str, headers: dict) -> tuple[int, dict, bytes]:
    """GET `url` while its database backend is terminated during the request."""
    locker = psycopg.connect(database_url())
    try:
        locker.execute("LOCK TABLE cases_person IN ACCESS EXCLUSIVE MODE")
        result = {}
        request = threading.Thread(target=lambda: result.update(answer=fetch(url, headers)))
        request.start()
        deadline, waiting = time.monotonic() + 20, None
        while waiting is None and time.monotonic() < deadline:
            waiting = locker.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchone()
            time.sleep(0.05)
        assert waiting is not None, f"the query never waited on the lock: {result}"
        locker.execute("SELECT pg_terminate_backend(%s)", [waiting[0]])
        locker.rollback()  # the lock goes; the terminated backend is gone already
        request.join(30)
        return result["answer"]
    finally:
        locker.close()


def test_a_lost_database_gives_503_and_the_app_recovers_by_itself(units, staff):
    person = PersonFactory(org_unit=units.a)
    _record, key = ApiKey.issue(user=staff.desk_a, name="outage")
    browser = Client()
    browser.force_login(staff.desk_a)
    api = {"Authorization": f"Token {key}"}
    page = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}

    with live_server() as base:
        assert fetch(f"{base}/api/v1/people/", api)[0] == 200

        status, headers, body = _cut_mid_request(f"{base}/api/v1/people/", api)
        assert status == 503, body[:500]
        assert headers["Content-Type"].startswith("application/json")
        assert b'"code": "database_unavailable"' in body or b'"database_unavailable"' in body
        assert headers["Retry-After"] == "30"
        # the next request is served: the dead connection was dropped, a new one opened
        status, _headers, body = fetch(f"{base}/api/v1/people/", api)
        assert status == 200, body[:500]
        assert str(person.pk).encode() in body

        status, headers, body = _cut_mid_request(f"{base}/people/{person.pk}/", page)
        assert status == 503, body[:500]
        assert headers["Content-Type"].startswith("text/html")
        assert b"<h1>" in body and b"Traceback" not in body
        status, _headers, body = fetch(f"{base}/people/{person.pk}/", page)
        assert status == 200, body[:500]
        assert person.name.encode() in body

        # and a plain health check agrees
        assert fetch(f"{base}/healthz")[0] == 200
