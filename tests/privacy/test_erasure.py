"""PIPL (issue #11, item 4): export of all that is held about a person, erasure that leaves
no trace of their identity in any table (history included) while the ledger keeps its
amounts, and the retention rule for closed files."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from aidcenter.errors import DomainError, Refused
from aidcenter.models import AccessLog, Change
from cases import desk, privacy
from cases import documents as case_documents
from cases import services as cases
from cases.models import HouseholdMember, Person, Worker, WorkerDocument
from funds import services as funds
from funds.models import LedgerEntry
from tests.factories import PersonFactory, make_national_id

NAME = "鲜于擘翮"  # a name no fixture or demo generator produces
ID = make_national_id(731, born="19700215")
PHONE = "13912345678"
ACCOUNT = "6222020200112233445"
PDF = b"%PDF-1.4\n" + b"1" * 300 + b"\n%%EOF\n"


@pytest.fixture
def private_root(tmp_path, settings):
    settings.MEDIA_ROOT = settings.PRIVATE_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def subject(units, staff, private_root):
    """A household head with a registered file, a document, a case with a note, an aid
    application paid by bank transfer, and a history of edits; the file then closed."""
    today = timezone.localdate()
    person = cases.person_create(
        by=staff.case_a,
        org_unit=units.a,
        data={"name": NAME, "national_id": ID, "phone": PHONE},
    )
    cases.person_update(by=staff.case_a, person=person, data={"phone": PHONE})
    worker = Worker.objects.create(
        org_unit=units.a,
        person=person,
        status="registered",
        registered_on=today,
        address="长寿路8号",
    )
    HouseholdMember.objects.create(org_unit=units.a, worker=worker, person=person, relation="head")
    document = case_documents.document_add(
        by=staff.case_a,
        worker=worker,
        kind="income",
        upload=SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf"),
    )
    case = desk.case_log(
        by=staff.desk_a,
        org_unit=units.a,
        person=person,
        data={"channel": "walk_in", "category": "other", "summary": f"{NAME}来访，电话{PHONE}"},
    )
    desk.note_add(by=staff.desk_a, case=case, body=f"{NAME}（{ID}）说明了情况")
    for step in ("start", "resolve"):
        desk.case_move(by=staff.desk_a, case=case, action=step, note=f"已告知{NAME}")
    fund = funds.fund_create(
        by=staff.admin, org_unit=units.pt, code="PIPL", name="帮扶基金", source_kind="central"
    )
    funds.income_record(
        by=staff.manager, fund=fund, amount="5000.00", received_on=today, source="区财政"
    )
    application = funds.application_create(
        by=staff.desk_a,
        org_unit=units.a,
        person=person,
        worker=worker,
        data={
            "aid_type": "living",
            "amount": "800.00",
            "payment_method": "bank",
            "bank_account": ACCOUNT,
            "bank_name": "工商银行",
            "payee_name": NAME,
            "reason": f"{NAME}家庭困难",
        },
    )
    application = funds.application_submit(by=staff.desk_a, application=application)
    application = funds.application_approve(
        by=staff.approver, application=application, opinion=f"同意{NAME}的申请"
    )
    if application.status != "approved":
        application = funds.application_approve(by=staff.approver2, application=application)
    payment = funds.application_pay(by=staff.manager, application=application, fund=fund)
    # Someone else's case quotes the subject's ID number and phone: found by the sweep.
    desk.case_log(
        by=staff.desk_a,
        org_unit=units.a,
        person=PersonFactory(org_unit=units.a),
        data={
            "channel": "hotline",
            "category": "other",
            "summary": f"代亲属咨询，亲属身份证{ID}，电话{PHONE}",
        },
    )
    cases.worker_close(
        by=staff.officer, worker=worker, reason="moved_away", on=today, note=f"{NAME}已迁出"
    )
    return {
        "person": person,
        "worker": worker,
        "document": document,
        "case": case,
        "fund": fund,
        "payment": payment,
    }


def _tables_holding(*needles: str) -> list[str]:
    """Every (table.column) whose text holds one of the needles — the whole schema."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type IN "
            "('text', 'character varying', 'character', 'jsonb', 'json')"
        )
        for table, column, kind in cursor.fetchall():
            cast = "::text" if kind in ("jsonb", "json") else ""
            for needle in needles:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE strpos("{column}"{cast}, %s) > 0',  # noqa: S608
                    [needle],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column} holds {needle!r}")
    return found


def _ledger():
    return sorted(LedgerEntry.objects.values_list("id", "account_id", "amount"))


def test_the_subject_is_held_in_many_tables_before(subject):
    """The search below is real: before erasure it finds the person all over the schema."""
    held = _tables_holding(NAME, ID)
    assert any("cases_person." in h for h in held)
    assert any("event" in h for h in held)  # pghistory rows
    assert any("funds_aidapplication" in h for h in held)
    assert len(held) >= 6, held


def test_erasure_leaves_no_identity_anywhere_and_the_ledger_unchanged(subject, staff, private_root):
    person, document = subject["person"], subject["document"]
    ledger_before = _ledger()
    balance_before = funds.fund_balances([subject["fund"]])
    stored = private_root / document.file.name
    assert stored.exists()
    changes_before = Change.objects.count()

    counts = privacy.erase(by=staff.admin, person=person, reason="本人申请删除")

    assert _tables_holding(NAME, ID, PHONE, ACCOUNT, "长寿路8号") == []
    assert not stored.exists()  # the proof document's bytes are gone
    assert counts["files"] == 1
    assert counts["elsewhere"] >= 2  # the other case and its history row
    person.refresh_from_db()
    assert person.name == privacy.placeholder(person)
    assert person.national_id is None and person.phone == "" and person.birth_date is None
    # the ledger: the same rows, the same amounts, the same balances
    assert _ledger() == ledger_before
    assert funds.fund_balances([subject["fund"]]) == balance_before
    assert sum(a for _i, _acc, a in _ledger()) == Decimal("0.00")
    # the records themselves are still there for the figures, pointing at the placeholder
    assert WorkerDocument.objects.filter(pk=document.pk).exists()
    subject["payment"].refresh_from_db()
    assert subject["payment"].amount == Decimal("800.00")
    # mirrors learn of it: the person's update was captured like any change
    assert Change.objects.filter(record_id=str(person.pk)).count() >= 1
    assert Change.objects.count() > changes_before
    log = AccessLog.objects.get(action=AccessLog.Action.ERASE)
    assert log.user == staff.admin and log.record_id == str(person.pk)


def test_only_an_administrator_erases_and_open_files_stop_it(subject, staff, units):
    for user in (staff.desk_a, staff.case_a, staff.officer, staff.auditor, staff.manager):
        with pytest.raises(Refused):
            privacy.erase(by=user, person=subject["person"])
    other = PersonFactory(org_unit=units.a, name="在册户主")
    worker = Worker.objects.create(
        org_unit=units.a, person=other, status="registered", registered_on=timezone.localdate()
    )
    HouseholdMember.objects.create(org_unit=units.a, worker=worker, person=other, relation="head")
    with pytest.raises(DomainError) as refused:
        privacy.erase(by=staff.admin, person=other)
    assert refused.value.code == "file_open"
    other.refresh_from_db()
    assert other.name == "在册户主" and other.national_id  # nothing changed
    assert Person.objects.get(pk=subject["person"].pk).name == NAME


def test_export_holds_the_records_and_masks_what_the_viewer_may_not_see(subject, staff):
    person = subject["person"]
    data = json.loads(privacy.export_json(by=staff.desk_a, person=person))
    records = data["records"]
    assert records["cases.Person"]["rows"][0]["national_id"] == ID  # own unit's entering role
    assert records["cases.Person"]["rows"][0]["name"] == NAME
    assert {
        "cases.Worker",
        "cases.WorkerDocument",
        "cases.Case",
        "cases.CaseNote",
        "funds.AidApplication",
        "funds.Payment",
    } <= set(records)
    assert records["cases.WorkerDocument"]["rows"][0]["file"].endswith(".pdf")
    # the front desk does not see bank accounts; an approver does; full IDs only in its unit
    assert ACCOUNT not in json.dumps(records["funds.AidApplication"], ensure_ascii=False)
    assert records["funds.AidApplication"]["rows"][0]["bank_account"].endswith(ACCOUNT[-4:])
    by_officer = json.loads(privacy.export_json(by=staff.officer, person=person))["records"]
    assert by_officer["cases.Person"]["rows"][0]["national_id"] != ID
    assert ID[-4:] in by_officer["cases.Person"]["rows"][0]["national_id"]
    by_approver = privacy.export_json(by=staff.approver, person=person).decode()
    assert ACCOUNT in by_approver
    assert AccessLog.objects.filter(action="export", record_id=str(person.pk)).count() == 3
    with pytest.raises(Refused):
        privacy.export(by=staff.desk_b, person=person)  # a sibling sub-center


def test_retention_erases_only_files_closed_long_enough_ago(subject, staff, units, settings):
    settings.RETENTION_CLOSED_FILES_YEARS = 5
    person = subject["person"]
    assert privacy.due_for_erasure() == []  # closed today: kept
    # five years on, and nothing happened since the file closed
    Worker.objects.filter(pk=subject["worker"].pk).update(
        ended_on=timezone.localdate() - datetime.timedelta(days=365 * 5 + 10)
    )
    _age_everything(person, days=365 * 5 + 20)
    kept = PersonFactory(org_unit=units.a, name="仍在册")
    assert [p.pk for p in privacy.due_for_erasure()] == [person.pk]
    call_command("apply_retention", "--dry-run", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Person.objects.get(pk=person.pk).name == NAME
    call_command("apply_retention", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Person.objects.get(pk=person.pk).name == privacy.placeholder(person)
    assert Person.objects.get(pk=kept.pk).name == "仍在册"
    assert _tables_holding(NAME, ID) == []


def _age_everything(person, *, days: int) -> None:
    """Move the person's records' timestamps back, as if the years had passed (the version
    trigger would stamp them `now()` again, so it is held off for this update only)."""
    import pgtrigger

    moment = timezone.now() - datetime.timedelta(days=days)
    found = privacy.holdings(person)
    held_off = [
        f"{model._meta.label}:{trigger.name}"
        for model, trigger in pgtrigger.registered()
        if model in found.rows and trigger.name == "bump_version"
    ]
    with pgtrigger.ignore(*held_off, *privacy._trails()):
        for model, ids in found.rows.items():
            names = {f.name for f in model._meta.concrete_fields}
            stamps = {s: moment for s in ("updated_at", "created_at") if s in names}
            if stamps and not hasattr(model, "pgh_obj"):
                model._base_manager.filter(pk__in=ids).update(**stamps)


def test_the_pages_download_the_export_and_let_an_administrator_erase(subject, staff, client):
    person = subject["person"]
    client.force_login(staff.desk_a)
    response = client.get(f"/people/{person.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)["records"]["cases.Person"]["rows"][0]["name"] == NAME
    assert client.get(f"/people/{person.pk}/erase/").status_code == 404  # not an admin
    assert client.post(f"/people/{person.pk}/erase/", {"reason": "x"}).status_code == 404
    client.force_login(staff.desk_b)
    assert client.get(f"/people/{person.pk}/export.json").status_code == 404  # sibling unit

    client.force_login(staff.admin)
    assert client.get(f"/people/{person.pk}/erase/").status_code == 200
    response = client.post(f"/people/{person.pk}/erase/", {"reason": ""})
    assert response.status_code == 200  # a reason is required: nothing erased
    assert Person.objects.get(pk=person.pk).name == NAME
    response = client.post(f"/people/{person.pk}/erase/", {"reason": "本人2026年11月申请"})
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).name == privacy.placeholder(person)
    assert _tables_holding(NAME, ID) == []
