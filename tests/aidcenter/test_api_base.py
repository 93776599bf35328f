"""The API base: authentication by hashed keys, 401/403/404 shapes, pagination, NUL bytes."""

import pytest
from django.utils import timezone

from aidcenter.models import ApiKey


def test_request_without_credentials_gets_401_with_a_challenge(api, staff):
    response = api().get("/api/v1/org-units/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_wrong_key_gets_401(api, staff):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token aid_not-a-real-key")
    assert client.get("/api/v1/org-units/").status_code == 401


def test_keys_are_stored_hashed_and_shown_once(staff):
    record, key = ApiKey.issue(user=staff.sync_a, name="柜台电脑")
    stored = ApiKey.objects.get(pk=record.pk)
    assert key not in {stored.digest, stored.hint, stored.name}
    assert stored.digest == ApiKey.digest_of(key)
    assert key.startswith(stored.hint)


def test_a_user_may_hold_several_keys_and_revoking_one_stops_it_at_once(staff, api):
    _r1, key1 = ApiKey.issue(user=staff.sync_a)
    r2, key2 = ApiKey.issue(user=staff.sync_a)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key2}")
    assert client.get("/api/v1/org-units/").status_code == 200
    r2.revoke()
    assert client.get("/api/v1/org-units/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {key1}")
    assert client.get("/api/v1/org-units/").status_code == 200


def test_key_records_when_it_was_last_used(staff, api):
    record, key = ApiKey.issue(user=staff.sync_a)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.get("/api/v1/org-units/")
    record.refresh_from_db()
    assert record.last_used_at is not None
    assert (timezone.now() - record.last_used_at).total_seconds() < 60


def test_key_of_deactivated_user_gets_401(staff, api):
    client = api(staff.sync_a)
    staff.sync_a.is_active = False
    staff.sync_a.save()
    assert client.get("/api/v1/org-units/").status_code == 401


def test_org_units_list_is_scoped_and_paginated(staff, api):
    response = api(staff.officer).get("/api/v1/org-units/?page_size=2&ordering=code")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert [u["code"] for u in body["results"]] == ["PT", "PT-A"]
    assert body["previous"] is None and "page=2" in body["next"]
    assert body["results"][1] == {
        "code": "PT-A",
        "name": "甲街道",
        "kind": "street",
        "parent": "PT",
        "version": 1,
        "updated_at": body["results"][1]["updated_at"],
    }


def test_page_size_above_500_or_not_a_number_is_refused(staff, api):
    client = api(staff.admin)
    assert len(client.get("/api/v1/org-units/?page_size=500").json()["results"]) == 7
    for bad in ("100000", "0", "", "x", "-1", "1.5"):
        response = client.get(f"/api/v1/org-units/?page_size={bad}")
        assert response.status_code == 400 and "page_size" in response.json(), bad
    assert client.get("/api/v1/org-units/?page=abc").status_code == 400
    assert client.get("/api/v1/org-units/?page=2").status_code == 404  # past the last page


def test_unit_outside_scope_is_404(staff, api):
    assert api(staff.desk_a).get("/api/v1/org-units/PT-B/").status_code == 404
    assert api(staff.desk_a).get("/api/v1/org-units/PT-A-01/").status_code == 200


@pytest.mark.parametrize(
    "query",
    ["?kind=%00", "?search=%00abc", "?ordering=%00", "?page=%00", "?page=99999999999999999999"],
)
def test_malformed_query_never_gives_a_server_error(staff, api, query):
    response = api(staff.officer).get("/api/v1/org-units/" + query)
    assert response.status_code in {200, 400, 404}


def test_nul_in_json_body_is_refused_with_400(staff, api):
    response = api(staff.admin).post(
        "/api/v1/org-units/", data='{"name": "a\\u0000b"}', content_type="application/json"
    )
    assert response.status_code == 400


def test_schema_and_docs_are_public_and_load_nothing_from_the_internet(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/org-units/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "http://" not in html and "https://" not in html
    assert "/static/drf_spectacular_sidecar/" in html


def test_keys_are_listed_and_revoked_by_command(staff, api):
    from io import StringIO

    from django.core.management import call_command

    record, key = ApiKey.issue(user=staff.sync_a, name="分中心服务器")
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.get("/api/v1/org-units/")
    out = StringIO()
    call_command("api_keys", "--user", "sync_a", stdout=out)
    assert (
        record.hint in out.getvalue()
        and "active" in out.getvalue()
        and "never" not in out.getvalue()
    )
    call_command("api_keys", "--revoke", record.hint, stdout=StringIO())
    assert client.get("/api/v1/org-units/").status_code == 401


def test_throttling_answers_429_with_retry_after(staff, api, monkeypatch):
    from django.core.cache import cache

    from aidcenter.api_policy import ApiKeyThrottle

    cache.clear()
    monkeypatch.setattr(ApiKeyThrottle, "THROTTLE_RATES", {"api_key": "3/min"})
    client = api(staff.sync_a)
    codes = [client.get("/api/v1/org-units/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/org-units/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    other = api(staff.sync_b)  # another key has its own budget
    assert other.get("/api/v1/org-units/").status_code == 200
    cache.clear()


def test_the_default_rate_allows_the_contracts_1200_a_minute():
    from django.conf import settings

    count, period = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"].split("/")
    assert int(count) >= 1200 and period.startswith("min")


def test_an_api_url_that_matches_nothing_answers_json_404(staff, api, settings):
    settings.DEBUG = False
    response = api(staff.sync_a).get("/api/v1/workers/not-a-uuid/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


def test_the_root_unit_has_no_parent_and_the_schema_allows_it(staff, api, client):
    # The admin sees the city, whose parent is null (found by bench/contract_roles.sh).
    units = api(staff.admin).get("/api/v1/org-units/?page_size=500").json()["results"]
    assert {u["code"]: u["parent"] for u in units}["SH"] is None
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert schema["components"]["schemas"]["OrgUnit"]["properties"]["parent"]["nullable"] is True
