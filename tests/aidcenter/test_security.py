"""Login hardening: lockout of wrong passwords, password rules, session expiry, the TOTP second
factor of the roles that administer or move money, and the security headers (CSP and co.).

These tests log in through the forms (not force_login, whose conftest helper stands for a
finished login including the code)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from aidcenter import security, services
from aidcenter.errors import Invalid
from aidcenter.roles import Role
from tests.conftest import PASSWORD
from tests.factories import UserFactory

LOGIN = "/accounts/login/"


def login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def code_at(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + offset_steps * device.step
    return f"{totp.token():06d}"


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Lockout (django-axes) -----------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_with_a_clear_page(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "desk_a", "wrong-password")
        assert response.status_code == 200 and not is_logged_in(client)
    response = login(client, "desk_a", "wrong-password")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="locked-out"' in html and "15" in html  # the lock's length in minutes
    # Locked: even the right password does not get in now.
    response = login(client, "desk_a")
    assert response.status_code == 429 and not is_logged_in(client)
    # Another account from elsewhere is not affected.
    assert login(client, "case_a", REMOTE_ADDR="10.1.1.1").status_code == 302


def test_lock_ends_when_an_administrator_removes_it(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "desk_a", "wrong-password")
    assert login(client, "desk_a").status_code == 429
    AccessAttempt.objects.filter(username="desk_a").delete()  # what the admin's delete does
    assert login(client, "desk_a").status_code == 302 and is_logged_in(client)


def test_lock_ends_after_the_cool_off(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "desk_a", "wrong-password")
    assert login(client, "desk_a").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert login(client, "desk_a").status_code == 302


def test_a_successful_login_clears_the_count(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "desk_a", "wrong-password")
    assert login(client, "desk_a").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "desk_a", "wrong-password")
    assert login(client, "desk_a").status_code == 302


def test_one_address_trying_many_accounts_is_locked(client, staff):
    names = ["desk_a", "case_a", "desk_b", "case_b", "officer"]
    for name in names[: settings.AXES_FAILURE_LIMIT]:
        login(client, name, "Spring2026!", REMOTE_ADDR="203.0.113.9")
    assert login(client, "auditor", REMOTE_ADDR="203.0.113.9").status_code == 429
    # The same account from another address still gets in (only the address is locked).
    assert login(client, "auditor", REMOTE_ADDR="203.0.113.10").status_code == 302


def test_admin_site_login_is_locked_too(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "desk_a", "password": "nope-nope"})
    response = client.post("/admin/login/", {"username": "desk_a", "password": PASSWORD})
    assert response.status_code == 429 and not is_logged_in(client)


def test_client_address_behind_trusted_proxies(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7", REMOTE_ADDR="10.0.0.2")
    settings.TRUSTED_PROXIES = 0
    assert security.client_ip(request) == "10.0.0.2"  # no proxy: the header is the client's lie
    settings.TRUSTED_PROXIES = 1
    assert security.client_ip(request) == "198.51.100.7"  # what our proxy appended
    settings.TRUSTED_PROXIES = 2
    assert security.client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXIES = 3  # fewer entries than proxies: the header is not ours
    assert security.client_ip(request) == "10.0.0.2"


# --- Password rules and sessions -----------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["short-1", "1234567890123", "password123", "desk_new_2026"],
    ids=["too-short", "numeric", "common", "like-username"],
)
def test_weak_passwords_are_refused_and_change_nothing(units, password):
    with pytest.raises(Invalid) as exc:
        services.staff_create_or_update(
            username="desk_new_2026", role="front_desk", unit_code="PT-A", password=password
        )
    assert exc.value.errors["password"]
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="desk_new_2026").exists()


def test_a_good_password_is_accepted(units):
    user = services.staff_create_or_update(
        username="desk_new", role="front_desk", unit_code="PT-A", password="梧桐-river-4417"
    )
    assert user.check_password("梧桐-river-4417")


def test_session_lasts_one_working_day_and_ends_with_the_browser(client, staff):
    assert login(client, "desk_a").status_code == 302
    assert client.session.get_expiry_age() == 8 * 60 * 60
    assert client.session.get_expire_at_browser_close()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert cookie["httponly"]


def test_an_expired_session_must_log_in_again(client, staff):
    assert login(client, "desk_a").status_code == 302
    assert client.get("/people/search/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/people/search/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- The second factor ---------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_which_roles_need_the_second_factor(units, role):
    user = UserFactory(username=f"u_{role}")
    from tests.factories import StaffFactory

    StaffFactory(user=user, role=role, org_unit=units.city if role == "admin" else units.pt)
    user.refresh_from_db()
    expected = role in {Role.ADMIN, Role.FUND_APPROVER, Role.FUND_MANAGER}
    assert security.needs_otp(user) is expected


def test_a_superuser_without_staff_profile_needs_it_too(db):
    assert security.needs_otp(UserFactory(username="root", is_superuser=True, is_staff=True))


@pytest.mark.parametrize("who", ["desk_a", "case_a", "officer", "auditor"])
def test_other_roles_log_in_with_the_password_alone(client, staff, who):
    assert login(client, who).status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert not TOTPDevice.objects.filter(user__username=who).exists()


def test_first_login_enrols_an_authenticator(client, staff):
    response = login(client, "approver")
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/setup/?next=%2F"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "<path" in html
    device = TOTPDevice.objects.get(user=staff.approver)
    assert not device.confirmed
    secret = "".join(re.findall(r"<span>([A-Z2-7]{1,4})</span>", html))
    assert secret == security.base32_secret(device)
    # Reloading keeps the same key (the QR code already scanned stays good).
    client.get("/accounts/otp/setup/")
    assert TOTPDevice.objects.filter(user=staff.approver).count() == 1

    wrong = client.post("/accounts/otp/setup/", {"token": "000000", "next": "/funds/"})
    assert wrong.status_code == 200 and "errornote" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/").status_code == 302

    device.throttling_failure_count = 0  # the wrong code's back-off, waited out
    device.throttling_failure_timestamp = None
    device.save()
    done = client.post("/accounts/otp/setup/", {"token": code_at(device), "next": "/admin/"})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200


def _enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


@pytest.mark.parametrize("who", ["admin", "approver", "manager"])
def test_pages_admin_and_session_api_wait_for_the_code(client, staff, who, api):
    user = getattr(staff, who)
    device = _enrolled(user)
    assert login(client, user.username).status_code == 302
    for path in ["/", "/admin/", "/admin/aidcenter/orgunit/", "/people/search/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/otp/?next="), path
    # A session that owes its code is no login for the API either …
    assert client.get("/api/v1/org-units/").status_code == 401
    # … while the same user's API key works as before (keys are not affected).
    assert api(user).get("/api/v1/org-units/").status_code == 200

    response = client.post("/accounts/otp/", {"token": code_at(device), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/org-units/").status_code == 200


def test_the_code_step_cycles_the_session_key(client, staff):
    device = _enrolled(staff.manager)
    login(client, "manager")
    before = client.session.session_key
    client.post("/accounts/otp/", {"token": code_at(device)})
    assert client.session.session_key != before
    assert client.get("/").status_code == 200


def test_a_code_is_good_once(client, staff):
    device = _enrolled(staff.approver)
    code = code_at(device)
    login(client, "approver")
    assert client.post("/accounts/otp/", {"token": code}).status_code == 302
    other = type(client)()
    login(other, "approver")
    replay = other.post("/accounts/otp/", {"token": code})
    assert replay.status_code == 200
    assert other.get("/").status_code == 302


def test_wrong_codes_are_throttled(client, staff):
    device = _enrolled(staff.admin)
    login(client, "admin_user")
    assert client.post("/accounts/otp/", {"token": code_at(device, -5)}).status_code == 200
    # Right at once after a wrong one: refused by the back-off, even though it is right.
    response = client.post("/accounts/otp/", {"token": code_at(device)})
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


@pytest.mark.parametrize("token", ["", "12345", "abcdef", "1234567", "１２３４５６"])
def test_malformed_codes_get_a_message(client, staff, token):
    _enrolled(staff.admin)
    login(client, "admin_user")
    response = client.post("/accounts/otp/", {"token": token})
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert client.get("/").status_code == 302


def test_enrolment_cannot_replace_a_device(client, staff):
    _enrolled(staff.admin)
    login(client, "admin_user")
    response = client.get("/accounts/otp/setup/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/")
    response = client.post("/accounts/otp/setup/", {"token": "123456"})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=staff.admin).count() == 1


def test_next_never_leaves_the_site(client, staff):
    device = _enrolled(staff.admin)
    login(client, "admin_user")
    response = client.post(
        "/accounts/otp/", {"token": code_at(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_code_pages_are_for_logged_in_users_only(client, db):
    for path in ["/accounts/otp/", "/accounts/otp/setup/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_logout_works_before_the_code(client, staff):
    _enrolled(staff.admin)
    login(client, "admin_user")
    assert client.post("/accounts/logout/").status_code == 302
    assert not is_logged_in(client)


def test_the_test_helper_marks_force_login_verified(client, staff):
    client.force_login(staff.approver)
    assert client.get("/").status_code == 200


def test_only_administrators_manage_authenticators_and_lockouts(client, staff):
    device = _enrolled(staff.approver)
    client.force_login(staff.auditor)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    client.force_login(staff.admin)
    page = client.get("/admin/otp_totp/totpdevice/")
    assert page.status_code == 200 and "approver" in page.content.decode()
    assert device.key not in page.content.decode()
    change = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert change.status_code == 200 and device.key not in change.content.decode()
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_demo_devices_give_the_printed_code(db, units):
    user = services.staff_create_or_update(
        username="admin", role="admin", unit_code="SH", password="aidcenter-demo"
    )
    device = security.seed_demo_device(user)
    again = security.seed_demo_device(user)
    assert device.pk == again.pk and device.confirmed
    assert device.key == security.demo_key("admin")
    assert device.verify_token(security.current_code(device))


# --- Headers -------------------------------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=", re.I)


def _assert_strict(response):
    assert response.status_code == 200
    policy = _csp(response)
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], policy
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html)


def test_csp_on_staff_pages(client, staff):
    client.force_login(staff.desk_a)
    for path in ["/", "/people/search/", "/desk/", "/queue/"]:
        _assert_strict(client.get(path))
    client.logout()
    _assert_strict(client.get(LOGIN))


def test_csp_on_the_admin(client, staff):
    client.force_login(staff.admin)
    for path in [
        "/admin/",
        "/admin/aidcenter/orgunit/",
        f"/admin/aidcenter/orgunit/{staff.admin.staff.org_unit_id}/change/",
        "/admin/otp_totp/totpdevice/",  # a list without bulk actions but delete
        "/admin/axes/accessattempt/",
    ]:
        _assert_strict(client.get(path))


def test_csp_on_the_api_docs(client, db):
    response = client.get("/api/docs/")
    _assert_strict(response)
    assert "/static/aidcenter/api_docs.css" in response.content.decode()
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_no_template_carries_inline_script_or_style():
    found = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)
        if INLINE_SCRIPT.search(text) or INLINE_STYLE.search(text):
            found.append(str(path))
    assert not found, f"move inline script/style into static files: {found}"


@pytest.mark.parametrize("ssl", ["1", "0"])
def test_secure_cookies_and_hsts_follow_secure_ssl(ssl):
    import secrets

    from tests.aidcenter.test_settings import run_django

    result = run_django(
        [
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
            "s.TRUSTED_PROXIES)",
        ],
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="aid.example.org",
        SECURE_SSL=ssl,
    )
    assert result.returncode == 0, result.stderr
    values = result.stdout.strip().splitlines()[-1].split()  # after the shell's own notes
    if ssl == "1":
        assert values == ["True", "True", "31536000", "True", "1"]
    else:
        assert values == ["False", "False", "0", "False", "0"]


def test_hsts_and_headers_on_a_tls_request(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(LOGIN, secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# --- Monitoring: /metrics ------------------------------------------------------------------

SAMPLE = re.compile(r"^[a-z_]+(\{[a-z_]+=\"[A-Z]+\"\})? -?[0-9.e+]+$")


def _gauge(body: str, name: str) -> float:
    return float(re.search(rf"^{name} (\S+)$", body, re.M).group(1))


def test_metrics_from_loopback_in_prometheus_text(client, staff, settings):
    settings.TRUSTED_PROXIES = 0
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "desk_b", "wrong-password", REMOTE_ADDR="10.9.9.9")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    body = response.content.decode()
    samples = [ln for ln in body.splitlines() if not ln.startswith("#")]
    assert samples and all(SAMPLE.match(ln) for ln in samples), samples
    assert _gauge(body, "aidcenter_database_up") == 1
    assert _gauge(body, "aidcenter_login_lockouts") >= 1
    assert 'aidcenter_tasks{status="READY"}' in body
    assert "desk_b" not in body and "10.9.9.9" not in body


def test_metrics_are_internal(client, db, settings, monkeypatch):
    settings.TRUSTED_PROXIES = 0
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 404
    settings.TRUSTED_PROXIES = 1  # behind a proxy loopback means nothing
    assert client.get("/metrics").status_code == 404
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-scraper-token")
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scraper-token")
    assert ok.status_code == 200 and "aidcenter_database_up 1" in ok.content.decode()
