"""The front desk: reference numbers, deadlines, workflow, notes, referrals, follow-up."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from aidcenter.errors import DomainError, Invalid, Refused
from cases import desk, referrals
from cases.models import Case, CaseNote, Referral
from tests.factories import PersonFactory, make_national_id

URL = "/api/v1/cases/"


def log(by, *, category="living_hardship", channel="walk_in", person=None, **extra):
    data = {"channel": channel, "category": category, "summary": "来访反映生活困难", **extra}
    return desk.case_log(by=by, org_unit=by.staff.org_unit, data=data, person=person)


def test_reference_numbers_carry_unit_year_and_sequence(staff):
    first, second = log(staff.desk_a), log(staff.case_a)
    other = log(staff.desk_b)
    year = timezone.localdate().year
    assert (first.reference, second.reference) == (f"PT-A-{year}-000001", f"PT-A-{year}-000002")
    assert other.reference == f"PT-B-{year}-000001"


def test_reference_numbers_are_unique_under_concurrent_creation(transactional_db, staff):
    results, errors = [], []

    def worker():
        try:
            results.append(log(staff.desk_a).reference)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 12
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in results)
    assert numbers == list(range(1, 13))


def test_ordinary_case_gets_the_units_service_deadline(staff, units):
    from cases.models import ServiceDeadline

    case = log(staff.desk_a)
    assert case.due_on == timezone.localdate() + datetime.timedelta(days=desk.DEFAULT_SERVICE_DAYS)
    ServiceDeadline.objects.create(org_unit=units.pt, category="medical", days=5)
    assert log(
        staff.desk_a, category="medical"
    ).due_on == timezone.localdate() + datetime.timedelta(days=5)


def test_petition_deadlines_acceptance_then_sixty_days_then_one_extension(staff):
    received = timezone.now() - datetime.timedelta(days=10)
    case = desk.case_log(
        by=staff.desk_a,
        org_unit=staff.desk_a.staff.org_unit,
        received_at=received,
        data={"channel": "letter", "category": "petition", "summary": "信访"},
    )
    received_on = timezone.localdate(received)
    assert case.accept_due_on == received_on + datetime.timedelta(days=15)
    assert case.due_on is None and case.deadline == case.accept_due_on
    with pytest.raises(DomainError) as pending:
        desk.case_move(by=staff.desk_a, case=case, action="resolve")
    assert pending.value.code == "acceptance_pending"
    with pytest.raises(DomainError):
        desk.petition_extend(by=staff.desk_a, case=case, days=10, reason="x")
    accepted_on = received_on + datetime.timedelta(days=3)
    case = desk.petition_decide(by=staff.desk_a, case=case, accept=True, on=accepted_on)
    assert case.due_on == accepted_on + datetime.timedelta(days=60)
    assert case.status == "in_progress" and case.deadline == case.due_on
    with pytest.raises(Invalid):
        desk.petition_extend(by=staff.desk_a, case=case, days=31, reason="需要调查")
    with pytest.raises(Invalid):
        desk.petition_extend(by=staff.desk_a, case=case, days=30, reason=" ")
    case = desk.petition_extend(by=staff.desk_a, case=case, days=30, reason="需要会同劳动监察调查")
    assert case.extended_to == case.due_on + datetime.timedelta(days=30)
    assert case.deadline == case.extended_to
    with pytest.raises(DomainError) as twice:
        desk.petition_extend(by=staff.desk_a, case=case, days=5, reason="再延")
    assert twice.value.code == "already_extended"
    extended = case.moves.get(action="extended")
    assert str(case.extended_to) in extended.note


def test_a_petition_not_accepted_is_answered_and_resolved(staff):
    case = log(staff.desk_a, category="petition", channel="letter")
    case = desk.petition_decide(by=staff.desk_a, case=case, accept=False)
    assert (case.status, case.acceptance) == ("resolved", "not_accepted")


@pytest.mark.parametrize(
    "path, allowed",
    [
        (["start"], True),
        (["resolve"], True),
        (["close"], False),
        (["reopen"], False),
        (["start", "resolve", "close", "reopen"], True),
        (["resolve", "start"], False),
    ],
)
def test_only_allowed_moves(staff, path, allowed):
    case = log(staff.case_a)
    try:
        for action in path:
            case = desk.case_move(by=staff.case_a, case=case, action=action)
    except DomainError as exc:
        assert not allowed and exc.code == "invalid_transition"
    else:
        assert allowed
    moves = list(case.moves.values_list("action", flat=True))
    assert moves[0] == "logged"


def test_every_move_records_who_and_when(staff):
    case = log(staff.case_a)
    desk.case_move(by=staff.case_a, case=case, action="start")
    move = case.moves.get(action="start")
    assert (move.by, move.from_status, move.to_status) == (staff.case_a, "open", "in_progress")


def test_overdue_and_due_soon_are_counted_and_queued_first(staff):
    late = log(staff.case_a, summary="逾期")
    Case.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=1))
    soon = log(staff.case_a, summary="将到期")
    Case.objects.filter(pk=soon.pk).update(due_on=timezone.localdate() + datetime.timedelta(days=2))
    log(staff.case_a, summary="正常")
    mine = log(staff.desk_a, summary="别人的")
    desk.case_assign(by=staff.desk_a, case=mine, assignee=staff.desk_a)
    counts = desk.deadline_counts(user=staff.officer)
    assert counts == {"overdue": 1, "due_soon": 1}
    queue = list(desk.queue(user=staff.case_a))
    assert [c.summary for c in queue][:2] == ["逾期", "将到期"]
    assert "别人的" not in [c.summary for c in queue]


def test_psychological_notes_only_for_the_counsellor_and_auditors(api, staff):
    case = log(staff.case_a, category="psychological", summary="心理咨询")
    desk.case_assign(by=staff.case_a, case=case, assignee=staff.case_a)
    desk.note_add(by=staff.case_a, case=case, body="来访者情绪低落，约定下周再谈")
    with pytest.raises(Refused):
        desk.note_add(by=staff.desk_a, case=case, body="我也想写")
    url = f"{URL}{case.pk}/notes/"
    assert api(staff.case_a).get(url).json()["count"] == 1
    assert api(staff.auditor).get(url).json()["count"] == 1
    for who in ("desk_a", "officer", "admin"):
        assert api(getattr(staff, who)).get(url).json()["count"] == 0, who
    ordinary = log(staff.case_a)
    desk.note_add(by=staff.case_a, case=ordinary, body="普通记录")
    assert api(staff.desk_a).get(f"{URL}{ordinary.pk}/notes/").json()["count"] == 1


def test_follow_up_after_resolution_with_satisfaction(api, staff):
    case = log(staff.case_a)
    client = api(staff.case_a)
    early = client.post(f"{URL}{case.pk}/follow-up/", {"satisfaction": 5}, format="json")
    assert early.status_code == 409
    client.post(f"{URL}{case.pk}/resolve/", {}, format="json")
    assert (
        client.post(f"{URL}{case.pk}/follow-up/", {"satisfaction": 6}, format="json").status_code
        == 400
    )
    done = client.post(
        f"{URL}{case.pk}/follow-up/", {"satisfaction": 4, "remarks": "满意"}, format="json"
    )
    assert done.status_code == 200 and done.json()["satisfaction"] == 4


@pytest.fixture
def echo_target():
    """A service app plugged in for the test: records what it was asked to create."""
    created, states = [], {}

    def create(*, by, case, data):
        if data.get("refuse"):
            raise Invalid({"refuse": ["不受理"]})
        record_id = str(uuid.uuid4())
        created.append((record_id, case.pk, data))
        states[record_id] = ("sent", "已转介")
        return record_id

    target = referrals.Target(
        key="echo",
        label="测试服务",
        record_label="tests.Echo",
        create=create,
        progress=lambda ids: {i: states[i] for i in ids if i in states},
    )
    referrals.register(target)
    yield created, states
    referrals.TARGETS.pop("echo")


def test_referral_creates_the_record_in_the_service_and_tracks_progress(staff, units, echo_target):
    created, states = echo_target
    person = PersonFactory(org_unit=units.a, national_id=make_national_id(1))
    case = log(staff.case_a, person=person)
    referral = desk.case_refer(by=staff.case_a, case=case, target="echo", data={"note": "求职"})
    case.refresh_from_db()
    assert case.status == "referred"
    assert created == [(referral.record_id, case.pk, {"note": "求职"})]
    Referral.objects.filter(pk=referral.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=5)
    )
    assert [r.pk for r in desk.stuck_referrals(user=staff.officer)] == [referral.pk]
    states[referral.record_id] = ("picked_up", "已登记求职")
    assert desk.stuck_referrals(user=staff.officer) == []
    referral.refresh_from_db()
    assert referral.status == "picked_up" and referral.picked_up_at is not None


def test_refused_referral_changes_nothing(staff, units, echo_target):
    person = PersonFactory(org_unit=units.a, national_id=make_national_id(2))
    case = log(staff.case_a, person=person)
    with pytest.raises(Invalid):
        desk.case_refer(by=staff.case_a, case=case, target="echo", data={"refuse": "1"})
    with pytest.raises(Invalid):
        desk.case_refer(by=staff.case_a, case=case, target="nowhere")
    case.refresh_from_db()
    assert case.status == "open" and not Referral.objects.exists()


def test_api_creates_a_case_for_a_person_in_scope_only(api, staff, units):
    mine = PersonFactory(org_unit=units.a, national_id=make_national_id(3))
    theirs = PersonFactory(org_unit=units.b, national_id=make_national_id(4))
    client = api(staff.sync_a)
    body = {
        "channel": "hotline",
        "work_order_no": "12351-2026-0001",
        "category": "wage_arrears",
        "summary": "工资被拖欠三个月",
        "person": str(mine.pk),
        "urgency": "urgent",
    }
    created = client.post(URL, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["reference"].startswith("PT-A-") and created.json()["status"] == "open"
    assert client.post(URL, {**body, "person": str(theirs.pk)}, format="json").status_code == 400
    anonymous = client.post(URL, {**body, "person": None}, format="json")
    assert anonymous.status_code == 201 and anonymous.json()["person"] is None


@pytest.mark.parametrize(
    "who, sees",
    [
        ("desk_a", {"a"}),
        ("case_b", {"b"}),
        ("officer", {"a", "b"}),
        ("auditor_a", {"a"}),
        ("desk_qx", set()),
        ("admin", {"a", "b"}),
    ],
)
def test_cases_are_scoped_per_role(api, staff, who, sees):
    made = {"a": log(staff.desk_a), "b": log(staff.desk_b)}
    client = api(getattr(staff, who))
    listed = {c["id"] for c in client.get(URL).json()["results"]}
    assert listed == {str(made[k].pk) for k in sees}
    for key, case in made.items():
        assert client.get(f"{URL}{case.pk}/").status_code == (200 if key in sees else 404)


def test_read_only_roles_cannot_log_cases(api, staff):
    body = {"channel": "walk_in", "category": "other", "summary": "x"}
    for who in ("officer", "auditor", "manager", "approver"):
        assert api(getattr(staff, who)).post(URL, body, format="json").status_code == 403


def test_case_list_query_count_is_flat(api, staff, django_assert_max_num_queries):
    client = api(staff.desk_a)
    client.get(URL)
    for _ in range(3):
        log(staff.desk_a)
    with django_assert_max_num_queries(10) as few:
        client.get(URL)
    for _ in range(15):
        log(staff.desk_a)
    with django_assert_max_num_queries(10) as many:
        client.get(URL)
    assert len(few.captured_queries) == len(many.captured_queries)
    assert CaseNote.objects.count() == 0
