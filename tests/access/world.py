"""The access matrix's data set: the same records built in each of five units.

SH (city) ─┬─ PT (district) ─┬─ PT-A (street sub-center)
           │                 └─ PT-B (street sub-center)
           └─ QX (district)

Every unit-kept resource gets one record per unit, built by the apps' own services (or the
test factories where a service would need a long workflow first), so a role at PT-A meets
records of its own unit (PT-A), a sibling (PT-B) and the parent (PT), and a role at PT meets
PT, QX and SH.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from aidcenter.models import OrgUnit
from tests.factories import OrgUnitFactory, PersonFactory, StaffFactory, UserFactory

UNITS = ("SH", "PT", "PT-A", "PT-B", "QX")
PARENT = {"SH": None, "PT": "SH", "PT-A": "PT", "PT-B": "PT", "QX": "SH"}

# A tiny valid PDF: the upload rule recognises documents by their first bytes.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _tree() -> dict[str, OrgUnit]:
    kinds = {
        "SH": OrgUnit.Kind.CITY,
        "PT": OrgUnit.Kind.DISTRICT,
        "QX": OrgUnit.Kind.DISTRICT,
        "PT-A": OrgUnit.Kind.STREET,
        "PT-B": OrgUnit.Kind.STREET,
    }
    made: dict[str, OrgUnit] = {}
    for code in UNITS:
        parent = made.get(PARENT[code]) if PARENT[code] else None
        made[code] = OrgUnitFactory(code=code, name=f"单位{code}", kind=kinds[code], parent=parent)
    return made


def _user(username: str, role: str, unit: OrgUnit):
    user = UserFactory(username=username, is_staff=role != "sync_client")
    StaffFactory(user=user, role=role, org_unit=unit)
    user.refresh_from_db()
    return user


def build() -> SimpleNamespace:
    from cases import desk
    from cases import documents as case_documents
    from cases.models import HouseholdMember
    from funds import bank, batches
    from funds import services as funds
    from jobs import services as jobs
    from legal import services as legal
    from tests.funds.factories import WorkerFactory
    from tests.jobs.factories import EmployerFactory, JobFairFactory, VacancyFactory
    from tests.legal.factories import LawyerFactory
    from tests.training.factories import CourseFactory, TrainingClassFactory
    from training import services as training

    units = _tree()
    # The records are entered and approved by two builder accounts; the admin under test is a
    # third one, so "never ones they entered" does not stand in its way.
    admin = _user("m_builder", "admin", units["SH"])
    admin2 = _user("m_builder2", "admin", units["SH"])
    users = {
        "front_desk": _user("m_desk", "front_desk", units["PT-A"]),
        "caseworker": _user("m_case", "caseworker", units["PT-A"]),
        "sync_client": _user("m_sync", "sync_client", units["PT-A"]),
        "auditor": _user("m_auditor", "auditor", units["PT-A"]),
        "district_officer": _user("m_officer", "district_officer", units["PT"]),
        "fund_approver": _user("m_approver", "fund_approver", units["PT"]),
        "fund_manager": _user("m_manager", "fund_manager", units["PT"]),
        "admin": _user("m_admin", "admin", units["SH"]),
    }
    today = timezone.localdate()
    employer = EmployerFactory()
    course = CourseFactory()
    lawyer = LawyerFactory()
    rec: dict[str, dict[str, object]] = {}

    def put(kind: str, code: str, obj) -> None:
        rec.setdefault(kind, {})[code] = obj

    for n, code in enumerate(UNITS):
        unit = units[code]
        put("org-units", code, unit)
        worker = WorkerFactory(org_unit=unit, person=PersonFactory(org_unit=unit))
        put("workers", code, worker)
        put(
            "household",
            code,
            HouseholdMember.objects.create(
                org_unit=unit, worker=worker, person=PersonFactory(org_unit=unit), relation="spouse"
            ),
        )
        person = PersonFactory(org_unit=unit)
        put("people", code, person)
        document = case_documents.document_add(
            by=admin,
            worker=worker,
            kind="income",
            upload=SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf"),
        )
        put("documents", code, document)
        case = desk.case_log(
            by=admin,
            org_unit=unit,
            person=person,
            data={"channel": "walk_in", "category": "other", "summary": f"来访{code}"},
        )
        put("cases", code, case)
        put("notes", code, desk.note_add(by=admin, case=case, body=f"记录{code}"))

        fair = JobFairFactory(org_unit=unit)
        put("job-fairs", code, fair)
        vacancy = VacancyFactory(org_unit=unit, employer=employer)
        put("vacancies", code, vacancy)
        seeker = jobs.seeker_register(by=admin, person=person, org_unit=unit, desired_job="操作工")
        put("job-seekers", code, seeker)
        put("guidance", code, jobs.guidance_record(by=admin, seeker=seeker, held_on=today))
        put(
            "intents",
            code,
            jobs.intent_record(by=admin, seeker=seeker, vacancy=vacancy, reached_on=today),
        )
        put(
            "placements",
            code,
            jobs.placement_create(by=admin, seeker=seeker, vacancy=vacancy, started_on=today),
        )
        klass = TrainingClassFactory(org_unit=unit, course=course, capacity=5)
        put("classes", code, klass)
        enrolment = training.enrolment_create(by=admin, person=person, training_class=klass)
        put("enrolments", code, enrolment)
        enrolment = training.enrolment_complete(by=admin, enrolment=enrolment, exam_passed=True)
        put(
            "certificates",
            code,
            training.certificate_issue(
                by=admin,
                enrolment=enrolment,
                kind="qualification",
                number=f"CERT-{code}",
                issued_on=today,
            ),
        )
        put(
            "legal-cases",
            code,
            legal.legal_case_open(
                by=admin,
                org_unit=unit,
                case_type="wage_arrears",
                claimants=[{"person": person, "amount_claimed": "1000.00"}],
                employer=employer,
                opened_on=today,
            ),
        )

        fund = funds.fund_create(
            by=admin,
            org_unit=unit,
            code=f"F-{code}",
            name=f"基金{code}",
            source_kind="central",
            aid_types=["living", "loan", "voucher"],
            loan_min="1000.00",
            loan_max="20000.00",
            loan_max_hiring="50000.00",
            loan_min_months=12,
            loan_max_months=36,
            loan_instalment_months=6,
        )
        funds.income_record(
            by=admin, fund=fund, amount="100000.00", received_on=today, source="财政"
        )
        put("funds", code, fund)
        application = funds.application_create(
            by=admin,
            org_unit=unit,
            person=worker.person,
            worker=worker,
            data={
                "aid_type": "living",
                "amount": "300.00",
                "payment_method": "bank",
                "bank_account": f"6222{n:012d}",
                "bank_name": "工商银行",
                "payee_name": worker.person.name,
            },
        )
        application = funds.application_submit(by=admin, application=application)
        application = funds.application_approve(by=admin2, application=application)
        payment = funds.application_pay(by=admin, application=application, fund=fund)
        put("aid-applications", code, application)
        put("payments", code, payment)
        put("ledger", code, payment.transaction.entries.first())
        put("bank-files", code, bank.bank_file_create(by=admin, fund=fund))
        loan_app = funds.application_create(
            by=admin,
            org_unit=unit,
            person=worker.person,
            worker=worker,
            data={
                "aid_type": "loan",
                "amount": "2000.00",
                "term_months": 12,
                "payment_method": "cash",
                "reason": "开店",
            },
        )
        loan_app = funds.application_submit(by=admin, application=loan_app)
        loan_app = funds.application_approve(by=admin2, application=loan_app)
        put("loans", code, funds.application_pay(by=admin, application=loan_app, fund=fund).loan)
        put(
            "aid-batches",
            code,
            batches.batch_build(
                by=admin,
                fund=fund,
                org_unit=unit,
                kind="voucher",
                name=f"救助券{code}",
                month=today,
                method="voucher",
            ),
        )
    return SimpleNamespace(
        units=units,
        users=users,
        rec=rec,
        catalogue={"employers": employer, "courses": course, "lawyers": lawyer},
    )
