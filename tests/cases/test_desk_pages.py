"""The front-desk pages: search → card → log → receipt, the case page, the queue, home."""

import datetime

from django.utils import timezone

from cases import desk
from cases.models import Case, Person
from tests.factories import PersonFactory, make_national_id


def test_known_person_is_logged_in_three_page_loads(client, staff, units):
    person = PersonFactory(name="赵建国", national_id=make_national_id(1), org_unit=units.a)
    client.force_login(staff.desk_a)
    assert client.get("/desk/").status_code == 200  # 1: the desk
    card = client.post("/desk/", {"q": make_national_id(1)[-6:]})  # 2: one match opens the card
    html = card.content.decode()
    assert card.status_code == 200 and "赵建国" in html and 'name="person"' in html
    saved = client.post(
        "/desk/log/",
        {
            "person": str(person.pk),
            "category": "job_seeking",
            "summary": "想找保安工作",
            "channel": "walk_in",
            "urgency": "normal",
        },
    )
    assert saved.status_code == 302  # 3: saved, to the receipt
    case = Case.objects.get()
    assert saved["Location"] == f"/cases/{case.pk}/receipt/"
    receipt = client.get(saved["Location"]).content.decode()
    assert case.reference in receipt and str(case.due_on) in receipt and "赵建国" in receipt


def test_new_visitor_becomes_a_person_on_the_spot(client, staff):
    client.force_login(staff.desk_a)
    response = client.post(
        "/desk/log/",
        {
            "category": "wage_arrears",
            "summary": "欠薪",
            "channel": "walk_in",
            "urgency": "urgent",
            "new_name": "钱多多",
            "new_phone": "13512345678",
            "new_national_id": "11010519491231002X",
        },
    )
    assert response.status_code == 302
    case = Case.objects.select_related("person").get()
    assert case.person.name == "钱多多" and case.person.org_unit.code == "PT-A"
    assert case.urgency == "urgent"


def test_anonymous_caller_and_bad_input(client, staff):
    client.force_login(staff.desk_a)
    bad = client.post(
        "/desk/log/",
        {"category": "nonsense", "summary": "", "channel": "hotline", "urgency": "normal"},
    )
    assert bad.status_code == 200 and not Case.objects.exists()
    bad_id = client.post(
        "/desk/log/",
        {
            "category": "other",
            "summary": "x",
            "channel": "walk_in",
            "urgency": "normal",
            "new_name": "某人",
            "new_national_id": "110105194912310021",
        },
    )
    assert bad_id.status_code == 200 and "校验位" in bad_id.content.decode()
    assert not Case.objects.exists() and not Person.objects.exists()
    ok = client.post(
        "/desk/log/",
        {
            "category": "other",
            "summary": "咨询政策",
            "channel": "hotline",
            "urgency": "normal",
            "work_order_no": "12351-88",
        },
    )
    assert ok.status_code == 302 and Case.objects.get().person is None


def test_desk_search_beyond_scope_offers_lookup_and_prefills_the_new_visitor(client, staff, units):
    PersonFactory(name="乙方", national_id=make_national_id(2), org_unit=units.b)
    client.force_login(staff.desk_a)
    html = client.post("/desk/", {"q": make_national_id(2)}).content.decode()
    assert "PT-B" in html and "乙方" not in html
    assert f'value="{make_national_id(2)}"' in html


def test_card_shows_open_cases_with_deadlines(client, staff, units):
    person = PersonFactory(name="孙丽", national_id=make_national_id(3), org_unit=units.a)
    case = desk.case_log(
        by=staff.desk_a,
        org_unit=units.a,
        person=person,
        data={"channel": "walk_in", "category": "medical", "summary": "医疗费用困难"},
    )
    Case.objects.filter(pk=case.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=2))
    client.force_login(staff.case_a)
    html = client.get(f"/desk/person/{person.pk}/").content.decode()
    assert case.reference in html and "已逾期" in html


def test_case_page_moves_and_notes(client, staff, units):
    case = desk.case_log(
        by=staff.desk_a,
        org_unit=units.a,
        data={"channel": "letter", "category": "petition", "summary": "信访件"},
    )
    client.force_login(staff.case_a)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "受理" in html
    client.post(f"/cases/{case.pk}/accept/")
    client.post(f"/cases/{case.pk}/note/", {"body": "已联系劳动监察"})
    client.post(f"/cases/{case.pk}/extend/", {"days": "45", "reason": "调查"})  # refused: > 30
    case.refresh_from_db()
    assert case.acceptance == "accepted" and case.extended_to is None
    assert case.notes.get().body == "已联系劳动监察"
    client.force_login(staff.desk_b)
    assert client.get(f"/cases/{case.pk}/").status_code == 404


def test_queue_and_home_show_overdue_first(client, staff, units):
    late = desk.case_log(
        by=staff.desk_a,
        org_unit=units.a,
        data={"channel": "walk_in", "category": "other", "summary": "逾期的"},
    )
    Case.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=1))
    fresh = desk.case_log(
        by=staff.desk_a,
        org_unit=units.a,
        data={"channel": "walk_in", "category": "other", "summary": "新的"},
    )
    client.force_login(staff.case_a)
    html = client.get("/queue/").content.decode()
    assert html.index(late.reference) < html.index(fresh.reference)  # overdue first
    assert html.count('class="row-overdue"') == 1
    home = client.get("/").content.decode()
    assert "逾期案件: 1" in home
