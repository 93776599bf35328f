"""`/api/v1/legal-cases/` and `/api/v1/lawyers/` per API.md: nested claimants, read-only
limitation, the conflict check's 409, stage moves, scope per role, export, query counts."""

import datetime
import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from legal import services
from legal.models import LegalCase, LegalDocument
from tests.factories import PersonFactory
from tests.legal.factories import DutySlotFactory, LawyerFactory, PastClientFactory

URL = "/api/v1/legal-cases/"
D = datetime.date


def _body(people, employer, **extra):
    return {
        "case_type": "wage_arrears",
        "claimants": [{"person": str(p.pk), "amount_claimed": amount} for p, amount in people],
        "employer": employer.pk,
        "knew_of_violation_on": "2026-01-20",
        "opened_on": "2026-02-01",
        **extra,
    }


def test_create_with_claimants_answers_the_record_with_sums_and_limitation(
    api, staff, units, employer
):
    a = PersonFactory(org_unit=units.a, is_migrant=True)
    b = PersonFactory(org_unit=units.a, is_migrant=True)
    record_id = uuid.uuid4()
    body = _body([(a, "12000.00"), (b, "8500.50")], employer, id=str(record_id))
    body["limitation_ends_on"] = "2030-01-01"  # read-only: ignored
    answer = api(staff.desk_a).post(URL, body, format="json")
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert {k: data[k] for k in data if k not in {"created_at", "updated_at", "stages"}} == {
        "id": str(record_id),
        "org_unit": "PT-A",
        "version": 2,
        "case_type": "wage_arrears",
        "summary": "",
        "claimants": [
            {
                "person": str(a.pk),
                "amount_claimed": "12000.00",
                "amount_recovered": "0.00",
                "eligibility": "migrant_wage_arrears",
            },
            {
                "person": str(b.pk),
                "amount_claimed": "8500.50",
                "amount_recovered": "0.00",
                "eligibility": "migrant_wage_arrears",
            },
        ],
        "amount_claimed_total": "20500.50",
        "amount_recovered_total": "0.00",
        "employer": employer.pk,
        "stage": "intake",
        "lawyer": None,
        "conflict_override_reason": "",
        "is_legal_aid": True,
        "knew_of_violation_on": "2026-01-20",
        "wages_during_employment": False,
        "employment_ended_on": None,
        "limitation_restarted_on": None,
        "limitation_restart_reason": "",
        "limitation_ends_on": "2027-01-20",
        "mediation_applied_on": None,
        "arbitration_accepted_on": None,
        "award_extended": False,
        "award_received_on": None,
        "next_hearing_on": None,
        "follow_up_on": None,
        "next_deadline_on": "2027-01-20",
        "next_deadline_kind": "limitation",
        "deadline_flag": None,
        "outcome": "",
        "outcome_note": "",
        "opened_on": "2026-02-01",
        "closed_on": None,
        "referred_from": None,
        "documents": [],
    }
    assert data["stages"] == [
        {"stage": "intake", "started_on": "2026-02-01", "ended_on": None, "result": ""}
    ]
    # A replay with the same content answers the record; other content is a conflict.
    replay = api(staff.desk_a).post(URL, body, format="json")
    assert (replay.status_code, replay.json()["id"]) == (200, str(record_id))
    other = api(staff.desk_a).post(URL, {**body, "summary": "另一案"}, format="json")
    assert (other.status_code, other.json()) == (409, {"code": "id_conflict"})
    assert LegalCase.objects.count() == 1


def test_bad_input_is_a_400_with_field_errors(api, staff, units, employer):
    person = PersonFactory(org_unit=units.a)
    client = api(staff.case_a)
    no_claimants = client.post(URL, {"case_type": "wage_arrears", "claimants": []}, format="json")
    assert no_claimants.status_code == 400 and "claimants" in no_claimants.json()
    outside = PersonFactory(org_unit=units.b)
    answer = client.post(URL, _body([(outside, "1.00")], employer), format="json")
    assert answer.status_code == 400 and "claimants" in answer.json()
    nul = client.post(URL, _body([(person, "1.00")], employer, summary="a\x00b"), format="json")
    assert nul.status_code == 400
    huge = client.post(URL, _body([(person, "1e30")], employer), format="json")
    assert huge.status_code == 400
    assert LegalCase.objects.count() == 0


def test_patch_needs_the_version_and_edits_claimants_and_facts(api, staff, units, open_case):
    a, b = (PersonFactory(org_unit=units.a, is_migrant=True) for _ in range(2))
    case = open_case(a, amounts=["1000"])
    client = api(staff.case_a)
    assert client.patch(f"{URL}{case.pk}/", {"summary": "x"}, format="json").status_code == 400
    stale = client.patch(f"{URL}{case.pk}/", {"version": 1, "summary": "x"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    answer = client.patch(
        f"{URL}{case.pk}/",
        {
            "version": case.version,
            "claimants": [
                {"person": str(a.pk), "amount_claimed": "1000.00", "amount_recovered": "400.00"},
                {"person": str(b.pk), "amount_claimed": "600.00"},
            ],
            "wages_during_employment": True,
            "limitation_ends_on": "2099-01-01",
        },
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (data["amount_claimed_total"], data["amount_recovered_total"]) == ("1600.00", "400.00")
    assert (data["limitation_ends_on"], data["version"] > case.version) == (None, True)


def test_patching_the_stage_moves_it_by_the_rules(api, staff, open_case):
    case = open_case()
    client = api(staff.sync_a)
    wrong = client.patch(
        f"{URL}{case.pk}/", {"version": case.version, "stage": "litigation"}, format="json"
    )
    assert wrong.status_code == 409 and wrong.json()["code"] == "invalid_move"
    right = client.patch(
        f"{URL}{case.pk}/", {"version": case.version, "stage": "mediation"}, format="json"
    )
    assert right.status_code == 200 and right.json()["stage"] == "mediation"
    assert right.json()["mediation_applied_on"] == timezone.localdate().isoformat()


def test_move_action_and_closing(api, staff, open_case):
    case = open_case()
    client = api(staff.case_a)
    answer = client.post(
        f"{URL}{case.pk}/move/",
        {"stage": "closed", "on": "2026-03-01", "outcome": "mediated", "result": "达成协议"},
        format="json",
    )
    assert answer.status_code == 200
    data = answer.json()
    assert (data["stage"], data["closed_on"], data["outcome"]) == (
        "closed",
        "2026-03-01",
        "mediated",
    )
    assert data["stages"][-2:] == [
        {
            "stage": "intake",
            "started_on": "2026-01-05",
            "ended_on": "2026-03-01",
            "result": "达成协议",
        },
        {"stage": "closed", "started_on": "2026-03-01", "ended_on": "2026-03-01", "result": ""},
    ]
    again = client.post(f"{URL}{case.pk}/move/", {"stage": "mediation"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_move")


def test_assigning_a_conflicted_lawyer_is_409_until_overridden(api, staff, open_case, employer):
    lawyer = LawyerFactory(name="李律师", firm="东方律师事务所")
    PastClientFactory(lawyer=lawyer, employer=employer)
    case = open_case()
    client = api(staff.case_a)
    refused = client.post(f"{URL}{case.pk}/assign-lawyer/", {"lawyer": lawyer.pk}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "lawyer_conflict"
    assert refused.json()["conflicts"] == [
        {"lawyer": "李律师（东方律师事务所）", "firm": "东方律师事务所", "employer": employer.name}
    ]
    accepted = client.post(
        f"{URL}{case.pk}/assign-lawyer/",
        {"lawyer": lawyer.pk, "override_reason": "无其他坐堂律师，当事人书面同意"},
        format="json",
    )
    assert accepted.status_code == 200
    assert (accepted.json()["lawyer"], accepted.json()["conflict_override_reason"]) == (
        lawyer.pk,
        "无其他坐堂律师，当事人书面同意",
    )


def test_patching_the_lawyer_runs_the_same_check(api, staff, open_case, employer):
    lawyer = LawyerFactory()
    PastClientFactory(lawyer=lawyer, employer=employer)
    case = open_case()
    client = api(staff.case_a)
    url = f"{URL}{case.pk}/"
    refused = client.patch(url, {"version": case.version, "lawyer": lawyer.pk}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "lawyer_conflict")
    ok = client.patch(
        url,
        {"version": case.version, "lawyer": lawyer.pk, "conflict_override_reason": "已解除代理"},
        format="json",
    )
    assert (ok.status_code, ok.json()["lawyer"]) == (200, lawyer.pk)


def test_restart_and_recoveries_actions(api, staff, open_case, units):
    worker = PersonFactory(org_unit=units.a, is_migrant=True)
    case = open_case(worker, data={"knew_of_violation_on": D(2026, 1, 1)})
    client = api(staff.case_a)
    restarted = client.post(
        f"{URL}{case.pk}/restart-limitation/",
        {"on": "2026-02-10", "reason": "employer_agreed"},
        format="json",
    )
    assert restarted.status_code == 200
    assert restarted.json()["limitation_ends_on"] == "2027-02-10"
    bad = client.post(
        f"{URL}{case.pk}/restart-limitation/", {"on": "2026-02-10", "reason": "x"}, format="json"
    )
    assert bad.status_code == 400
    recovered = client.post(
        f"{URL}{case.pk}/recoveries/",
        {"person": str(worker.pk), "amount": "750.00", "recovered_on": "2026-03-01"},
        format="json",
    )
    assert recovered.status_code == 201
    assert recovered.json()["claimants"][0]["amount_recovered"] == "750.00"


def test_documents_are_type_checked_and_kept_with_their_stage(
    api, staff, open_case, settings, tmp_path
):
    settings.MEDIA_ROOT = settings.PRIVATE_ROOT = tmp_path
    case = open_case()
    client = api(staff.case_a)
    pdf = io.BytesIO(b"%PDF-1.4 award")
    pdf.name = "裁决书.pdf"
    answer = client.post(
        f"{URL}{case.pk}/documents/", {"kind": "award", "file": pdf}, format="multipart"
    )
    assert answer.status_code == 201, answer.json()
    assert (answer.json()["stage"], answer.json()["original_name"]) == ("intake", "裁决书.pdf")
    text = io.BytesIO(b"not a pdf")
    text.name = "x.pdf"
    refused = client.post(
        f"{URL}{case.pk}/documents/", {"kind": "award", "file": text}, format="multipart"
    )
    assert refused.status_code == 400 and "file" in refused.json()
    unreached = io.BytesIO(b"%PDF-1.4")
    unreached.name = "y.pdf"
    answer = client.post(
        f"{URL}{case.pk}/documents/",
        {"kind": "judgment", "stage": "litigation", "file": unreached},
        format="multipart",
    )
    assert answer.status_code == 400 and "stage" in answer.json()
    document = LegalDocument.objects.get()
    assert document.file.path.startswith(str(tmp_path)) and "裁决书" not in document.file.name
    download = client.get(f"{URL}{case.pk}/documents/{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 award"
    assert api(staff.case_b).get(f"{URL}{case.pk}/documents/{document.pk}/").status_code == 404


# --- scope per role ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "who, sees_a, sees_b, patch_status, create_status",
    [
        ("desk_a", True, False, 403, 201),  # intake only
        ("case_a", True, False, 200, 201),
        ("sync_a", True, False, 200, 201),
        ("auditor_a", True, False, 403, 403),
        ("desk_point", False, False, 403, 400),  # PT-A lies above the aid point
        ("case_b", False, True, 404, 400),
        ("officer", True, True, 403, 403),
        ("auditor", True, True, 403, 403),
        ("manager", True, True, 403, 403),
        ("officer_qx", False, False, 403, 403),
        ("desk_qx", False, False, 403, 400),
        ("admin", True, True, 200, 201),
    ],
)
def test_scope_per_role(
    api, staff, units, open_case, who, sees_a, sees_b, patch_status, create_status
):
    in_a = open_case(PersonFactory(org_unit=units.a))
    in_b = open_case(PersonFactory(org_unit=units.b), by=staff.case_b, unit=units.b)
    client = api(getattr(staff, who))
    listed = {row["id"] for row in client.get(URL).json()["results"]}
    assert listed == {str(c.pk) for c, seen in [(in_a, sees_a), (in_b, sees_b)] if seen}
    assert client.get(f"{URL}{in_a.pk}/").status_code == (200 if sees_a else 404)
    assert client.get(f"{URL}{in_b.pk}/").status_code == (200 if sees_b else 404)
    patch = client.patch(
        f"{URL}{in_a.pk}/", {"version": in_a.version, "summary": "改"}, format="json"
    )
    assert patch.status_code == patch_status
    person = PersonFactory(org_unit=units.a)
    created = client.post(
        URL,
        {
            "case_type": "consultation",
            "claimants": [{"person": str(person.pk)}],
            "org_unit": "PT-A",
        },
        format="json",
    )
    assert created.status_code == create_status


def test_out_of_scope_actions_are_404_never_revealing(api, staff, units, open_case):
    in_b = open_case(PersonFactory(org_unit=units.b), by=staff.case_b, unit=units.b)
    client = api(staff.case_a)
    for path in ["move/", "assign-lawyer/", "restart-limitation/", "recoveries/"]:
        assert client.post(f"{URL}{in_b.pk}/{path}", {}, format="json").status_code == 404
    assert client.patch(f"{URL}{in_b.pk}/", {"version": 1}, format="json").status_code == 404
    assert client.delete(f"{URL}{in_b.pk}/").status_code == 404


def test_delete_is_soft_and_refused_once_money_was_recovered(api, staff, units, open_case):
    worker = PersonFactory(org_unit=units.a)
    kept, dropped = open_case(worker), open_case()
    services.recovery_record(by=staff.case_a, case=kept, person=worker, amount="10")
    client = api(staff.case_a)
    assert client.delete(f"{URL}{dropped.pk}/").status_code == 204
    assert LegalCase.objects.get(pk=dropped.pk).deleted_at is not None
    refused = client.delete(f"{URL}{kept.pk}/")
    assert (refused.status_code, refused.json()["code"]) == (409, "case_has_recoveries")
    assert [r["id"] for r in client.get(URL).json()["results"]] == [str(kept.pk)]


# --- lists ---------------------------------------------------------------------------------
def test_deadlines_stand_out_on_the_list_and_filter(api, staff, units, open_case):
    today = timezone.localdate()
    missed = open_case(data={"follow_up_on": today - datetime.timedelta(days=1)})
    soon = open_case(data={"next_hearing_on": today + datetime.timedelta(days=3)})
    calm = open_case(data={"follow_up_on": today + datetime.timedelta(days=30)})
    client = api(staff.case_a)
    flags = {r["id"]: r["deadline_flag"] for r in client.get(URL).json()["results"]}
    assert flags == {str(missed.pk): "missed", str(soon.pk): "due_soon", str(calm.pk): None}
    only = client.get(URL, {"deadline": "missed"}).json()["results"]
    assert [r["id"] for r in only] == [str(missed.pk)]
    assert services.deadline_counts(user=staff.case_a) == {"missed": 1, "due_soon": 1}
    assert services.deadline_counts(user=staff.case_b) == {"missed": 0, "due_soon": 0}


def test_list_query_count_is_flat_in_page_size(api, staff, units, open_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = api(staff.case_a)
    client.get(URL)  # the key's first use is recorded once; measure the steady state

    def count_for(n):
        for _ in range(n):
            people = [PersonFactory(org_unit=units.a, is_migrant=True) for _ in range(3)]
            case = open_case(*people, amounts=["1", "2", "3"], lawyer=LawyerFactory())
            services.stage_move(by=staff.case_a, case=case, to="mediation")
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(URL, {"page_size": 100})
        assert answer.status_code == 200
        return len(captured), answer.json()["count"]

    few, n_few = count_for(2)
    many, n_many = count_for(10)
    assert (n_few, n_many) == (2, 12)
    assert few == many and many <= 12


def test_export_has_the_list_with_sums_and_neutralised_formulas(
    api, staff, units, open_case, employer
):
    employer.name = '=HYPERLINK("http://x")'
    employer.save()
    a = PersonFactory(org_unit=units.a, name="+张三", is_migrant=True)
    b = PersonFactory(org_unit=units.a, name="李四", is_migrant=True)
    open_case(a, b, amounts=["100.50", "200"])
    answer = api(staff.case_a).get(f"{URL}export/")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    # Columns by position: the headers are in the staff's language (Chinese by default).
    assert rows[1][0] == "PT-A"
    assert rows[1][2:7] == (
        '\'=HYPERLINK("http://x")',
        employer.credit_code,
        "'+张三、李四",
        2,
        300.5,
    )


def test_lawyers_are_a_read_only_catalogue_with_duty_days(api, staff, units):
    lawyer = LawyerFactory(name="王律师")
    DutySlotFactory(lawyer=lawyer, org_unit=units.a, weekday=1)
    LawyerFactory(name="赵律师")
    client = api(staff.desk_qx)
    everyone = client.get("/api/v1/lawyers/").json()
    assert [r["name"] for r in everyone["results"]] == ["王律师", "赵律师"]
    assert everyone["results"][0]["duty_days"] == [{"org_unit": "PT-A", "weekday": 1}]
    tuesday = client.get("/api/v1/lawyers/", {"on_duty": "2026-03-03"}).json()["results"]
    assert [r["name"] for r in tuesday] == ["王律师"]
    assert client.post("/api/v1/lawyers/", {"name": "x"}, format="json").status_code == 405
    assert api().get("/api/v1/lawyers/").status_code == 401
