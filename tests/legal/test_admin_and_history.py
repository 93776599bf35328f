"""The admin lists legal cases in scope with their deadlines; every change is kept in history."""

import datetime

import pghistory.models
import pytest
from django.utils import timezone

from aidcenter.errors import DomainError
from legal import services
from legal.models import LegalCase
from tests.factories import PersonFactory
from tests.legal.factories import LawyerFactory


def test_admin_lists_cases_in_scope_and_filters_missed_deadlines(client, staff, units, open_case):
    today = timezone.localdate()
    missed = open_case(data={"follow_up_on": today - datetime.timedelta(days=1)})
    open_case(data={"follow_up_on": today + datetime.timedelta(days=20)})
    open_case(PersonFactory(org_unit=units.b), by=staff.case_b, unit=units.b)
    client.force_login(staff.case_a)
    page = client.get("/admin/legal/legalcase/")
    assert page.status_code == 200
    assert {c.org_unit_id for c in page.context["cl"].result_list} == {units.a.pk}
    only = client.get("/admin/legal/legalcase/", {"deadline": "missed"})
    assert [c.pk for c in only.context["cl"].result_list] == [missed.pk]
    assert client.get(f"/admin/legal/legalcase/{missed.pk}/change/").status_code == 200
    assert client.get("/admin/legal/lawyer/add/").status_code == 200  # runs legal cases


def test_front_desk_reads_the_lawyers_catalogue_but_does_not_edit_it(client, staff):
    LawyerFactory()
    client.force_login(staff.desk_a)
    assert client.get("/admin/legal/lawyer/").status_code == 200
    assert client.get("/admin/legal/lawyer/add/").status_code == 403


def test_every_change_is_kept_in_history(staff, open_case):
    case = open_case()
    case = services.stage_move(by=staff.case_a, case=case, to="mediation")
    case = services.lawyer_assign(by=staff.case_a, case=case, lawyer=LawyerFactory())
    events = pghistory.models.Events.objects.tracks(case).order_by("pgh_created_at", "pgh_id")
    stages = [e.pgh_data["stage"] for e in events if e.pgh_model == "legal.LegalCaseEvent"]
    assert stages[0] == "intake" and stages[-1] == "mediation"
    assert (
        events.filter(pgh_model="legal.LegalCaseEvent").count()
        == LegalCase.objects.get(pk=case.pk).version
    )
    claimant = case.claimants.get()
    assert pghistory.models.Events.objects.tracks(claimant).filter(pgh_label="insert").exists()


def test_a_closed_case_takes_only_follow_up_edits(staff, open_case):
    case = services.stage_move(
        by=staff.case_a, case=open_case(), to="closed", outcome="recovered_in_full"
    )
    case = services.legal_case_update(
        by=staff.case_a, case=case, data={"outcome_note": "工资已全部到账"}
    )
    assert case.outcome_note == "工资已全部到账"
    with pytest.raises(DomainError) as exc:
        services.legal_case_update(by=staff.case_a, case=case, data={"summary": "改"})
    assert exc.value.code == "case_closed"
