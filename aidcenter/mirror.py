"""The reference mirror client: keeps a local SQLite copy of one sub-center's scope current
through the change feed, and pushes locally queued creates and edits.

It speaks only HTTP and JSON (the standard library's urllib and sqlite3), as a sub-center's own
software would: `python manage.py sync_mirror --url URL --key KEY --into FILE`.

    records(resource, id, version, org_unit, data)   the mirror: one row per live record
    outbox(seq, method, resource, id, body)           local creates and edits not yet sent
    conflicts(resource, id, sent, server, at)         edits the server refused (stale version)
    state(key, value)                                 the feed cursor

Pushing: a queued create is POSTed with its client-chosen UUID, so a retry after a lost answer
is safe (the server answers 200 with the record). A queued edit is PATCHed with the version the
mirror holds; on 409 `stale_version` the server's record (sent back as `current`) replaces the
local one and the refused edit is kept in `conflicts` for a person to look at.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (resource TEXT, id TEXT, version INTEGER, org_unit TEXT,
                                    data TEXT, PRIMARY KEY (resource, id));
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, method TEXT,
                                   resource TEXT, id TEXT, body TEXT);
CREATE TABLE IF NOT EXISTS conflicts (resource TEXT, id TEXT, sent TEXT, server TEXT,
                                      at TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
"""


class SyncError(Exception):
    pass


@dataclass
class Report:
    pulled: int = 0
    pushed: int = 0
    conflicts: list[str] = field(default_factory=list)


class Mirror:
    def __init__(self, *, url: str, key: str, path: str, page: int = 500):
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise SyncError("The center's address must start with http:// or https://")
        self.base = url.rstrip("/")
        self.key = key
        self.page = page
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    # --- HTTP -------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        # The scheme was checked to be http(s) in __init__.
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Token {self.key}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our server
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw) if raw else {}
            except ValueError:
                return error.code, {"detail": raw.decode(errors="replace")[:200]}

    # --- local edits --------------------------------------------------------------------------
    def create(self, resource: str, data: dict) -> str:
        """Queue a create; the record gets its UUID here, so the mirror holds it at once."""
        record_id = data.get("id") or str(uuid.uuid4())
        body = {**data, "id": record_id}
        with self.db:
            self.db.execute(
                "INSERT INTO outbox (method, resource, id, body) VALUES (?, ?, ?, ?)",
                ["POST", resource, record_id, json.dumps(body)],
            )
        return record_id

    def edit(self, resource: str, record_id: str, changes: dict) -> None:
        """Queue an edit of a record the mirror holds, against the version it holds."""
        row = self.db.execute(
            "SELECT version FROM records WHERE resource = ? AND id = ?", [resource, record_id]
        ).fetchone()
        if row is None:
            raise SyncError(f"{resource}/{record_id} is not in the mirror")
        body = {**changes, "version": row[0]}
        with self.db:
            self.db.execute(
                "INSERT INTO outbox (method, resource, id, body) VALUES (?, ?, ?, ?)",
                ["PATCH", resource, record_id, json.dumps(body)],
            )

    def get(self, resource: str, record_id: str) -> dict | None:
        row = self.db.execute(
            "SELECT data FROM records WHERE resource = ? AND id = ?", [resource, record_id]
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def holdings(self) -> dict[tuple[str, str], int]:
        return {
            (r, i): v for r, i, v in self.db.execute("SELECT resource, id, version FROM records")
        }

    # --- sync ---------------------------------------------------------------------------------
    def sync(self) -> Report:
        report = Report()
        self.push(report)
        self.pull(report)
        return report

    def push(self, report: Report) -> None:
        for seq, method, resource, record_id, body in self.db.execute(
            "SELECT seq, method, resource, id, body FROM outbox ORDER BY seq"
        ).fetchall():
            payload = json.loads(body)
            if method == "POST":
                status, answer = self._call("POST", f"/api/v1/{resource}/", payload)
            else:
                status, answer = self._call("PATCH", f"/api/v1/{resource}/{record_id}/", payload)
            _pause_point("mirror.push.after_send")  # tests/faults only
            if status in (200, 201):
                self._store(
                    resource, answer["id"], answer["version"], answer.get("org_unit"), answer
                )
                report.pushed += 1
            elif status == 409 and answer.get("code") == "stale_version":
                current = answer["current"]
                self._store(
                    resource, record_id, current["version"], current.get("org_unit"), current
                )
                with self.db:
                    self.db.execute(
                        "INSERT INTO conflicts (resource, id, sent, server) VALUES (?, ?, ?, ?)",
                        [resource, record_id, body, json.dumps(current)],
                    )
                report.conflicts.append(f"{resource}/{record_id}")
            elif status >= 500 or status in (401, 429):
                raise SyncError(f"{method} {resource}/{record_id}: HTTP {status}; try again later")
            else:  # refused for good (400, 403, 404, 409 of another kind): keep it for a person
                with self.db:
                    self.db.execute(
                        "INSERT INTO conflicts (resource, id, sent, server) VALUES (?, ?, ?, ?)",
                        [resource, record_id, body, json.dumps({"status": status, **answer})],
                    )
                report.conflicts.append(f"{resource}/{record_id}: HTTP {status}")
            with self.db:
                self.db.execute("DELETE FROM outbox WHERE seq = ?", [seq])

    def pull(self, report: Report) -> None:
        while True:
            row = self.db.execute("SELECT value FROM state WHERE key = 'cursor'").fetchone()
            query = {"limit": self.page} | ({"since": row[0]} if row else {})
            status, page = self._call(
                "GET", "/api/v1/sync/changes/?" + urllib.parse.urlencode(query)
            )
            if status != 200:
                raise SyncError(f"change feed: HTTP {status} {page}")
            with self.db:
                for change in page["changes"]:
                    if change["op"] == "upsert":
                        self._store(
                            change["resource"],
                            change["id"],
                            change["version"],
                            change["org_unit"],
                            change["data"],
                            commit=False,
                        )
                    else:
                        self.db.execute(
                            "DELETE FROM records WHERE resource = ? AND id = ? AND version <= ?",
                            [change["resource"], change["id"], change["version"]],
                        )
                    report.pulled += 1
                self.db.execute(
                    "INSERT OR REPLACE INTO state (key, value) VALUES ('cursor', ?)",
                    [page["next_cursor"]],
                )
            if not page["has_more"]:
                return

    def _store(self, resource, record_id, version, org_unit, data, commit=True) -> None:
        """Keep the highest version (a change may arrive more than once)."""
        sql = """INSERT INTO records (resource, id, version, org_unit, data) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (resource, id) DO UPDATE SET version = excluded.version,
                 org_unit = excluded.org_unit, data = excluded.data
                 WHERE excluded.version >= records.version"""
        args = [resource, str(record_id), version, org_unit, json.dumps(data, ensure_ascii=False)]
        if commit:
            with self.db:
                self.db.execute(sql, args)
        else:
            self.db.execute(sql, args)


def _pause_point(name: str) -> None:
    """A pause for the fault tests (aidcenter/faultpoints.py), only when they ask for one: the
    mirror itself needs nothing but urllib and sqlite3."""
    if os.environ.get("AIDCENTER_TEST_PAUSE_AT") == name:
        from aidcenter.faultpoints import pause_point

        pause_point(name)
