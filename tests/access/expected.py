"""DESIGN.md's access rules, written out endpoint by endpoint for the access matrix.

This table is written from DESIGN.md ("The org tree, roles and scope", "Who uses it", "Rules
that hold everywhere"), not from aidcenter/roles.py: the matrix compares the application with
the brief, so a wrong entry in roles.py or a view that forgets its permission shows up here.
Every URL pattern of the project must be classified below; a pattern missing here fails the
matrix ("new endpoint not classified").

Who may do what, in DESIGN.md's words:
- every role reads the records in its scope ("read everything in scope"; the sync client as a
  caseworker of its unit);
- ENTER — front desk "create and edit people, draft files, cases and notes, job-seeker
  registrations, enrolments, aid applications (draft, submit)"; the caseworker and the sync
  client ("what caseworker may") too; the admin ("everything, everywhere");
- RUN — the caseworker "plus run fairs, classes, legal cases, referrals, annual reviews";
- REVIEW — the district officer "review files (approve / reject with opinion); lift and close";
- APPROVE — the fund approver "approve or reject aid applications and batches";
- MANAGE — the fund manager "manage funds owned in scope, record income, pay approved
  applications and batches, reverse payments, statements, year close";
- ADMIN — "manages units, staff and keys"; setting up a new earmarked fund is read as the
  centre's administration (a fund manager manages the funds that exist);
- pages: every role but the sync client ("over the API only").

Interpretations where DESIGN.md leaves room, each taken from its own text:
- routing a case to a service (`refer`) is ENTER: the front desk "route[s] the need to jobs,
  training, legal aid or financial aid" ("Who uses it");
- opening a legal case (intake) is ENTER, like any case the front desk logs; running it
  (stages, lawyer, recoveries, documents) is RUN;
- attendance and results of an enrolment (PATCH, complete) are running a class (RUN);
  enrolling and dropping out are ENTER;
- a bank file carries account numbers ("bank data … only to the roles that work with them"):
  only MANAGE downloads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = (
    "front_desk",
    "caseworker",
    "district_officer",
    "fund_approver",
    "fund_manager",
    "auditor",
    "admin",
    "sync_client",
)
READ = frozenset(ROLES)
ENTER = frozenset({"front_desk", "caseworker", "sync_client", "admin"})
RUN = frozenset({"caseworker", "sync_client", "admin"})
REVIEW = frozenset({"district_officer", "admin"})
REPORTS = frozenset({"district_officer", "auditor", "admin"})  # "dashboards and reports"
APPROVE = frozenset({"fund_approver", "admin"})
MANAGE = frozenset({"fund_manager", "admin"})
ADMIN = frozenset({"admin"})
HISTORY = frozenset({"auditor", "admin"})  # "including history and the access log"
PAGES = READ - {"sync_client"}
NOBODY = frozenset()  # not offered at all (405 for those who pass the role check)

# Scope kinds: UNIT — kept by a unit, seen by that unit and the units above it (404 elsewhere);
# WIDE — a city-wide catalogue, read and (by its writers) changed by any unit;
# OWNED — public to read city-wide, changed only within the keeping unit's scope (403 else).
UNIT, WIDE, OWNED = "unit", "wide", "owned"


@dataclass(frozen=True)
class Res:
    """One router resource. `record` names the built records (tests/access/world.py);
    `actions` maps each @action to {HTTP method: roles}."""

    record: str | None
    scope: str = UNIT
    list: frozenset = READ
    read: frozenset = READ
    create: frozenset = ENTER
    update: frozenset = ENTER
    delete: frozenset = ENTER
    actions: dict = field(default_factory=dict)
    parent: str | None = None  # nested route: the record kind of the parent
    unit_field: bool = True  # create takes `org_unit` (checked against the caller's scope)


def _read_only(record, scope=UNIT, **actions):
    return Res(record, scope, create=NOBODY, update=NOBODY, delete=NOBODY, actions=actions)


POST, GET = "post", "get"

API = {
    "org-units": _read_only("org-units"),
    "people": Res(
        "people",
        actions={
            "search": {POST: READ},
            # exact-number lookup city-wide: learns only the keeping unit and the file status
            "lookup": {POST: READ},
        },
    ),
    "workers": Res(
        "workers",
        actions={
            "submit": {POST: ENTER},
            "approve": {POST: REVIEW},
            "reject": {POST: REVIEW},
            "lift": {POST: REVIEW},
            "close": {POST: REVIEW},
            "reopen": {POST: ENTER},
            "review": {POST: RUN},
            "documents": {GET: READ, POST: ENTER},
        },
    ),
    "household": Res("household", parent="workers", unit_field=False),
    "cases": Res(
        "cases",
        actions={
            name: {POST: ENTER}
            for name in (
                "start",
                "resolve",
                "close",
                "reopen",
                "refer",
                "acceptance",
                "extend",
                "follow_up",
            )
        },
    ),
    # "a timeline of notes": added, never edited
    "notes": Res("notes", parent="cases", unit_field=False, update=NOBODY),
    "employers": Res(
        None,
        WIDE,
        create=RUN,
        update=RUN,
        delete=NOBODY,
        unit_field=False,
        actions={"export": {GET: READ}},
    ),
    "job-fairs": Res(
        "job-fairs", OWNED, create=RUN, update=RUN, delete=NOBODY, actions={"export": {GET: READ}}
    ),
    "vacancies": Res(
        "vacancies",
        OWNED,
        create=RUN,
        update=RUN,
        delete=NOBODY,
        actions={
            "export": {GET: READ},
            "import_template": {GET: READ},
            "import_xlsx": {POST: RUN},
            "matches": {GET: READ},
        },
    ),
    "job-seekers": Res("job-seekers", actions={"export": {GET: READ}, "matches": {GET: READ}}),
    "guidance": Res(
        "guidance", create=RUN, update=RUN, delete=RUN, actions={"export": {GET: READ}}
    ),
    "intents": Res("intents", create=RUN, update=RUN, delete=RUN, actions={"export": {GET: READ}}),
    "placements": Res(
        "placements", create=RUN, update=RUN, delete=RUN, actions={"export": {GET: READ}}
    ),
    "courses": Res(
        None,
        WIDE,
        create=RUN,
        update=RUN,
        delete=NOBODY,
        unit_field=False,
        actions={"export": {GET: READ}},
    ),
    "classes": Res(
        "classes", OWNED, create=RUN, update=RUN, delete=NOBODY, actions={"export": {GET: READ}}
    ),
    "enrolments": Res(
        "enrolments",
        update=RUN,
        actions={"complete": {POST: RUN}, "drop": {POST: ENTER}, "export": {GET: READ}},
    ),
    "certificates": Res(
        "certificates",
        create=RUN,
        update=RUN,
        delete=RUN,
        actions={"expiring": {GET: READ}, "export": {GET: READ}},
    ),
    "funds": Res(
        "funds",
        create=ADMIN,
        update=NOBODY,
        delete=NOBODY,
        actions={
            "income": {POST: MANAGE},
            "budget": {GET: READ, POST: MANAGE},
            "close_year": {POST: MANAGE},
            "statement": {GET: READ},
            "statement_xlsx": {GET: READ},
            # "an audit pack … is exported for the auditors" (payees' accounts inside)
            "audit_pack": {GET: MANAGE | HISTORY},
        },
    ),
    "aid-applications": Res(
        "aid-applications",
        actions={
            "submit": {POST: ENTER},
            "approve": {POST: APPROVE},
            "reject": {POST: APPROVE},
            "pay": {POST: MANAGE},
            "documents": {GET: READ, POST: ENTER},
            "schooling_recipients": {GET: READ},
        },
    ),
    "payments": _read_only("payments", reverse={POST: MANAGE}),
    "ledger": _read_only("ledger"),
    "aid-batches": Res(
        "aid-batches",
        create=MANAGE,
        update=NOBODY,
        delete=NOBODY,
        actions={
            "approve": {POST: APPROVE},
            "reject": {POST: APPROVE},
            "pay": {POST: MANAGE},
            "lines": {GET: READ},
            "progress": {GET: READ},
            "xlsx": {GET: READ},
        },
    ),
    "bank-files": Res(
        "bank-files",
        create=MANAGE,
        update=NOBODY,
        delete=NOBODY,
        unit_field=False,
        actions={"download": {GET: MANAGE}, "results": {POST: MANAGE}},
    ),
    "loans": _read_only("loans", overdue={GET: READ}, repay={POST: MANAGE}),
    "legal-cases": Res(
        "legal-cases",
        update=RUN,
        delete=RUN,
        actions={
            "assign_lawyer": {POST: RUN},
            "move": {POST: RUN},
            "recoveries": {POST: RUN},
            "restart_limitation": {POST: RUN},
            "documents": {POST: RUN},
            "document_file": {GET: READ},
            "export": {GET: READ},
        },
    ),
    "lawyers": _read_only(None, WIDE),
}

# Views of the API that are not router resources, by URL name.
API_VIEWS = {
    "sync-changes": READ,  # the change feed, scoped row by row (tests/aidcenter/test_feed.py)
    # DESIGN.md gives dashboards to district officers; the team opened the figures of one's own
    # scope to every role (tests/stats, API.md's stats summary): recorded here as that decision.
    "stats-summary": READ,
}


@dataclass(frozen=True)
class Page:
    """A staff page, by its URL name. `record` names the built record its <pk> takes;
    `actions` maps the <action> slug to the roles that may POST it."""

    method: str = GET
    who: frozenset = PAGES
    record: str | None = None
    actions: dict = field(default_factory=dict)
    public: bool = False  # reachable without logging in (login, health, language, schema)
    unbuilt: str = ""  # classified, but records of it are not built here: says where tested
    data: dict = field(default_factory=dict)  # a POST body that would succeed if allowed
    scope: str = UNIT  # of the record it shows


PAGE_TABLE = {
    "home": Page(),
    "healthz": Page(public=True),
    # monitoring: from the allowed addresses or with the metrics token, else 404 (no login)
    "metrics": Page(public=True),
    "login": Page(public=True),
    "logout": Page(method=POST, public=True),
    "otp-verify": Page(public=True, unbuilt="the login step: tests/aidcenter (security)"),
    "otp-setup": Page(public=True, unbuilt="the login step: tests/aidcenter (security)"),
    "set_language": Page(method=POST, public=True),
    "api-schema": Page(public=True),
    "api-docs": Page(public=True),
    "excel-jobs": Page(),
    "excel-job": Page(unbuilt="a user's own Excel job: tests of the Excel jobs"),
    "excel-job-download": Page(unbuilt="a user's own Excel job: tests of the Excel jobs"),
    "cases:search": Page(),
    "cases:person": Page(record="people"),
    "cases:person-export": Page(record="people"),  # PIPL: all held, masked per viewer
    "cases:person-erase": Page(method=POST, who=ADMIN, record="people", data={"reason": "x"}),
    "cases:search-export": Page(method=POST),
    "cases:file-action": Page(
        method=POST,
        record="workers",
        actions={
            "submit": ENTER,
            "approve": REVIEW,
            "reject": REVIEW,
            "lift": REVIEW,
            "close": REVIEW,
            "reopen": ENTER,
            "review": RUN,
        },
    ),
    "cases:document": Page(record="documents"),
    "cases:desk": Page(),
    "cases:desk-person": Page(record="people"),
    "cases:desk-log": Page(
        method=POST,
        who=ENTER - {"sync_client"},
        data={
            "channel": "hotline",
            "category": "other",
            "urgency": "normal",
            "summary": "匿名来电咨询",
        },
    ),
    "cases:case": Page(record="cases"),
    "cases:receipt": Page(record="cases"),
    "cases:case-act": Page(
        method=POST,
        record="cases",
        actions=dict.fromkeys(
            (
                "start",
                "resolve",
                "close",
                "reopen",
                "note",
                "accept",
                "decline",
                "extend",
                "follow-up",
                "refer",
            ),
            ENTER,
        ),
    ),
    "cases:queue": Page(),
    "cases:queue-export": Page(),
    "cases:registry-template": Page(who=ENTER - {"sync_client"}),
    "cases:registry-import": Page(method=POST, who=ENTER - {"sync_client"}),
    "jobs:vacancies": Page(),
    "jobs:vacancy": Page(record="vacancies", scope=OWNED),  # job openings are public
    "jobs:seeker": Page(record="job-seekers"),
    "jobs:record-intent": Page(method=POST, who=RUN, unbuilt="a seeker and a vacancy: tests/jobs"),
    "jobs:place": Page(method=POST, who=RUN, unbuilt="a vacancy and a seeker: tests/jobs"),
    "stats:dashboard": Page(),  # see "stats-summary" above; the reports stay REPORTS
    "stats:records": Page(unbuilt="drill-down behind a dashboard figure: tests/stats"),
    "stats:reports": Page(who=REPORTS),
    "stats:annual-report": Page(who=REPORTS),
    "stats:upward-export": Page(who=REPORTS),
    "stats:chart": Page(unbuilt="a chart of the dashboard: tests/stats"),
}

# The admin: who may open each registered model's list. Records kept by a unit are listed
# only within the viewer's scope (checked for the models whose records the matrix builds).
ADMIN_TABLE = {
    "auth.Group": frozenset(),  # Django's permission groups: unused, superusers only
    "auth.User": ADMIN,  # "manages units, staff and keys"
    "aidcenter.ApiKey": ADMIN,
    "aidcenter.OrgUnit": PAGES,
    "aidcenter.AccessLog": HISTORY,
    "pghistory.Events": frozenset(),  # raw history: superusers; staff read it on the pages
    "django_tasks_database.DBTaskResult": frozenset(),  # the task queue: superusers
    "axes.AccessAttempt": ADMIN,  # login failures and lockouts
    "axes.AccessLog": frozenset(),
    "axes.AccessFailureLog": frozenset(),
    "otp_totp.TOTPDevice": ADMIN,
    "cases.Person": PAGES,
    "cases.Worker": PAGES,
    "cases.MinimumLivingLine": PAGES,
    "jobs.Employer": PAGES,
    "jobs.JobFair": PAGES,
    "jobs.Vacancy": PAGES,
    "jobs.JobSeeker": PAGES,
    "jobs.Guidance": PAGES,
    "jobs.Intent": PAGES,
    "jobs.Placement": PAGES,
    "training.Course": PAGES,
    "training.TrainingClass": PAGES,
    "training.Enrolment": PAGES,
    "training.Certificate": PAGES,
    "legal.Lawyer": PAGES,
    "legal.PastClient": PAGES,
    "legal.LegalCase": PAGES,
    "funds.Fund": PAGES,
    "funds.FundIncome": PAGES,
    "funds.FundBudget": PAGES,
    "funds.AidCap": PAGES,
    "funds.AidApplication": PAGES,
    "funds.Payment": PAGES,
    "funds.LedgerTransaction": PAGES,
    "funds.AidBatch": PAGES,
    "funds.BankFile": PAGES,
    "funds.Loan": PAGES,
    "funds.ClosedYear": PAGES,
}

# Admin lists whose rows the matrix checks against the scope rule: model -> built records.
ADMIN_SCOPED = {
    "cases.Person": "people",
    "cases.Worker": "workers",
    "jobs.JobSeeker": "job-seekers",
    "jobs.Guidance": "guidance",
    "training.Enrolment": "enrolments",
    "legal.LegalCase": "legal-cases",
    "funds.Fund": "funds",
    "funds.AidApplication": "aid-applications",
    "funds.Payment": "payments",
    "funds.AidBatch": "aid-batches",
    "funds.Loan": "loans",
}
