"""The strict Content Security Policy holds in a real browser: chromium loads our pages, the
admin and the API docs and reports no violation (no inline script or style was needed).

An administrator logs in the whole way: password, then the authenticator's code."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import shot
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, make_national_id

pytestmark = pytest.mark.browser

# Added before any page script runs (through the DevTools protocol, so the CSP does not
# apply to it): records every violation the page reports.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));
"""


@pytest.fixture
def watched(page):
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.add_init_script(WATCH)
    page.console_log = console
    return page


def visit(page, path: str, shot_name: str) -> None:
    page.goto(page.base + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == [], path
    shot(page, shot_name)


def no_console_csp_errors(page) -> None:
    csp = [m for m in page.console_log if "Content Security Policy" in m or "Refused to" in m]
    assert not csp, csp


def current_code(device) -> str:
    import time

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_admin_logs_in_with_a_code_and_admin_and_docs_keep_the_policy(watched, staff):
    page = watched
    device = TOTPDevice.objects.create(user=staff.admin, name="phone", confirmed=True)
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", "admin_user")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_selector("#otp-form")
    assert page.evaluate("window.__csp") == []
    shot(page, "otp_verify")
    page.fill("#id_token", current_code(device))
    page.press("#id_token", "Enter")
    page.wait_for_url(page.base + "/")

    visit(page, "/", "csp_home_admin")
    visit(page, "/admin/", "csp_admin_index")
    visit(page, "/admin/aidcenter/orgunit/", "csp_admin_list")
    visit(
        page, f"/admin/aidcenter/orgunit/{staff.admin.staff.org_unit_id}/change/", "csp_admin_form"
    )
    visit(page, "/admin/auth/user/add/", "csp_admin_add")
    visit(page, "/api/docs/", "csp_api_docs")
    page.wait_for_selector(".opblock")
    page.locator(".opblock-summary").first.click()  # open one operation: more UI renders
    page.wait_for_selector(".opblock-body")
    assert page.evaluate("window.__csp") == []
    shot(page, "csp_api_docs_open")
    no_console_csp_errors(page)


def test_first_login_enrolment_page_keeps_the_policy(watched, staff):
    page = watched
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_selector(".otp-qr svg")
    assert page.evaluate("window.__csp") == []
    box = page.locator(".otp-qr svg").bounding_box()
    assert box["width"] > 150 and box["height"] > 150  # the QR code is drawn, and big enough
    shot(page, "otp_setup")
    device = TOTPDevice.objects.get(user=staff.manager)
    page.fill("#id_token", current_code(device))
    page.press("#id_token", "Enter")
    page.wait_for_url(page.base + "/")
    no_console_csp_errors(page)


def test_staff_pages_keep_the_policy(watched, staff, units):
    page = watched
    person = PersonFactory(
        name="周建华", national_id=make_national_id(3), phone="13611112222", org_unit=units.a
    )
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", "desk_a")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(page.base + "/")
    visit(page, "/desk/", "csp_desk")
    visit(page, "/people/search/", "csp_search")
    visit(page, f"/people/{person.pk}/", "csp_person")
    visit(page, "/queue/", "csp_queue")
    no_console_csp_errors(page)
