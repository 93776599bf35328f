"""The change feed: scope, order, tombstones, and no change ever skipped."""

import threading

import pytest
from django.db import connection, transaction

from aidcenter.models import AccessLog
from cases import desk, services
from cases.models import Person
from tests.factories import make_national_id

URL = "/api/v1/sync/changes/"

# The feed reads only below the oldest running transaction: what a test writes inside its own
# open transaction is (rightly) invisible to it, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


def pull_all(client, since=None, limit=500):
    """Follow next_cursor until has_more is false; the changes in order and the last cursor."""
    changes = []
    while True:
        query = {"limit": limit} | ({"since": since} if since else {})
        body = client.get(URL, query).json()
        changes += body["changes"]
        since = body["next_cursor"]
        if not body["has_more"]:
            return changes, since


def mirror(changes, state=None):
    """What a client holds after applying the changes: {(resource, id): (version, data)}."""
    state = {} if state is None else state
    for c in changes:
        key = (c["resource"], c["id"])
        if key in state and state[key][0] > c["version"]:
            continue
        state[key] = (c["version"], c["data"]) if c["op"] == "upsert" else (c["version"], None)
    return {k: v for k, v in state.items() if v[1] is not None}


def make_file(staff, n, by=None):
    by = by or staff.case_a
    return services.worker_create(
        by=by,
        org_unit=by.staff.org_unit,
        head={"national_id": make_national_id(n), "name": f"户主{n}"},
        fields={"hardship_level": "deep"},
    )


def test_a_sub_center_gets_its_records_and_the_units_it_needs(api, staff, units):
    mine, theirs = make_file(staff, 1), make_file(staff, 2, by=staff.case_b)
    changes, _ = pull_all(api(staff.sync_a))
    held = mirror(changes)
    assert ("workers", str(mine.pk)) in held and ("workers", str(theirs.pk)) not in held
    assert ("people", str(mine.person_id)) in held
    units_held = {k[1] for k in held if k[0] == "org-units"}
    assert units_held == {"SH", "PT", "PT-A", "PT-A-01"}  # its subtree and the units above
    # the units arrive before the records that point at them
    first_worker = next(i for i, c in enumerate(changes) if c["resource"] == "workers")
    assert all(c["resource"] == "org-units" for c in changes[:4]) and first_worker > 3
    assert held[("workers", str(mine.pk))][1]["national_id"] == make_national_id(1)


def test_a_record_arrives_once_at_its_latest_version(api, staff):
    worker = make_file(staff, 3)
    for address in ("一号", "二号", "三号"):
        services.worker_update(by=staff.case_a, worker=worker, head={}, fields={"address": address})
    changes, _ = pull_all(api(staff.sync_a))
    rows = [c for c in changes if c["resource"] == "workers" and c["id"] == str(worker.pk)]
    assert len(rows) == 1 and rows[0]["version"] == 4 and rows[0]["data"]["address"] == "三号"


def test_following_the_cursor_gives_exactly_the_server_state_again_and_again(api, staff):
    client = api(staff.sync_a)
    w1 = make_file(staff, 4)
    changes, cursor = pull_all(client, limit=3)
    state = mirror(changes)
    w2 = make_file(staff, 5)
    services.worker_update(by=staff.case_a, worker=w1, head={}, fields={"address": "新址"})
    more, cursor = pull_all(client, since=cursor, limit=2)
    state = mirror(more, dict(state))
    assert state[("workers", str(w1.pk))][1]["address"] == "新址"
    assert ("workers", str(w2.pk)) in state
    empty, _ = pull_all(client, since=cursor)
    assert empty == []


def test_soft_delete_is_a_tombstone_above_the_last_version(api, staff):
    worker = make_file(staff, 6)
    client = api(staff.sync_a)
    _, cursor = pull_all(client)
    assert client.delete(f"/api/v1/workers/{worker.pk}/").status_code == 204
    changes, _ = pull_all(client, since=cursor)
    [tomb] = [c for c in changes if c["id"] == str(worker.pk)]
    assert (tomb["op"], tomb["version"], tomb["data"]) == ("delete", 2, None)


def test_a_file_moved_to_another_unit_is_a_delete_there_and_an_upsert_here(api, staff, units):
    worker = make_file(staff, 7)
    a, b = api(staff.sync_a), api(staff.sync_b)
    _, cursor_a = pull_all(a)
    _, cursor_b = pull_all(b)
    transfer = services.transfer_request(by=staff.case_a, worker=worker, to_unit=units.b)
    services.transfer_decide(by=staff.case_b, transfer=transfer, accept=True)
    lost, _ = pull_all(a, since=cursor_a)
    gained, _ = pull_all(b, since=cursor_b)
    worker.refresh_from_db()
    assert {
        "resource": "workers",
        "id": str(worker.pk),
        "op": "delete",
        "version": worker.version,
        "org_unit": "PT-B",
        "data": None,
    } in lost
    got = [c for c in gained if c["resource"] == "workers" and c["id"] == str(worker.pk)]
    assert got and got[-1]["op"] == "upsert" and got[-1]["org_unit"] == "PT-B"
    assert not any(c["op"] == "upsert" and c["id"] == str(worker.pk) for c in lost)


def test_the_head_is_not_a_household_member_and_psychological_notes_stay_private(api, staff, units):
    make_file(staff, 8)
    case = desk.case_log(
        by=staff.case_a,
        org_unit=units.a,
        data={"channel": "walk_in", "category": "psychological", "summary": "心理"},
    )
    desk.case_assign(by=staff.case_a, case=case, assignee=staff.case_a)
    desk.note_add(by=staff.case_a, case=case, body="私密记录")
    changes, _ = pull_all(api(staff.sync_a))
    assert not [c for c in changes if c["resource"] == "household"]
    assert not [c for c in changes if c["resource"] == "notes"]
    assert [c for c in changes if c["resource"] == "cases"]


def test_an_officer_sees_ids_masked_and_full_ids_are_logged_once_per_pull(api, staff):
    make_file(staff, 9)
    officer_changes, _ = pull_all(api(staff.officer))
    person = next(c for c in officer_changes if c["resource"] == "people")
    assert "********" in person["data"]["national_id"]
    pull_all(api(staff.sync_a))
    row = AccessLog.objects.get(user=staff.sync_a, action="feed")
    assert row.count >= 1
    assert not AccessLog.objects.filter(user=staff.officer, action="feed").exists()


@pytest.mark.parametrize(
    "query",
    [{"since": "not-a-cursor"}, {"limit": 0}, {"limit": 1001}, {"since": "%00"}, {"limit": "x"}],
)
def test_bad_queries_get_400(api, staff, query):
    assert api(staff.sync_a).get(URL, query).status_code == 400


def test_the_feed_needs_credentials(api, db):
    assert api().get(URL).status_code == 401


def test_no_change_is_skipped_when_transactions_commit_out_of_order(staff, api):
    """A begins and writes; B writes and commits; a pull runs; A commits; the next pull
    returns A's row."""
    client = api(staff.sync_a)
    _, cursor = pull_all(client)
    a_wrote, a_may_commit, a_done = threading.Event(), threading.Event(), threading.Event()

    def transaction_a():
        try:
            with transaction.atomic():
                services.person_create(
                    by=staff.case_a, org_unit=staff.case_a.staff.org_unit, data={"name": "甲先开始"}
                )
                a_wrote.set()
                a_may_commit.wait(timeout=20)
        finally:
            connection.close()
            a_done.set()

    thread = threading.Thread(target=transaction_a)
    thread.start()
    assert a_wrote.wait(timeout=20)

    def transaction_b():
        try:
            services.person_create(
                by=staff.case_a, org_unit=staff.case_a.staff.org_unit, data={"name": "乙后提交"}
            )
        finally:
            connection.close()

    b = threading.Thread(target=transaction_b)
    b.start()
    b.join()
    during, cursor_during = pull_all(client, since=cursor)
    names = {c["data"]["name"] for c in during if c["resource"] == "people"}
    assert "甲先开始" not in names  # not committed: not visible
    a_may_commit.set()
    thread.join()
    assert a_done.is_set()
    after, _ = pull_all(client, since=cursor_during)
    names_after = {c["data"]["name"] for c in after if c["resource"] == "people"}
    assert "甲先开始" in names_after  # the feed waited for A instead of skipping it
    assert "乙后提交" in names | names_after
    held = mirror(during + after)
    people = {v[1]["name"] for k, v in held.items() if k[0] == "people"}
    assert people >= {"甲先开始", "乙后提交"}
    assert Person.objects.filter(name__in=["甲先开始", "乙后提交"]).count() == 2


def test_a_city_wide_catalogue_deleted_in_another_unit_is_deleted_everywhere(api, staff, units):
    from tests.jobs.factories import JobFairFactory

    fair = JobFairFactory(org_unit=units.b, name="春风行动专场")
    client = api(staff.sync_a)
    held, cursor = pull_all(client)
    assert ("job-fairs", str(fair.pk)) in mirror(held)  # fairs are announced city-wide
    fair_id = str(fair.pk)
    fair.delete()
    changes, _ = pull_all(client, since=cursor)
    assert {
        "resource": "job-fairs",
        "id": fair_id,
        "op": "delete",
        "version": 2,
        "org_unit": "PT-B",
        "data": None,
    } in changes
