"""`GET /api/v1/stats/summary/` (shape, parameters, scope per role and key) and the dashboard
pages (rendering, drill-down lists whose count equals the number, charts, scope)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from stats import figures

URL = "/api/v1/stats/summary/"
SHAPE = {
    "period": {"from", "to"},
    "registry": {"registered", "by_level", "by_main_cause", "migrant", "new", "lifted", "closed"},
    "aid": {"persons", "person_times", "amount", "by_type"},
    "cases": {"received", "by_channel", "resolved", "overdue", "answered_late", "satisfaction_avg"},
    "jobs": set(figures.JOBS_KEYS),
    "training": set(figures.TRAINING_KEYS),
    "legal": {"cases", "closed", "amount_recovered", "migrant_cases"},
    "funds": {"income", "spent", "balance", "by_fund"},
}


def test_every_key_is_there_and_zero_when_nothing_counts(api, staff, units):
    body = api(staff.officer).get(URL, {"year": 2010, "org_unit": "PT"}).json()
    assert set(body) == {*SHAPE, "org_unit"}
    for section, keys in SHAPE.items():
        assert set(body[section]) == keys, section
    assert body["period"] == {"from": "2010-01-01", "to": "2010-12-31"}
    assert body["org_unit"] == "PT"
    assert set(body["registry"]["by_level"]) == set(figures.LEVELS)
    assert set(body["registry"]["by_main_cause"]) == set(figures.CAUSES)
    assert set(body["cases"]["by_channel"]) == set(figures.CHANNELS)
    assert body["aid"]["by_type"] == dict.fromkeys(figures.AID_TYPES, "0.00")
    assert body["aid"]["amount"] == "0.00" and body["legal"]["amount_recovered"] == "0.00"
    assert body["cases"]["satisfaction_avg"] is None
    assert body["registry"]["registered"] == 0 and body["funds"]["by_fund"] == {}


def test_the_answer_is_the_figures_service(api, known, staff, units):
    body = api(staff.officer).get(URL, {"date_from": "2026-01-01", "date_to": "2026-12-31"}).json()
    assert body["org_unit"] == "PT"  # the caller's unit by default
    assert body["aid"]["amount"] == "1000.00" and body["aid"]["persons"] == 2
    assert body["cases"]["satisfaction_avg"] == 4.5
    assert body["funds"]["by_fund"]["PT-AID"]["balance"] == "9000.00"
    expected = figures.summary(
        user=staff.officer,
        org_unit=units.pt,
        **{"date_from": _d(2026, 1, 1), "date_to": _d(2026, 12, 31)},
    )
    assert body["registry"] == expected["registry"] and body["jobs"] == expected["jobs"]


def _d(*args):
    import datetime

    return datetime.date(*args)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"org_unit": "PT"},
        {"year": 2026, "date_from": "2026-01-01", "date_to": "2026-02-01"},
        {"date_from": "2026-01-01"},
        {"date_to": "2026-01-01"},
        {"date_from": "2026-05-01", "date_to": "2026-01-01"},
        {"year": "abc"},
        {"year": "99999999999999999999"},
        {"date_from": "2026-13-01", "date_to": "2026-12-31"},
        {"year": "2026\x00"},
        {"year": 9999},
        {"year": 0},
        {"date_from": "2026-01-01", "date_to": "9999-12-31"},
        {"date_from": "0001-01-01", "date_to": "2026-12-31"},
        {"org_unit": "x" * 40, "year": 2026},
    ],
)
def test_bad_parameters_get_400_with_a_chinese_message(api, staff, params):
    with translation.override("zh-hans"):
        response = api(staff.officer).get(URL, params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    body = response.json() if response["Content-Type"].startswith("application/json") else {}
    if body:
        message = next(iter(body.values()))
        message = message[0] if isinstance(message, list) else message
        assert message


@pytest.mark.parametrize(
    ("who", "code", "status", "received"),
    [
        ("officer", "PT", 200, 2),
        ("officer", "PT-B", 200, 1),
        ("auditor", "PT", 200, 2),
        ("auditor_a", "PT-A", 200, 1),
        ("desk_a", "PT-A", 200, 1),
        ("sync_a", "PT-A", 200, 1),  # a sub-center's key: its own unit
        ("sync_a", "PT", 404, None),  # above it
        ("sync_a", "PT-B", 404, None),  # its sibling
        ("desk_a", "PT-B", 404, None),
        ("officer", "QX", 404, None),  # another district
        ("officer_qx", "PT", 404, None),
        ("officer_qx", "QX", 200, 1),
        ("officer", "NOPE", 404, None),  # unknown: the same answer as outside the scope
        ("admin", "SH", 200, 3),
    ],
)
def test_scope_per_role_and_key(api, known, staff, who, code, status, received):
    response = api(getattr(staff, who)).get(URL, {"year": 2026, "org_unit": code})
    assert response.status_code == status
    if status == 200:
        assert response.json()["cases"]["received"] == received


def test_no_credentials_401(api, db):
    assert api().get(URL, {"year": 2026}).status_code == 401


def test_the_schema_documents_every_key(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"year", "date_from", "date_to", "org_unit"} <= names
    components = schema["components"]["schemas"]
    summary = components["Summary"]
    assert set(summary["properties"]) == {*SHAPE, "org_unit"}
    cases = components["Cases"]
    assert cases["properties"]["satisfaction_avg"]["nullable"] is True
    aid = components["Aid"]
    assert aid["properties"]["amount"]["type"] == "string"
    assert set(components["AidType"]["properties"]) == set(figures.AID_TYPES)


# --- Pages ----------------------------------------------------------------------------------
def test_the_dashboard_links_every_number_to_a_list_of_that_length(client, known, staff):
    client.force_login(staff.officer)
    response = client.get("/stats/", {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    links = re.findall(r'<a href="(/stats/records/\?[^"]+)" data-key="([^"]+)">([^<]+)</a>', html)
    assert len(links) == len(figures.figure_keys())
    counted = 0
    for url, key, shown in links:
        url = url.replace("&amp;", "&")
        listing = client.get(url)
        assert listing.status_code == 200, key
        count = listing.context["count"]
        total = listing.context["total"]
        value = shown.replace(",", "")
        if total is not None:
            assert f"{total:.2f}" == f"{float(value):.2f}" or str(total) == value, key
        elif key == "cases.satisfaction_avg":
            continue
        else:
            assert count == int(value), key
            counted += 1
    assert counted > 30
    # Charts are images of this site, SVG, text kept as text.
    charts = re.findall(r'<img src="(/stats/chart/[^"]+)"', html)
    assert len(charts) == 7
    svg = client.get(charts[0].replace("&amp;", "&"))
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<text" in svg.content and b"<script" not in svg.content
    # No inline script or style attribute in the page.
    assert "<script" not in html.split("</header>")[-1] or "src=" in html
    assert ' style="' not in html.split('id="content"')[-1]


def test_the_table_by_sub_center_links_each_cell(client, known, staff):
    client.force_login(staff.officer)
    html = client.get("/stats/", {"year": 2026}).content.decode()
    assert "org_unit=PT-A" in html and "org_unit=PT-B" in html
    listing = client.get(
        "/stats/records/",
        {
            "key": "cases.received",
            "date_from": "2026-01-01",
            "date_to": "2026-12-31",
            "org_unit": "PT-B",
        },
    )
    assert listing.context["count"] == 1


def test_pages_keep_to_the_scope(client, known, staff):
    client.force_login(staff.desk_a)
    assert client.get("/stats/", {"year": 2026}).status_code == 200
    assert client.get("/stats/", {"year": 2026, "org_unit": "PT-B"}).status_code == 404
    own = client.get(
        "/stats/records/",
        {"key": "cases.received", "date_from": "2026-01-01", "date_to": "2026-12-31"},
    )
    assert own.context["count"] == 1
    assert (
        client.get(
            "/stats/records/",
            {"key": "cases.received", "year": 2026, "org_unit": "PT"},
        ).status_code
        == 404
    )
    assert client.get("/stats/chart/aid.svg", {"year": 2026, "org_unit": "PT"}).status_code == 404
    assert client.get("/stats/records/", {"key": "nonsense", "year": 2026}).status_code == 404
    assert client.get("/stats/chart/nonsense.svg", {"year": 2026}).status_code == 404


def test_a_sync_client_has_no_pages_and_anonymous_users_log_in(client, known, staff):
    client.force_login(staff.sync_a)
    assert client.get("/stats/", {"year": 2026}).status_code == 404
    client.logout()
    assert client.get("/stats/").status_code == 302


def test_bad_period_on_the_page_shows_a_message_not_an_error(client, known, staff):
    client.force_login(staff.officer)
    response = client.get("/stats/", {"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert response.status_code == 200 and response.context["message"]
    assert client.get("/stats/", {"month": "13"}).context["message"]
    assert client.get("/stats/", {"quarter": "2"}).context["period"].date_from.month == 4
