"""The job pages: vacancies, matching both ways with reasons, intents and placements from the
page, scope per role, a full vacancy refused with a message."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.models import Intent, Placement
from tests.jobs.factories import EmployerFactory, JobSeekerFactory, VacancyFactory


@pytest.fixture
def market(units):
    employer = EmployerFactory(name="上海申江电气有限公司")
    return {
        "mine": VacancyFactory(org_unit=units.a, employer=employer, title="维修电工", positions=1),
        "sibling": VacancyFactory(org_unit=units.b, employer=employer, title="电工助理"),
        "other_district": VacancyFactory(org_unit=units.qxa, employer=employer, title="电工"),
    }


def _page(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_vacancies_are_public_to_every_staff_role(client, staff, market):
    for user in (staff.case_a, staff.desk_qx, staff.officer, staff.auditor):
        page = _page(client, user, "/jobs/vacancies/").context["page"]
        assert {v.pk for v in page} == {v.pk for v in market.values()}


def test_vacancy_page_ranks_seekers_with_reasons_and_places_one(client, staff, units, market):
    seeker = JobSeekerFactory(org_unit=units.a, desired_job="电工")
    response = _page(client, staff.case_a, f"/jobs/vacancies/{market['mine'].pk}/")
    body = response.content.decode()
    assert seeker.person.name in body
    assert [r["code"] for r in response.context["seekers"][0].reasons] == [
        "desired_job",
        "district",
    ]
    placed = client.post(f"/jobs/vacancies/{market['mine'].pk}/place/{seeker.pk}/")
    assert placed.status_code == 302
    assert Placement.objects.filter(seeker=seeker, vacancy=market["mine"]).count() == 1
    # The one position is taken: a second seeker is refused with a message, nothing saved.
    second = JobSeekerFactory(org_unit=units.a, desired_job="电工")
    refused = client.post(f"/jobs/vacancies/{market['mine'].pk}/place/{second.pk}/", follow=True)
    assert Placement.objects.filter(vacancy=market["mine"]).count() == 1
    assert [m.level_tag for m in refused.context["messages"]][-1] == "error"


def test_seeker_page_lists_vacancies_city_wide_and_records_an_intent(client, staff, units, market):
    seeker = JobSeekerFactory(org_unit=units.a, desired_job="电工")
    response = _page(client, staff.case_a, f"/jobs/seekers/{seeker.pk}/")
    matches = response.context["matches"]
    assert {v.pk for v in matches} == {v.pk for v in market.values()}
    client.post(f"/jobs/seekers/{seeker.pk}/intent/{market['other_district'].pk}/")
    assert Intent.objects.filter(seeker=seeker, vacancy=market["other_district"]).count() == 1


def test_out_of_scope_records_are_404_and_roles_without_the_action_change_nothing(
    client, staff, units, market
):
    seeker_b = JobSeekerFactory(org_unit=units.b, desired_job="电工")
    assert _page(client, staff.case_a, f"/jobs/seekers/{seeker_b.pk}/").status_code == 404
    client.force_login(staff.case_a)
    assert client.post(f"/jobs/seekers/{seeker_b.pk}/intent/{market['mine'].pk}/").status_code == (
        404
    )
    # A district officer reads but does not place.
    seeker_a = JobSeekerFactory(org_unit=units.a, desired_job="电工")
    client.force_login(staff.officer)
    client.post(f"/jobs/vacancies/{market['mine'].pk}/place/{seeker_a.pk}/")
    assert Placement.objects.count() == 0
    # A sub-center's API account has no pages.
    assert _page(client, staff.sync_a, "/jobs/vacancies/").status_code in (302, 404)


def test_the_seeker_page_costs_the_same_whatever_the_matches(client, staff, units, market):
    seeker = JobSeekerFactory(org_unit=units.a, desired_job="电工")
    client.force_login(staff.case_a)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/jobs/seekers/{seeker.pk}/")
    for n in range(10):
        VacancyFactory(org_unit=units.a, employer=market["mine"].employer, title=f"电工{n}")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/jobs/seekers/{seeker.pk}/")
    assert len(many) == len(few)
