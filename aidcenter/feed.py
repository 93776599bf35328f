"""The change feed (API.md "The change feed"), read from the trigger-written `aidcenter_change`.

Ordering and the no-skip guarantee
----------------------------------
Rows are read in (txid, id) order, and only those whose transaction id is below the oldest
transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`). Every transaction
below that horizon has ended, so the set of rows below it can no longer grow: a cursor that
has passed a row never needs to look back. A long transaction holds the horizon back and so
delays the feed, but cannot make it skip (a serial id alone would: ids are taken at insert
time, rows become visible at commit time, in another order).

What a row becomes for a caller
-------------------------------
The feed sends records as their own endpoint shows them now, to this caller:

* the record exists, is live and in the caller's scope: an upsert with its current data and
  version — but only at the row that wrote that version (earlier rows of the same record are
  passed over: a later row will deliver the current state, so each record arrives at the
  position of its latest change);
* it was deleted (soft or hard), or left the caller's scope: a delete, at version = the
  record's last version + 1 for a hard delete (as captured), the current version otherwise
  (the soft delete or the move bumped it past anything the caller saw);
* it is live and in scope but the endpoint does not publish it to this caller (a household's
  head, shown by the file itself; a psychological-aid note of another counsellor): nothing;
* rows of units outside the caller's scope are never read (the SQL filters on the old and new
  unit of each row), so a record moved away appears once as a delete and then no more.
A change may be delivered more than once; clients keep the highest version.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from aidcenter.errors import Invalid
from aidcenter.scope import unit_ids


@dataclass
class Resource:
    name: str  # the API path segment: "people", "workers", "household", …
    viewset: type
    model: type
    wide: bool  # rows of every unit are read; visibility decided per record
    shared: bool  # kept by one unit, seen by another too (scope_path is a tuple)


def resources() -> dict[str, Resource]:
    """Every API resource whose records are versioned, from the API router itself, so a new
    endpoint joins the feed without being listed twice. Keyed by database table."""
    from aidcenter.api_urls import router
    from aidcenter.sync import Versioned

    found: dict[str, Resource] = {}
    for prefix, viewset, _basename in router.registry:
        serializer = getattr(viewset, "serializer_class", None)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        if model is None or not issubclass(model, Versioned):
            continue
        name = getattr(viewset, "feed_resource", None) or prefix
        scope_path = getattr(model, "scope_path", "org_unit")
        has_unit = any(f.name == "org_unit" for f in model._meta.fields)
        wide = not has_unit or scope_path is None or isinstance(scope_path, tuple)
        if model._meta.label == "aidcenter.OrgUnit":
            wide = True
        shared = isinstance(scope_path, tuple)
        found[model._meta.db_table] = Resource(name, viewset, model, wide, shared)
    return found


def encode_cursor(txid: int, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{txid}:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> tuple[int, int]:
    if not raw:
        return (0, 0)
    try:
        padded = raw + "=" * (-len(raw) % 4)
        txid, row_id = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        txid_i, row_i = int(txid), int(row_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Invalid({"since": [_("This cursor was not issued by this server.")]}) from None
    if txid_i < 0 or row_i < 0 or txid_i >= 2**63 or row_i >= 2**63:
        raise Invalid({"since": [_("This cursor was not issued by this server.")]})
    return txid_i, row_i


def read_rows(*, since: tuple[int, int], limit: int, units, wide_tables: list[str]):
    """Up to limit + 1 change rows after the cursor, below the horizon, touching the units
    (None: every unit) or one of the wide tables."""
    params: list = [str(since[0]), since[1]]
    scope_sql = "TRUE"
    if units is not None:
        scope_sql = (
            "(c.table_name = ANY(%s) OR c.new_org_unit_id = ANY(%s) OR c.old_org_unit_id = ANY(%s))"
        )
        unit_list = list(units)
        params += [wide_tables, unit_list, unit_list]
    params.append(limit + 1)
    sql = f"""
        SELECT c.txid::text, c.id, c.table_name, c.record_id, c.op, c.version,
               c.old_org_unit_id, c.new_org_unit_id
        FROM aidcenter_change c
        WHERE (c.txid, c.id) > (%s::xid8, %s)
          AND c.txid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
          AND {scope_sql}
        ORDER BY c.txid, c.id
        LIMIT %s
    """  # noqa: S608 - only fixed SQL is interpolated; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def pull(*, request, since: str | None, limit: int) -> dict:
    """One page of the feed for the request's user."""
    user = request.user
    cursor = decode_cursor(since)
    registry = resources()
    units = unit_ids(user)
    rows = read_rows(since=cursor, limit=limit, units=units, wide_tables=list(registry))
    has_more = len(rows) > limit
    rows = rows[:limit]
    changes: list[dict] = []
    if rows:
        changes = _changes_for(rows, registry, request, units)
        last = rows[-1]
        cursor = (int(last[0]), last[1])
    return {"changes": changes, "next_cursor": encode_cursor(*cursor), "has_more": has_more}


def _changes_for(rows, registry, request, units) -> list[dict]:
    from aidcenter.models import OrgUnit

    by_table: dict[str, set[str]] = {}
    for row in rows:
        if row[2] in registry:
            by_table.setdefault(row[2], set()).add(row[3])
    current: dict[tuple[str, str], object] = {}  # visible, live records now
    versions: dict[tuple[str, str], int] = {}  # the current version of every existing record
    hidden: set[tuple[str, str]] = set()  # live, in scope, but not published by the endpoint
    serialized: dict[tuple[str, str], tuple[str, dict, str | None]] = {}
    for table, ids in by_table.items():
        resource = registry[table]
        model = resource.model
        pk_type = model._meta.pk
        typed = [pk_type.to_python(i) for i in ids]
        fields = {f.name for f in model._meta.fields}
        columns = ["pk", "version"]
        columns += ["deleted_at"] if "deleted_at" in fields else []
        columns += ["org_unit_id"] if "org_unit" in fields else []
        for values in model._default_manager.filter(pk__in=typed).values(*columns):
            key = (table, str(values["pk"]))
            versions[key] = values["version"]
            live = values.get("deleted_at") is None
            unit_ok = (
                units is None
                or values.get("org_unit_id", None) in units
                or "org_unit" not in fields
            )
            if live and unit_ok:
                hidden.add(key)  # until found in the endpoint's own queryset below
        view = resource.viewset(request=request, format_kwarg=None, kwargs={}, action="list")
        view.args = ()
        queryset = view.feed_queryset() if hasattr(view, "feed_queryset") else view.get_queryset()
        if model is OrgUnit:  # a mirror needs the units above its own too
            queryset = _units_with_ancestors(request.user)
        objects = list(queryset.filter(pk__in=typed))
        # One serializer for the page (fields built once), as a list endpoint does.
        rendered = view.get_serializer(objects, many=True).data if objects else []
        lookup = getattr(resource.viewset, "lookup_field", "pk")
        for obj, data in zip(objects, rendered, strict=True):
            key = (table, str(obj.pk))
            current[key] = obj
            hidden.discard(key)
            public_id = str(getattr(obj, lookup if lookup != "pk" else "pk"))
            unit = (
                obj.code
                if model is OrgUnit
                else getattr(getattr(obj, "org_unit", None), "code", None)
            )
            serialized[key] = (public_id, data, unit)
        _count_full_ids(request, view)
    unit_codes = dict(OrgUnit.objects.values_list("id", "code"))
    out = []
    for _txid, _row_id, table, record_id, op, version, old_unit, new_unit in rows:
        resource = registry.get(table)
        if resource is None:
            continue
        key = (table, record_id)
        if key in current:
            if versions.get(key) != version or op == "delete":
                continue  # a later row delivers the current state
            public_id, data, unit = serialized[key]
            out.append(
                {
                    "resource": resource.name,
                    "id": public_id,
                    "op": "upsert",
                    "version": version,
                    "org_unit": unit,
                    "data": data,
                }
            )
            continue
        if key in hidden:
            continue  # e.g. a household's head (shown by the file itself), a counsellor's note
        touches_scope = units is None or old_unit in units or new_unit in units
        if resource.shared and not touches_scope:
            continue  # a shared record this caller may never have seen
        if key in versions:  # exists but deleted or out of this caller's scope now
            tomb_version = versions[key]
        elif op == "delete":
            tomb_version = version  # captured as the last version + 1
        else:
            continue  # hard-deleted since: its own delete row comes later
        unit_id = new_unit if new_unit is not None else old_unit
        out.append(
            {
                "resource": resource.name,
                "id": _public_id_of_missing(resource, record_id),
                "op": "delete",
                "version": tomb_version,
                "org_unit": unit_codes.get(unit_id),
                "data": None,
            }
        )
    return out


def _public_id_of_missing(resource: Resource, record_id: str) -> str:
    lookup = getattr(resource.viewset, "lookup_field", "pk")
    if lookup in ("pk", "id"):
        return record_id
    value = (
        resource.model._default_manager.filter(pk=resource.model._meta.pk.to_python(record_id))
        .values_list(lookup, flat=True)
        .first()
    )
    return str(value) if value is not None else record_id


def _units_with_ancestors(user):
    from aidcenter.models import OrgUnit

    ids = unit_ids(user)
    if ids is None:
        return OrgUnit.objects.select_related("parent")
    parents = dict(OrgUnit.objects.values_list("id", "parent_id"))
    wanted = set(ids)
    unit = user.staff.org_unit_id
    while unit is not None:
        wanted.add(unit)
        unit = parents.get(unit)
    return OrgUnit.objects.select_related("parent").filter(id__in=wanted)


def _count_full_ids(request, view) -> None:
    shown = view.get_serializer_context().get("full_ids_shown")
    if shown:
        request._feed_full_ids = getattr(request, "_feed_full_ids", 0) + len(shown)
