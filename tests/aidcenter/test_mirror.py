"""The reference mirror client against a live server: three sub-center mirrors syncing round
robin, with concurrent edits, end identical to the server."""

import pytest

from aidcenter.mirror import Mirror
from aidcenter.models import ApiKey
from aidcenter.scope import scoped
from cases.models import Worker
from tests.factories import make_national_id

pytestmark = pytest.mark.django_db(transaction=True)


def server_view(user) -> dict[tuple[str, str], int]:
    """What the feed should leave a mirror holding: every live record the user's endpoints
    publish, at its version."""
    from django.test import RequestFactory
    from rest_framework.request import Request

    from aidcenter import feed
    from aidcenter.models import OrgUnit

    request = Request(RequestFactory().get("/"))
    request.user = user
    held = {}
    for resource in feed.resources().values():
        view = resource.viewset(request=request, format_kwarg=None, kwargs={}, action="list")
        queryset = view.feed_queryset() if hasattr(view, "feed_queryset") else view.get_queryset()
        if resource.model is OrgUnit:
            queryset = feed._units_with_ancestors(user)
        lookup = getattr(resource.viewset, "lookup_field", "pk")
        for obj in queryset:
            public = getattr(obj, lookup) if lookup != "pk" else obj.pk
            held[(resource.name, str(public))] = obj.version
    return held


def worker_body(n, **extra):
    return {
        "national_id": make_national_id(n),
        "name": f"镜像{n}",
        "hardship_level": "deep",
        **extra,
    }


def test_three_mirrors_round_robin_with_concurrent_edits_converge(live_server, staff, tmp_path):
    def mirror_for(user, name):
        _record, key = ApiKey.issue(user=user)
        return Mirror(url=live_server.url, key=key, path=str(tmp_path / f"{name}.sqlite3"))

    a1, a2 = mirror_for(staff.sync_a, "a1"), mirror_for(staff.sync_a, "a2")
    b = mirror_for(staff.sync_b, "b")
    mirrors = [a1, a2, b]
    ids = [
        a1.create("workers", worker_body(1)),
        a1.create("workers", worker_body(2)),
        b.create("workers", worker_body(3)),
    ]
    for m in mirrors:
        m.sync()
    assert a2.get("workers", ids[0])["name"] == "镜像1"
    assert b.get("workers", ids[0]) is None  # another sub-center's file
    # Concurrent edits of one file in two mirrors of PT-A: the first to push wins, the other
    # gets the server's version back and a conflict to show.
    a1.edit("workers", ids[0], {"address": "甲改的地址"})
    a2.edit("workers", ids[0], {"address": "乙改的地址"})
    a1.create("workers", worker_body(4))
    b.edit("workers", ids[2], {"employer_name": "某物流公司"})
    reports = [m.sync() for m in mirrors]
    assert reports[0].conflicts == [] and reports[1].conflicts == [f"workers/{ids[0]}"]
    # A server-side change between rounds (an officer lifts nothing; a clerk edits in the admin)
    Worker.objects.filter(pk=ids[1]).update(address="后台修改")
    for _round in range(2):
        for m in mirrors:
            m.sync()
    assert a1.holdings() == a2.holdings() == server_view(staff.sync_a)
    assert b.holdings() == server_view(staff.sync_b)
    assert a2.get("workers", ids[0])["address"] == "甲改的地址"
    assert a1.get("workers", ids[1])["address"] == "后台修改"
    assert b.get("workers", ids[2])["employer_name"] == "某物流公司"
    assert scoped(staff.sync_a, Worker).count() == 3


def test_a_replayed_create_makes_one_record(live_server, staff, tmp_path):
    _record, key = ApiKey.issue(user=staff.sync_a)
    mirror = Mirror(url=live_server.url, key=key, path=str(tmp_path / "m.sqlite3"))
    record_id = mirror.create("workers", worker_body(9))
    mirror.sync()
    mirror.create("workers", worker_body(9, id=record_id))  # the same create, sent again
    report = mirror.sync()
    assert report.conflicts == [] and Worker.objects.filter(pk=record_id).count() == 1
