"""Defects the access matrix found, each kept fixed by a direct test."""

from __future__ import annotations

import datetime

from tests.training.factories import TrainingClassFactory


def test_a_class_can_be_edited_over_the_api(units, staff, api):
    """PATCH locks the row; the class list's waiting count once made that a GROUP BY query,
    which PostgreSQL refuses with FOR UPDATE (a 500 for every edit of a class)."""
    klass = TrainingClassFactory(org_unit=units.a, capacity=2)
    client = api(staff.case_a)
    response = client.patch(
        f"/api/v1/classes/{klass.pk}/",
        {"version": klass.version, "venue": "培训教室二"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["venue"] == "培训教室二"
    assert response.json()["waiting"] == 0
    klass.refresh_from_db()
    assert klass.venue == "培训教室二"
    assert klass.ends_on == datetime.date(2099, 12, 31)


def test_the_sync_client_has_no_home_page(units, staff, client):
    """The sub-center client works over the API only: no staff page answers it, the home
    page included (it listed the shared panels before)."""
    client.force_login(staff.sync_a)
    assert client.get("/").status_code == 404
    client.force_login(staff.desk_a)
    assert client.get("/").status_code == 200
