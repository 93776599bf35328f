"""The access matrix (issue #11, item 1): every role of DESIGN.md's table × every endpoint and
page × list / read / create / update / delete / action, on records of the role's own unit, a
sibling unit and the parent, against the expectations of tests/access/expected.py.

The endpoints come from the URL configuration itself (the resolver and the API router's
registry, custom @actions included); one that the expectations do not classify fails
`test_every_endpoint_is_classified`. Each request runs in a savepoint that is rolled back, so
every role meets the same data, and each role's test reports all its mismatches together.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib import admin as django_admin
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.parsers import MultiPartParser
from rest_framework.test import APIClient

from aidcenter.models import ApiKey
from cases.models import Person
from tests.access import expected as E
from tests.access.world import PARENT, UNITS, build

OK, FORBIDDEN, MISSING, NOT_OFFERED = "ok", "forbidden (403)", "not found (404)", "not offered"
HOME = {
    "front_desk": "PT-A",
    "caseworker": "PT-A",
    "sync_client": "PT-A",
    "auditor": "PT-A",
    "district_officer": "PT",
    "fund_approver": "PT",
    "fund_manager": "PT",
    "admin": "SH",
}


# --- DESIGN.md's scope rule, stated independently of aidcenter/scope.py ----------------------
def in_scope(role: str, unit: str) -> bool:
    """A role sees its unit and every unit below it; the admin sees every unit."""
    if role == "admin":
        return True
    home, at = HOME[role], unit
    while at is not None:
        if at == home:
            return True
        at = PARENT[at]
    return False


def positions(role: str) -> list[str]:
    """The units whose records a role meets: its own, a sibling and the parent."""
    home = HOME[role]
    if role == "admin":
        return ["SH", "PT", "PT-A"]
    parent = PARENT[home]
    sibling = next(u for u in UNITS if PARENT[u] == parent and u != home)
    return [home, sibling, parent]


def outcome(status: int) -> str:
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return MISSING
    if status == 405:
        return NOT_OFFERED
    if status >= 500 or status in (401, 415):
        return f"unexpected {status}"
    return OK


def expect(who, role: str, *, scope: str, unit: str | None, write: bool) -> set[str]:
    """The outcomes DESIGN.md allows for one request."""
    if not who:
        hidden = unit is not None and scope == E.UNIT and not in_scope(role, unit)
        return {NOT_OFFERED, FORBIDDEN} | ({MISSING} if hidden else set())
    if role not in who:
        # refused either way: by role (403) or, the record being out of reach, as unknown
        return {FORBIDDEN} if unit is None or in_scope(role, unit) else {FORBIDDEN, MISSING}
    if unit is None or scope == E.WIDE or (scope == E.OWNED and not write):
        return {OK}
    if in_scope(role, unit):
        return {OK}
    return {FORBIDDEN} if scope == E.OWNED else {MISSING}


# --- the data set: built for each test inside its transaction (rolled back after it) -----------
@pytest.fixture
def data(db):
    return build()


class Recorder:
    """Collects every mismatch of one role, to report them together."""

    def __init__(self, role: str):
        self.role, self.failures, self.count = role, [], 0
        self.not_found = None

    def request(self, client, method: str, url: str, **kwargs):
        self.count += 1
        if self.count % 400 == 0:
            cache.clear()  # the per-key throttle is not what this test is about
        with transaction.atomic():
            response = getattr(client, method)(url, **kwargs)
            transaction.set_rollback(True)
        return response

    def check(self, what: str, response, allowed: set[str]) -> None:
        got = outcome(response.status_code)
        if got not in allowed:
            self.failures.append(
                f"{self.role}: {what} → {response.status_code} ({got}), "
                f"expected {' or '.join(sorted(allowed))}"
            )

    def domain_404(self, response) -> bool:
        """A 404 that answers about the record's state (e.g. no payment run yet), not the
        API's plain "not found"."""
        if response.status_code != 404 or response.get("Content-Type") != "application/json":
            return False
        return response.json() != self.not_found

    def fail(self, message: str) -> None:
        self.failures.append(f"{self.role}: {message}")

    def report(self) -> None:
        assert not self.failures, f"{len(self.failures)} mismatches:\n" + "\n".join(self.failures)


# --- walking the URL configuration -----------------------------------------------------------
def _patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """(route, full url name, pattern) of every URL pattern outside the admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("admin/"):
                continue
            space = pattern.namespace
            yield from _patterns(
                pattern.url_patterns,
                route,
                f"{namespace}{space}:" if space else namespace,
            )
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            yield route, name, pattern


def _router():
    from aidcenter.api_urls import router

    return router


def _resource_key(prefix: str) -> str:
    """The expectations' key of a router prefix (nested routes by their last segment)."""
    return (
        {"workers": "household", "cases": "notes"}.get(prefix.split("/")[0], prefix)
        if ("(?P<" in prefix)
        else prefix
    )


def test_every_endpoint_is_classified():
    """A URL pattern the expectations do not classify fails: no endpoint can be forgotten."""
    router = _router()
    viewsets = {vs: _resource_key(prefix) for prefix, vs, _basename in router.registry}
    problems = []
    for prefix, vs, _basename in router.registry:
        key = _resource_key(prefix)
        res = E.API.get(key)
        if res is None:
            problems.append(f"API resource {prefix!r} ({vs.__name__}): new endpoint not classified")
            continue
        extras = {a.__name__: set(a.mapping) for a in vs.get_extra_actions()}
        for name, methods in extras.items():
            table = res.actions.get(name)
            if table is None:
                problems.append(f"{prefix} @action {name!r}: new endpoint not classified")
            elif set(table) != methods:
                problems.append(
                    f"{prefix} @action {name!r}: methods {sorted(methods)} classified as "
                    f"{sorted(table)}"
                )
        for name in set(res.actions) - set(extras):
            problems.append(f"{prefix}: classified action {name!r} no longer exists")
    for route, name, pattern in _patterns():
        view = getattr(pattern.callback, "cls", None)
        if route.startswith("api/v1/"):
            if view in viewsets or name in E.API_VIEWS:
                continue
            problems.append(f"API {route!r} ({name}): new endpoint not classified")
        elif name not in E.PAGE_TABLE:
            problems.append(f"page {route!r} ({name or 'unnamed'}): new endpoint not classified")
    registered = {model._meta.label for model in django_admin.site._registry}
    for label in sorted(registered - set(E.ADMIN_TABLE)):
        problems.append(f"admin {label}: new endpoint not classified")
    assert not problems, "\n".join(problems)


# --- the API ------------------------------------------------------------------------------------
def _api_client(user) -> APIClient:
    client = APIClient()
    _record, key = ApiKey.issue(user=user, name="matrix")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _ident(record, lookup: str = "pk") -> str:
    if record.__class__.__name__ == "OrgUnit":
        return record.code
    return str(getattr(record, lookup if lookup != "pk" else "pk"))


def _ids(response) -> set[str]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {str(row.get("id", row.get("code"))) for row in rows}


def _unknown(vs) -> str:
    """A lookup value no record has, in the shape the route accepts."""
    regex = getattr(vs, "lookup_value_regex", "")
    if regex == "[0-9]+":
        return "999999999"
    if vs.lookup_field == "code":
        return "NO-SUCH"
    return str(uuid.uuid4())


def _version(record) -> int:
    """The record's version as stored now (services may have bumped it after building)."""
    if not any(f.name == "version" for f in type(record)._meta.fields):
        return 1
    return type(record)._default_manager.filter(pk=record.pk).values_list("version").get()[0]


def _extra_kwargs(basename: str, suffix: str, given: dict) -> list[str]:
    """URL parameters of a route beyond the record's and the parent's."""
    for _route, name, pattern in _patterns():
        if name == f"{basename}-{suffix}" and "format" not in pattern.pattern.regex.groupindex:
            return [p for p in pattern.pattern.regex.groupindex if p not in given]
    return []


def _is_multipart(vs, action_name: str) -> bool:
    for a in vs.get_extra_actions():
        if a.__name__ == action_name:
            parsers = a.kwargs.get("parser_classes") or []
            return any(issubclass(p, MultiPartParser) for p in parsers)
    return False


class _Route:
    """URLs of one router resource: its list, a record's detail or action, an unknown one."""

    def __init__(self, world, vs, basename, res, lookup, parent_kwarg):
        self.world, self.vs, self.basename, self.res = world, vs, basename, res
        self.lookup, self.parent_kwarg = lookup, parent_kwarg

    def url(self, suffix: str, record=None, unit=None) -> str:
        kwargs = {}
        if self.parent_kwarg:
            parent = self.world.rec[self.res.parent].get(unit)
            kwargs[self.parent_kwarg] = str(parent.pk if parent else uuid.uuid4())
        if record == "unknown":  # a record that does not exist at all
            kwargs[self.lookup] = _unknown(self.vs)
        elif record is not None:
            kwargs[self.lookup] = _ident(record, self.vs.lookup_field)
        for name in _extra_kwargs(self.basename, suffix, kwargs):
            kwargs[name] = str(uuid.uuid4())  # e.g. a document id: an unknown one
        return reverse(f"{self.basename}-{suffix}", kwargs=kwargs)


def _run_api(role: str, world, rec: Recorder, only: set[str] | None = None) -> None:
    client = _api_client(world.users[role])
    rec.not_found = client.get(f"/api/v1/people/{uuid.uuid4()}/").json()
    router = _router()
    for prefix, vs, basename in router.registry:
        if only is not None and prefix not in only:
            continue
        key = _resource_key(prefix)
        res = E.API[key]
        records = world.rec.get(res.record or "", {})
        lookup = vs.lookup_url_kwarg or vs.lookup_field
        parent_kwarg = next(iter(re.findall(r"\(\?P<(\w+)>", prefix)), None)

        url = _Route(world, vs, basename, res, lookup, parent_kwarg).url

        # list: everything in scope, nothing out of it (nested: per parent)
        list_units = positions(role) if parent_kwarg else [None]
        for unit in list_units:
            response = rec.request(client, "get", url("list", unit=unit), data={"page_size": 500})
            allowed = expect(res.list, role, scope=res.scope, unit=unit, write=False)
            rec.check(f"GET {prefix} list (parent in {unit})", response, allowed)
            if response.status_code != 200 or not records:
                continue
            seen = _ids(response)
            for code, record in records.items():
                record_id = _ident(record, vs.lookup_field if res.record != "org-units" else "pk")
                if parent_kwarg and code != unit:
                    continue
                visible = res.scope != E.UNIT or in_scope(role, code)
                if visible and record_id not in seen:
                    rec.fail(f"GET {prefix} list lacks the record of {code} (in scope)")
                if not visible and record_id in seen:
                    rec.fail(f"GET {prefix} list shows the record of {code} (out of scope)")

        # create, with the unit of each position
        for unit in positions(role) if (res.unit_field or parent_kwarg) else [None]:
            body = {"org_unit": unit} if res.unit_field else {}
            response = rec.request(client, "post", url("list", unit=unit), data=body, format="json")
            write_scope = E.UNIT if parent_kwarg else E.WIDE
            allowed = expect(res.create, role, scope=write_scope, unit=unit, write=True)
            if MISSING in allowed and outcome(response.status_code) != MISSING:
                twin = rec.request(
                    client, "post", url("list", unit="unknown"), data=body, format="json"
                )
                if (twin.status_code, twin.content) == (response.status_code, response.content):
                    continue
            rec.check(f"POST {prefix} create in {unit}", response, allowed)
            if res.unit_field and response.status_code == 400 and unit is not None:
                refused_unit = "org_unit" in response.json()
                if in_scope(role, unit) == refused_unit:
                    rec.fail(
                        f"POST {prefix} create in {unit}: org_unit "
                        f"{'refused' if refused_unit else 'accepted'} "
                        f"({'in' if in_scope(role, unit) else 'out of'} scope)"
                    )

        # list-level actions
        for action in vs.get_extra_actions():
            if action.detail:
                continue
            for method in action.mapping:
                who = res.actions[action.__name__][method]
                target = url(action.url_name, unit=HOME[role] if parent_kwarg else None)
                if method == "get":
                    response = rec.request(client, "get", target)
                else:
                    fmt = "multipart" if _is_multipart(vs, action.__name__) else "json"
                    response = rec.request(client, "post", target, data={}, format=fmt)
                allowed = expect(who, role, scope=E.WIDE, unit=None, write=method != "get")
                rec.check(f"{method.upper()} {prefix}/{action.url_name}", response, allowed)

        # read, update, delete and detail actions on each position's record
        if not records:
            continue
        for unit in positions(role):
            record = records[unit]
            checks = [
                ("get", "detail", res.read, False, {}),
                (
                    "patch",
                    "detail",
                    res.update,
                    True,
                    {"data": {"version": _version(record)}, "format": "json"},
                ),
                ("delete", "detail", res.delete, True, {}),
            ]
            for action in vs.get_extra_actions():
                if not action.detail:
                    continue
                for method in action.mapping:
                    who = res.actions[action.__name__][method]
                    kwargs = {}
                    if method == "post":
                        fmt = "multipart" if _is_multipart(vs, action.__name__) else "json"
                        kwargs = {"data": {}, "format": fmt}
                    checks.append((method, action.url_name, who, method != "get", kwargs))
            for method, suffix, who, write, kwargs in checks:
                response = rec.request(client, method, url(suffix, record, unit=unit), **kwargs)
                allowed = expect(who, role, scope=res.scope, unit=unit, write=write)
                if _extra_kwargs(
                    basename, suffix, {lookup: 1, **({parent_kwarg: 1} if parent_kwarg else {})}
                ):
                    allowed = allowed | ({MISSING} if OK in allowed else set())
                if MISSING in allowed and outcome(response.status_code) != MISSING:
                    # Input may be checked before the lookup: then the answer must be the one
                    # a record that does not exist gets, so nothing tells that it exists.
                    twin = rec.request(client, method, url(suffix, "unknown", unit=unit), **kwargs)
                    if (twin.status_code, twin.content) == (response.status_code, response.content):
                        continue
                if OK in allowed and rec.domain_404(response):
                    continue
                rec.check(f"{method.upper()} {prefix} {suffix} of {unit}", response, allowed)

    for name, who in E.API_VIEWS.items():
        if not any(n == name for _r, n, _p in _patterns()):
            continue  # classified ahead of its arrival
        target = reverse(name)
        response = rec.request(client, "get", target)
        rec.check(f"GET {name}", response, expect(who, role, scope=E.WIDE, unit=None, write=False))


# --- the staff pages --------------------------------------------------------------------------
def _page_outcome(response) -> str:
    """Pages refuse a step with an error message (and change nothing); a step that is done
    redirects onwards without one."""
    if response.status_code not in (200, 302, 303):
        return outcome(response.status_code)
    levels = {m.level for m in get_messages(response.wsgi_request)}
    if message_levels.ERROR in levels:
        return "refused"
    if response.status_code in (302, 303):
        return OK
    return outcome(response.status_code)


def _unknown_value(converter):
    """A URL parameter value that names no record."""
    name = type(converter).__name__
    return uuid.uuid4() if name == "UUIDConverter" else 999999999 if name == "IntConverter" else "x"


def _run_pages(role: str, world, rec: Recorder) -> None:
    client = Client()
    client.force_login(world.users[role])
    urls = {name: pattern for _route, name, pattern in _patterns()}
    for name, page in E.PAGE_TABLE.items():
        if name not in urls or page.public:
            continue
        params = set(urls[name].pattern.converters)
        if page.unbuilt:
            if params:  # an unknown record: nobody finds it
                kwargs = {p: _unknown_value(c) for p, c in urls[name].pattern.converters.items()}
                response = rec.request(client, page.method, reverse(name, kwargs=kwargs))
                allowed = {MISSING} if role in page.who else {MISSING, FORBIDDEN}
                rec.check(f"page {name} of an unknown record", response, allowed)
            continue
        targets = (
            [(unit, world.rec[page.record][unit]) for unit in positions(role)]
            if page.record
            else [(None, None)]
        )
        for unit, record in targets:
            slugs = page.actions or {None: page.who}
            for slug, who in slugs.items():
                kwargs = {}
                if record is not None:
                    kwargs["pk"] = record.pk
                if slug is not None:
                    kwargs["action"] = slug
                target = reverse(name, kwargs=kwargs)
                response = rec.request(client, page.method, target, data=page.data)
                client.cookies.pop("messages", None)
                what = f"{page.method.upper()} page {name}{' ' + slug if slug else ''}"
                what += f" of {unit}" if unit else ""
                got = (
                    _page_outcome(response)
                    if page.method == "post"
                    else outcome(response.status_code)
                )
                if role == "sync_client":  # no pages: refused as if there were none
                    allowed = {MISSING, FORBIDDEN}
                elif role not in who:  # refused, or answered as if there were nothing there
                    allowed = {FORBIDDEN, "refused", MISSING}
                elif unit is not None and page.scope == E.UNIT and not in_scope(role, unit):
                    allowed = {MISSING}
                else:
                    allowed = {OK, "refused"} if page.method == "post" else {OK}
                if got not in allowed:
                    rec.fail(
                        f"{what} → {response.status_code} ({got}), expected "
                        f"{' or '.join(sorted(allowed))}"
                    )


# --- the admin ----------------------------------------------------------------------------------
CHANGE_LINK = re.compile(r'href="/admin/\w+/\w+/([0-9a-f-]+|\d+)/change/')


def _run_admin(role: str, world, rec: Recorder) -> None:
    client = Client()
    client.force_login(world.users[role])
    for model in django_admin.site._registry:
        label = model._meta.label
        who = E.ADMIN_TABLE[label]
        target = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = rec.request(client, "get", target)
        if role == "sync_client":
            if response.status_code != 302 or "/login/" not in response["Location"]:
                rec.fail(f"admin list {label} → {response.status_code}, expected the login")
            continue
        rec.check(f"admin list {label}", response, {OK} if role in who else {FORBIDDEN})
        kind = E.ADMIN_SCOPED.get(label)
        if kind is None or response.status_code != 200:
            continue
        shown = set(CHANGE_LINK.findall(response.content.decode()))
        change = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        for unit, record in world.rec[kind].items():
            visible = in_scope(role, unit)
            if visible != (str(record.pk) in shown):
                rec.fail(
                    f"admin list {label}: record of {unit} "
                    f"{'missing' if visible else 'shown out of scope'}"
                )
            if unit not in positions(role):
                continue
            response = rec.request(client, "get", reverse(change, args=[record.pk]))
            if visible and response.status_code != 200:
                rec.fail(f"admin {label} of {unit} → {response.status_code}, expected 200")
            # Django's admin answers a record it cannot find with a redirect to its index
            if not visible and response.status_code not in (302, 404):
                rec.fail(f"admin {label} of {unit} → {response.status_code}, expected none")


@pytest.mark.parametrize("role", E.ROLES)
def test_role(role, data):
    rec = Recorder(role)
    cache.clear()
    _run_api(role, data, rec)
    _run_pages(role, data, rec)
    _run_admin(role, data, rec)
    rec.report()


def test_public_pages_answer_without_login(data):
    urls = {name: pattern for _route, name, pattern in _patterns()}
    client = Client()
    for name, page in E.PAGE_TABLE.items():
        if name in urls and page.public and not urls[name].pattern.converters:
            response = getattr(client, page.method)(reverse(name))
            assert response.status_code < 500, name
    for name, page in E.PAGE_TABLE.items():
        if name in urls and not page.public and not urls[name].pattern.converters:
            response = client.get(reverse(name))
            assert response.status_code == 302 and "/login/" in response["Location"], name


def test_the_matrix_sees_a_leak(data, monkeypatch):
    """The matrix can fail: a people list and detail that forget the scope, and an action that
    forgets its role, are reported (the application itself is left as it is)."""
    from cases.api import PersonViewSet

    monkeypatch.setattr(
        PersonViewSet, "get_queryset", lambda self: Person.objects.filter(deleted_at=None)
    )
    monkeypatch.setattr(
        PersonViewSet, "action_permissions", {"search": "read", "lookup": "read", "create": "read"}
    )
    rec = Recorder("front_desk")
    _run_api("front_desk", data, rec, only={"people"})
    found = "\n".join(rec.failures)
    assert "GET people list shows the record of PT-B (out of scope)" in found
    assert "GET people detail of PT-B → 200" in found
    rec = Recorder("auditor")
    _run_api("auditor", data, rec, only={"people"})
    assert any(
        "POST people create in PT-A" in f and "expected forbidden" in f for f in rec.failures
    )
