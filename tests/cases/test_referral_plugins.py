"""The service apps plug into the front desk: referrals land in jobs, training and funds, and
the person's card shows each app's section."""

import pytest

from aidcenter.errors import Invalid
from cases import desk
from cases.models import Referral
from jobs import services as jobs_services
from jobs.models import JobSeeker
from tests.factories import PersonFactory, make_national_id
from tests.training.factories import TrainingClassFactory
from training.models import Enrolment


@pytest.fixture
def visit(staff, units):
    person = PersonFactory(name="吴静", org_unit=units.a, national_id=make_national_id(1))

    def make(category):
        return desk.case_log(
            by=staff.desk_a,
            org_unit=units.a,
            person=person,
            data={"channel": "walk_in", "category": category, "summary": "来访"},
        )

    return person, make


def test_referral_to_jobs_registers_the_seeker_once(staff, visit):
    person, make = visit
    first = desk.case_refer(
        by=staff.desk_a, case=make("job_seeking"), target="jobs", data={"desired_job": "保安"}
    )
    seeker = JobSeeker.objects.get(pk=first.record_id)
    assert (seeker.person, seeker.desired_job) == (person, "保安")
    second = desk.case_refer(by=staff.desk_a, case=make("job_seeking"), target="jobs", data={})
    assert second.record_id == first.record_id and JobSeeker.objects.count() == 1
    [row, _] = desk.refresh_referrals(Referral.objects.order_by("id"))
    assert row.status == "sent"
    jobs_services.guidance_record(
        by=staff.case_a, seeker=seeker, held_on=seeker.registered_on, notes="指导简历"
    )
    [row, _] = desk.refresh_referrals(Referral.objects.order_by("id"))
    assert row.status == "picked_up"


def test_referral_to_training_enrols_in_the_named_class(staff, visit, units):
    person, make = visit
    klass = TrainingClassFactory(org_unit=units.a, capacity=10)
    with pytest.raises(Invalid):
        desk.case_refer(
            by=staff.desk_a,
            case=make("training"),
            target="training",
            data={"training_class": "abc"},
        )
    referral = desk.case_refer(
        by=staff.desk_a,
        case=make("training"),
        target="training",
        data={"training_class": str(klass.pk)},
    )
    enrolment = Enrolment.objects.get(pk=referral.record_id)
    assert (enrolment.person, enrolment.training_class, enrolment.status) == (
        person,
        klass,
        "enrolled",
    )
    [row] = desk.refresh_referrals(Referral.objects.all())
    assert row.status == "picked_up"


def test_the_card_shows_each_apps_section(client, staff, visit):
    person, make = visit
    desk.case_refer(
        by=staff.desk_a, case=make("job_seeking"), target="jobs", data={"desired_job": "保洁"}
    )
    client.force_login(staff.desk_a)
    html = client.get(f"/desk/person/{person.pk}/").content.decode()
    assert "求职" in html and "保洁" in html  # the job-seeking section
    assert "培训与证书" in html  # the training section, empty
    assert "领取帮扶情况" in html  # the funds section
