"""The registry's staff pages and admin: scoped, masked, logged, in Chinese."""

import pytest
from django.utils import timezone

from aidcenter.models import AccessLog
from cases.models import Person, Worker
from tests.factories import PersonFactory, make_national_id


@pytest.fixture
def person_a(units):
    return PersonFactory(
        name="王秀英", national_id=make_national_id(1), phone="13912345678", org_unit=units.a
    )


def test_search_page_posts_and_finds_by_id_suffix(client, staff, person_a):
    client.force_login(staff.desk_a)
    page = client.get("/people/search/")
    assert page.status_code == 200 and "查找人员" in page.content.decode()
    response = client.post("/people/search/", {"q": make_national_id(1)[-4:]})
    html = response.content.decode()
    assert "王秀英" in html and make_national_id(1) in html
    assert AccessLog.objects.filter(user=staff.desk_a, action="search", count=1).exists()


def test_search_page_for_an_officer_masks_ids_and_logs_nothing(client, staff, person_a):
    client.force_login(staff.officer)
    html = client.post("/people/search/", {"q": "王秀"}).content.decode()
    assert "王秀英" in html and make_national_id(1) not in html
    assert make_national_id(1)[:6] + "********" in html
    assert not AccessLog.objects.filter(user=staff.officer).exists()


def test_search_beyond_scope_offers_the_city_wide_lookup(client, staff, person_a):
    client.force_login(staff.desk_b)
    html = client.post("/people/search/", {"q": make_national_id(1)}).content.decode()
    assert "王秀英" not in html and "PT-A" in html


def test_person_page_shows_file_workflow_and_history(client, staff, new_file):
    worker = new_file(2)
    client.force_login(staff.case_a)
    html = client.get(f"/people/{worker.person_id}/").content.decode()
    assert "张2" in html and "草稿" in html and "提交审核" in html
    assert "修改历史" in html
    response = client.post(f"/files/{worker.pk}/submit/")
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.status == "submitted"
    client.force_login(staff.officer)
    html = client.get(f"/people/{worker.person_id}/").content.decode()
    assert "批准" in html and make_national_id(2) not in html
    client.post(f"/files/{worker.pk}/reject/", {"opinion": ""})
    worker.refresh_from_db()
    assert worker.status == "submitted"  # no opinion: refused, explained, nothing changed
    client.post(f"/files/{worker.pk}/approve/", {"opinion": "同意"})
    worker.refresh_from_db()
    assert worker.status == "registered" and worker.registered_on == timezone.localdate()


def test_person_page_outside_scope_is_404(client, staff, person_a):
    client.force_login(staff.desk_b)
    assert client.get(f"/people/{person_a.pk}/").status_code == 404


def test_admin_changelists_are_scoped_and_masked(client, staff, person_a, units):
    PersonFactory(name="乙街道居民", org_unit=units.b, national_id=make_national_id(5))
    client.force_login(staff.desk_a)
    html = client.get("/admin/cases/person/").content.decode()
    assert "王秀英" in html and "乙街道居民" not in html and make_national_id(1) in html
    client.force_login(staff.officer)
    html = client.get("/admin/cases/person/").content.decode()
    assert "王秀英" in html and "乙街道居民" in html and make_national_id(1) not in html
    assert client.get(f"/admin/cases/person/{person_a.pk}/change/").status_code == 200


def test_admin_worker_changelist_query_count_is_flat(
    client, staff, new_file, django_assert_max_num_queries
):
    for n in range(3):
        new_file(10 + n)
    client.force_login(staff.case_a)
    with django_assert_max_num_queries(20) as few:
        client.get("/admin/cases/worker/")
    for n in range(12):
        new_file(20 + n)
    with django_assert_max_num_queries(20) as many:
        client.get("/admin/cases/worker/")
    assert len(few.captured_queries) == len(many.captured_queries)


def test_admin_edit_of_a_person_goes_through_the_rules(client, staff, person_a):
    client.force_login(staff.desk_a)
    response = client.post(
        f"/admin/cases/person/{person_a.pk}/change/",
        {
            "org_unit": person_a.org_unit_id,
            "name": "王秀英",
            "phone": "13912345678",
            "national_id": "11010519491231002Y",
            "hukou": "",
        },
    )
    assert response.status_code == 200  # the form shows the error
    person_a.refresh_from_db()
    assert person_a.national_id == make_national_id(1)
    assert Person.objects.count() == 1 and not Worker.objects.exists()


def test_auditors_read_the_access_log_of_their_scope_and_others_cannot(client, staff, person_a):
    client.force_login(staff.desk_a)
    client.get(f"/people/{person_a.pk}/")  # a full view: logged
    client.force_login(staff.desk_b)
    client.post("/people/search/", {"q": "x"})
    client.force_login(staff.auditor)
    html = client.get("/admin/aidcenter/accesslog/").content.decode()
    assert "desk_a" in html and str(person_a.pk) in html
    client.force_login(staff.auditor_a)
    assert client.get("/admin/aidcenter/accesslog/").status_code == 200
    client.force_login(staff.officer)
    assert client.get("/admin/aidcenter/accesslog/").status_code == 403
    client.force_login(staff.desk_a)
    assert client.get("/admin/aidcenter/accesslog/").status_code == 403


def test_history_on_the_person_page_names_who_changed_what_in_chinese(client, staff, new_file, api):
    worker = new_file(40)
    api(staff.case_a).patch(
        f"/api/v1/workers/{worker.pk}/", {"address": "新地址路8号", "version": 1}, format="json"
    )
    client.force_login(staff.officer)
    html = client.get(f"/people/{worker.person_id}/").content.decode()
    assert "地址: " in html and "新地址路8号" in html
    assert "case_a" in html or staff.case_a.get_full_name() in html
    assert make_national_id(40) not in html  # the officer sees masked numbers, history included
