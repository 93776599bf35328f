"""Opening, review, lifting, reopening and transfer of household files."""

import datetime

import pytest
from django.utils import timezone

from aidcenter.errors import DomainError, Invalid, Refused
from cases import services
from cases.models import FileEvent, FileTransfer, Person, Worker

URL = "/api/v1/workers/"


def test_submit_then_approve_by_another_officer(api, staff, new_file):
    worker = new_file(1)
    assert api(staff.case_a).post(f"{URL}{worker.pk}/submit/").json()["status"] == "submitted"
    response = api(staff.officer).post(
        f"{URL}{worker.pk}/approve/", {"opinion": "同意"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "registered" and response.json()["version"] == 3
    assert response.json()["registered_on"] == str(timezone.localdate())
    kinds = list(worker.timeline.values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "approved"]


def test_submit_lists_what_is_missing(api, staff, new_file):
    worker = new_file(2, consent_signed_on=None, home_visit_on=None)
    response = api(staff.case_a).post(f"{URL}{worker.pk}/submit/")
    assert response.status_code == 409 and response.json()["code"] == "incomplete"
    worker.refresh_from_db()
    assert worker.status == "draft"


def test_the_officer_who_entered_a_file_may_not_approve_it(staff, new_file, units):
    # A district officer cannot enter files through the API (no ENTER right), so the rule is
    # proven at the service: whoever entered it is refused.
    worker = new_file(3)
    services.worker_submit(by=staff.case_a, worker=worker)
    Worker.objects.filter(pk=worker.pk).update(entered_by=staff.officer)
    with pytest.raises(Refused):
        services.worker_approve(by=staff.officer, worker=worker)
    worker.refresh_from_db()
    assert worker.status == "submitted"


@pytest.mark.parametrize("who", ["case_a", "desk_a", "sync_a", "manager", "approver", "auditor"])
def test_roles_other_than_district_officer_cannot_approve(api, staff, new_file, who):
    worker = new_file(4)
    services.worker_submit(by=staff.case_a, worker=worker)
    response = api(getattr(staff, who)).post(f"{URL}{worker.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    worker.refresh_from_db()
    assert worker.status == "submitted"


def test_officer_of_another_district_gets_404(api, staff, new_file):
    worker = new_file(5)
    services.worker_submit(by=staff.case_a, worker=worker)
    assert (
        api(staff.officer_qx).post(f"{URL}{worker.pk}/approve/", {}, format="json").status_code
        == 404
    )


def test_reject_needs_an_opinion(api, staff, new_file):
    worker = new_file(6)
    services.worker_submit(by=staff.case_a, worker=worker)
    client = api(staff.officer)
    response = client.post(f"{URL}{worker.pk}/reject/", {"opinion": "  "}, format="json")
    assert response.status_code == 400 and "opinion" in response.json()
    worker.refresh_from_db()
    assert worker.status == "submitted"
    response = client.post(f"{URL}{worker.pk}/reject/", {"opinion": "收入超标"}, format="json")
    assert (
        response.json()["status"] == "rejected"
        and response.json()["decision_opinion"] == "收入超标"
    )


def test_approval_waits_for_the_notice_and_its_objections(staff, new_file):
    today = timezone.localdate()
    worker = new_file(
        7,
        notice_starts_on=str(today - datetime.timedelta(days=3)),
        notice_ends_on=str(today + datetime.timedelta(days=4)),
    )
    services.worker_submit(by=staff.case_a, worker=worker)
    with pytest.raises(DomainError) as running:
        services.worker_approve(by=staff.officer, worker=worker)
    assert running.value.code == "notice_running"
    Worker.objects.filter(pk=worker.pk).update(notice_ends_on=today - datetime.timedelta(days=1))
    objection = services.objection_record(
        by=staff.case_a, worker=worker, received_on=today, content="邻居反映其有出租房收入"
    )
    with pytest.raises(DomainError) as open_objection:
        services.worker_approve(by=staff.officer, worker=worker)
    assert open_objection.value.code == "objection_open"
    services.objection_resolve(
        by=staff.case_a, objection=objection, resolution="经核实，无出租收入"
    )
    assert services.worker_approve(by=staff.officer, worker=worker).status == "registered"


@pytest.mark.parametrize("action", ["approve", "reject", "lift", "close"])
def test_moves_not_allowed_from_draft_are_refused(staff, new_file, action):
    worker = new_file(8)
    kwargs = {"opinion": "x"} if action == "reject" else {}
    if action in {"lift", "close"}:
        kwargs = {"reason": "other", "on": timezone.localdate()}
    with pytest.raises(DomainError) as refused:
        getattr(services, f"worker_{action}")(by=staff.officer, worker=worker, **kwargs)
    assert refused.value.code == "invalid_transition"


def test_lift_follow_up_then_fall_back_reopens_the_same_file_with_its_history(
    api, staff, registered_file
):
    worker = registered_file(9)
    client = api(staff.officer)
    today = str(timezone.localdate())
    response = client.post(
        f"{URL}{worker.pk}/lift/", {"reason": "income_above_line", "on": today}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "lifted"
    assert response.json()["ended_on"] == today
    services.follow_up_record(
        by=staff.case_a, worker=worker, on=timezone.localdate(), note="已就业"
    )
    response = api(staff.case_a).post(
        f"{URL}{worker.pk}/reopen/", {"opinion": "再次失业"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "draft"
    assert list(worker.timeline.values_list("kind", flat=True)) == [
        "created",
        "submitted",
        "approved",
        "lifted",
        "follow_up",
        "reopened",
    ]
    assert Worker.objects.count() == 1


def test_reopening_is_refused_when_the_person_already_has_another_active_file(
    staff, registered_file, new_file
):
    worker = registered_file(10)
    services.worker_close(
        by=staff.officer, worker=worker, reason="moved_away", on=timezone.localdate()
    )
    new_file(10, by=staff.case_b)
    with pytest.raises(DomainError) as dup:
        services.worker_reopen(by=staff.case_a, worker=worker)
    assert dup.value.code == "duplicate_national_id"
    worker.refresh_from_db()
    assert worker.status == "closed"


def test_lift_with_a_future_date_or_unknown_reason_is_400(api, staff, registered_file):
    worker = registered_file(11)
    client = api(staff.officer)
    future = str(timezone.localdate() + datetime.timedelta(days=1))
    assert (
        client.post(
            f"{URL}{worker.pk}/lift/", {"reason": "income_above_line", "on": future}, format="json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"{URL}{worker.pk}/close/", {"reason": "bored", "on": "2026-01-01"}, format="json"
        ).status_code
        == 400
    )
    worker.refresh_from_db()
    assert worker.status == "registered"


def test_annual_review_clears_the_overdue_flag(api, staff, registered_file):
    worker = registered_file(12)
    Worker.objects.filter(pk=worker.pk).update(
        registered_on=timezone.localdate() - datetime.timedelta(days=400)
    )
    client = api(staff.officer)
    assert client.get(URL + "?review_overdue=true").json()["count"] == 1
    response = api(staff.case_a).post(
        f"{URL}{worker.pk}/review/", {"on": str(timezone.localdate())}, format="json"
    )
    assert response.status_code == 200 and response.json()["last_reviewed_on"] == str(
        timezone.localdate()
    )
    assert client.get(URL + "?review_overdue=true").json()["count"] == 0
    assert (
        api(staff.desk_a)
        .post(f"{URL}{worker.pk}/review/", {"on": "2026-01-01"}, format="json")
        .status_code
        == 403
    )


def test_transfer_is_seen_by_both_units_and_moves_the_file_when_accepted(
    api, staff, registered_file, units
):
    worker = registered_file(13)
    member_client = api(staff.case_a)
    member_client.post(
        f"{URL}{worker.pk}/household/",
        {"national_id": "11010519491231002X", "name": "王母", "relation": "parent"},
        format="json",
    )
    transfer = services.transfer_request(
        by=staff.case_a, worker=worker, to_unit=units.b, reason="搬家"
    )
    from aidcenter.scope import scoped

    assert scoped(staff.case_a, FileTransfer).get() == transfer
    assert scoped(staff.case_b, FileTransfer).get() == transfer
    assert not scoped(staff.desk_qx, FileTransfer).exists()
    with pytest.raises(Refused):
        services.transfer_decide(by=staff.case_a, transfer=transfer, accept=True)
    services.transfer_decide(by=staff.case_b, transfer=transfer, accept=True)
    worker.refresh_from_db()
    assert worker.org_unit == units.b
    assert set(
        Person.objects.filter(memberships__worker=worker).values_list("org_unit__code", flat=True)
    ) == {"PT-B"}
    assert api(staff.case_a).get(f"{URL}{worker.pk}/").status_code == 404
    assert api(staff.case_b).get(f"{URL}{worker.pk}/").status_code == 200
    assert worker.timeline.filter(kind=FileEvent.Kind.TRANSFERRED).exists()


def test_computed_level_follows_the_line_of_the_nearest_unit(staff, new_file, units):
    from decimal import Decimal

    from cases.models import MinimumLivingLine

    MinimumLivingLine.objects.create(org_unit=units.city, year=2026, monthly_amount=Decimal("1420"))
    MinimumLivingLine.objects.create(org_unit=units.pt, year=2026, monthly_amount=Decimal("1500"))
    assert services.living_line_for(org_unit=units.a, year=2026) == Decimal("1500")
    assert services.living_line_for(org_unit=units.qxa, year=2026) == Decimal("1420")
    assert services.living_line_for(org_unit=units.a, year=2025) is None
    worker = new_file(14, income_per_head="1499.99")
    assert worker.computed_level(Decimal("1500")) == "deep"
    worker.income_per_head = Decimal("2999.99")
    assert worker.computed_level(Decimal("1500")) == "relative"
    worker.income_per_head = Decimal("3000")
    worker.household_income_year, worker.major_costs_year = Decimal("50000"), Decimal("40000.01")
    assert worker.computed_level(Decimal("1500")) == "accidental"
    worker.major_costs_year = Decimal("40000")
    assert worker.computed_level(Decimal("1500")) == ""


def test_invalid_input_to_services_changes_nothing(staff, new_file):
    with pytest.raises(Invalid):
        new_file(15, notice_starts_on="2026-05-10", notice_ends_on="2026-05-01")
    assert not Worker.objects.exists()
