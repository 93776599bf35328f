"""A clerk logs a walk-in by keyboard alone: search box → card → form → saved case → receipt."""

import pytest

from cases.models import Case
from tests.browser.conftest import shot
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, make_national_id

pytestmark = pytest.mark.browser


def login_by_keyboard(page, username):
    page.goto(page.base + "/accounts/login/")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(page.base + "/")


def test_walk_in_logged_by_keyboard_alone_with_a_receipt(page, staff, units):
    PersonFactory(
        name="周建华", national_id=make_national_id(7), phone="13611112222", org_unit=units.a
    )
    login_by_keyboard(page, "desk_a")
    page.goto(page.base + "/desk/")
    page.keyboard.type(make_national_id(7)[-6:])  # the search box has the focus
    page.keyboard.press("Enter")
    page.wait_for_selector("#log-form")
    assert "周建华" in page.locator("h1").inner_text()
    shot(page, "desk_card")
    # The need is focused: type to pick "求职", Tab to the summary, type, Enter saves.
    assert page.evaluate("document.activeElement.id") == "id_category"
    page.keyboard.type("求职")
    page.keyboard.press("Tab")
    page.keyboard.type("想找一份保安工作")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt")
    case = Case.objects.get()
    receipt = page.locator("#receipt").inner_text()
    assert case.reference in receipt and "想找一份保安工作" in receipt and "周建华" in receipt
    assert case.due_on.strftime("%Y-%m-%d") in receipt
    assert case.category == "job_seeking" and case.channel == "walk_in"
    shot(page, "desk_receipt")


def test_queue_and_case_page_render(page, staff, units):
    from cases import desk

    case = desk.case_log(
        by=staff.desk_a,
        org_unit=units.a,
        data={"channel": "letter", "category": "petition", "summary": "反映小区物业问题"},
    )
    login_by_keyboard(page, "case_a")
    page.goto(page.base + "/queue/")
    assert case.reference in page.locator("#content").inner_text()
    shot(page, "queue")
    page.click(f"text={case.reference}")
    page.wait_for_selector("h1")
    assert "受理（已告知信访人）" in page.locator("#content").inner_text()
    shot(page, "case")
