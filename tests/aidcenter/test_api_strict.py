"""The API takes what its schema says and nothing DRF would merely coerce (aidcenter/api_strict)."""

import importlib
import inspect
import uuid

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation
from rest_framework import serializers

from aidcenter.api_strict import StrictTypesMixin
from cases.models import Person

PEOPLE = "/api/v1/people/"


def _person(**overrides):
    body = {"name": "韩梅", "national_id": "11010519491231002X", "sex": "F"}
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", 12345),  # a number where the schema says string
        ("name", ["韩梅"]),
        ("hukou", 1),  # a number where the schema says one of the choices (strings)
        ("is_migrant", "true"),  # a string where the schema says boolean
        ("is_migrant", 1),
        ("phone", 13800138000),
        ("id", 7),
    ],
)
def test_json_body_of_the_wrong_type_gets_400_in_chinese_and_creates_nothing(
    api, staff, field, value
):
    response = api(staff.sync_a).post(PEOPLE, _person(**{field: value}), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Person.objects.count() == 0


def test_the_type_message_is_chinese(api, staff):
    with translation.override("zh-hans"):
        response = api(staff.sync_a).post(PEOPLE, _person(name=5), format="json")
    assert response.json()["name"] == ["类型错误：应为字符串。"]


def test_the_right_types_are_accepted(api, staff):
    response = api(staff.sync_a).post(PEOPLE, _person(is_migrant=True), format="json")
    assert response.status_code == 201, response.content
    assert Person.objects.get().is_migrant is True


def test_forms_keep_text_values(api, staff):
    # Multipart and form bodies are text by nature: "true" there is a boolean.
    response = api(staff.sync_a).post(PEOPLE, _person(is_migrant="true"), format="multipart")
    assert response.status_code == 201, response.content
    assert Person.objects.get().is_migrant is True


def test_patch_version_must_be_an_integer_in_json(api, staff):
    client = api(staff.sync_a)
    created = client.post(PEOPLE, _person(), format="json").json()
    url = f"{PEOPLE}{created['id']}/"
    stale = client.patch(url, {"version": str(created["version"]), "name": "韩梅梅"}, format="json")
    assert stale.status_code == 400
    assert "version" in stale.json()
    assert Person.objects.get().name == "韩梅"
    ok = client.patch(url, {"version": created["version"], "name": "韩梅梅"}, format="json")
    assert ok.status_code == 200
    assert Person.objects.get().name == "韩梅梅"


def test_list_items_are_checked_too(api, staff):
    body = {"national_id": "11010519491231002X", "name": "韩梅", "main_cause": "illness"}
    client = api(staff.sync_a)
    for bad in ("illness", [7], [["illness"]]):
        response = client.post("/api/v1/workers/", {**body, "secondary_causes": bad}, format="json")
        assert response.status_code == 400, (bad, response.content)
        assert "secondary_causes" in response.json()
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "is_migrant=",  # empty typed filter: the schema's boolean has no empty value
        "is_migrant=maybe",
        "is_migrant=1",
        "sex=",  # empty choice
        "sex=X",
        "sex=F&sex=M",  # a single-valued parameter given twice
    ],
)
def test_typed_filters_refuse_what_their_schema_forbids(api, staff, query):
    response = api(staff.officer).get(f"{PEOPLE}?{query}")
    assert response.status_code == 400, (query, response.content)


def test_empty_uuid_filter_is_refused(api, staff):
    response = api(staff.officer).get("/api/v1/cases/?person=")
    assert response.status_code == 400


def test_valid_filters_and_free_text_still_work(api, staff):
    client = api(staff.sync_a)
    han = client.post(PEOPLE, _person(is_migrant=True), format="json").json()
    client.post(PEOPLE, _person(name="李雷", national_id="110105194912310029"), format="json")
    officer = api(staff.officer)
    migrants = officer.get(f"{PEOPLE}?is_migrant=true").json()
    assert [p["name"] for p in migrants["results"]] == ["韩梅"]
    # A free-text filter may be empty: the schema's string allows it.
    assert officer.get(f"{PEOPLE}?org_unit=").status_code == 200
    assert officer.get(f"/api/v1/cases/?person={han['id']}").json()["count"] == 0
    # An unknown record in a typed filter is refused (django-filter's own check).
    assert officer.get(f"/api/v1/cases/?person={uuid.uuid4()}").status_code == 400


def test_every_api_serializer_of_ours_is_strict():
    """A new serializer on plain DRF would quietly coerce again: this test names it."""
    lax = []
    for config in apps.get_app_configs():
        if not config.path.startswith(str(settings.BASE_DIR)):
            continue
        for name in ("api", "api_views"):
            try:
                module = importlib.import_module(f"{config.name}.{name}")
            except ModuleNotFoundError:
                continue
            for attr, obj in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(obj, serializers.BaseSerializer)
                    and obj.__module__ == module.__name__
                    and not issubclass(obj, StrictTypesMixin)
                ):
                    lax.append(f"{module.__name__}.{attr}")
    assert lax == []


def test_related_fields_expect_their_models_key_type():
    from aidcenter.api_strict import INTEGER, STRING, expected_type
    from jobs.apibase import ScopedRelatedField
    from training.models import Course, TrainingClass

    assert expected_type(serializers.PrimaryKeyRelatedField(queryset=Course.objects.all())) == (
        INTEGER
    )
    assert expected_type(ScopedRelatedField(TrainingClass)) == INTEGER  # no queryset yet
    assert expected_type(ScopedRelatedField(Person)) == STRING
