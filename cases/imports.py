"""Excel import of the registry: household files with their members, one person a row.

A household is the rows sharing the head's ID number (first column); its head row (relation
"head") carries the file's facts, each other row is a member. Every row is checked first —
ID numbers (GB 11643), relations, levels, causes, amounts, the unit (one of the importer's
scope) and the household as a whole — and every error is reported with its row number. Only
then is everything saved, in one transaction, through the registry's own services
(`cases/services.py`), so an imported file is the same as one entered by hand (a draft, with
its history and its "created" event). Importing the same file again changes nothing: files
are found by the head's ID number, members by theirs, and a row equal to what is stored is
not written at all.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from aidcenter import imports as shared
from aidcenter.errors import Invalid, Refused
from aidcenter.models import OrgUnit
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope, scoped
from cases import idnumbers, services
from cases.models import FileEvent, HouseholdMember, Hukou, Person, Worker

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
ASYNC_BYTES = 300 * 1024  # larger uploads (some 3,000 rows) are imported by the task worker

COLUMNS = [
    shared.Column("head_id", gettext_lazy("Head's ID number")),
    shared.Column("relation", gettext_lazy("Relation to the head")),
    shared.Column("name", gettext_lazy("Name")),
    shared.Column("national_id", gettext_lazy("ID number")),
    shared.Column("phone", gettext_lazy("Phone")),
    shared.Column("is_migrant", gettext_lazy("Migrant worker (yes/no)")),
    shared.Column("hukou", gettext_lazy("Hukou (urban/rural)")),
    shared.Column("org_unit", gettext_lazy("Unit code")),
    shared.Column("address", gettext_lazy("Address")),
    shared.Column("employer_name", gettext_lazy("Employer")),
    shared.Column("employment_status", gettext_lazy("Employment status")),
    shared.Column("hardship_level", gettext_lazy("Hardship level")),
    shared.Column("main_cause", gettext_lazy("Main cause")),
    shared.Column("secondary_causes", gettext_lazy("Other causes (separated by 、)")),
    shared.Column("file_level", gettext_lazy("File level")),
    shared.Column("household_income_year", gettext_lazy("Household income a year (yuan)")),
    shared.Column("income_per_head", gettext_lazy("Monthly income per head (yuan)")),
    shared.Column("union_member_no", gettext_lazy("Union membership number")),
    shared.Column("school", gettext_lazy("School or grade")),
    shared.Column("health_note", gettext_lazy("Health or disability")),
]
FILE_FIELDS = (
    "address",
    "employer_name",
    "employment_status",
    "hardship_level",
    "main_cause",
    "secondary_causes",
    "file_level",
    "household_income_year",
    "income_per_head",
    "union_member_no",
)
PERSON_FIELDS = ("name", "phone", "is_migrant", "hukou")
MEMBER_FIELDS = ("relation", "school", "health_note")


def _example_rows() -> list[list]:
    head, child = "310107197003150106", "310107201009010138"
    return [
        [
            head,
            _("head of household"),
            "张桂英",
            head,
            "13800000000",
            _("no"),
            _("urban hukou"),
            "",
            "示例路1号",
            "示例机电厂",
            _("laid off"),
            _("deep hardship"),
            _("illness"),
            _("children's schooling"),
            _("grassroots"),
            24000,
            1000,
            "",
            "",
            "高血压",
        ],
        [
            head,
            _("child"),
            "李明",
            child,
            "",
            _("no"),
            _("urban hukou"),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            None,
            None,
            "",
            "示例中学初二",
            "",
        ],
    ]


def template_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Household files"))
    sheet.append([str(c.header) for c in COLUMNS])
    for row in _example_rows():
        sheet.append(row)
    for index in range(len(COLUMNS)):
        sheet.column_dimensions[chr(ord("A") + index)].width = 20 if index in (0, 3) else 14
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Reading one row ------------------------------------------------------------------------
def _choice_map(choices) -> dict[str, str]:
    """Code, English label and Chinese label of each choice → the code."""
    names = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices:
                names["".join(str(label).split()).lower()] = value
    for value, _label in choices:
        names[value.lower()] = value
    return names


def _choice(raw, choices: dict[str, str], what) -> str:
    value = shared.text(raw)
    if not value:
        return ""
    found = choices.get("".join(value.split()).lower())
    if found is None:
        message = _("%(field)s: unknown value “%(value)s”.") % {"field": what, "value": value[:40]}
        raise Invalid({what: [message]})
    return found


_YES = {"是", "yes", "y", "true", "1", "√"}
_NO = {"否", "no", "n", "false", "0", ""}


def _flag(raw, what) -> bool:
    if isinstance(raw, bool):
        return raw
    value = shared.text(raw).lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise Invalid({what: [_("%(field)s: write yes or no.") % {"field": what}]})


def _amount(raw, what) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        raise Invalid({what: [_("%(field)s: not an amount.") % {"field": what}]})
    try:
        value = Decimal(str(raw).replace(",", "").strip()).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise Invalid({what: [_("%(field)s: not an amount.") % {"field": what}]}) from None
    if value < 0 or value >= Decimal("10000000000"):
        raise Invalid({what: [_("%(field)s: not an amount.") % {"field": what}]})
    return value


def _id_number(raw, what) -> str:
    if not isinstance(raw, str | int):
        raise Invalid({what: [_("%(field)s: write the ID number as text.") % {"field": what}]})
    value = shared.text(raw)
    if not value:
        raise Invalid({what: [_("%(field)s is missing.") % {"field": what}]})
    try:
        return idnumbers.validate(value)
    except ValueError as exc:
        raise Invalid({what: [f"{what}: {exc}"]}) from None


@dataclass
class _Row:
    number: int
    head_id: str
    national_id: str
    person: dict
    member: dict
    file: dict
    unit_code: str


@dataclass
class _Household:
    head_id: str
    head: _Row | None = None
    members: list[_Row] = field(default_factory=list)
    unit: OrgUnit | None = None
    worker: Worker | None = None
    fresh: bool = False  # no one of the household is known yet: saved in bulk


class _Reader:
    """Turns one spreadsheet row into typed values, with the column's name in each message."""

    def __init__(self):
        self.headers = {c.key: str(c.header) for c in COLUMNS}
        self.relations = _choice_map(HouseholdMember.Relation.choices)
        self.hukou = _choice_map(Hukou.choices)
        self.employment = _choice_map(Worker.Employment.choices)
        self.levels = _choice_map(Worker.Level.choices)
        self.causes = _choice_map(Worker.Cause.choices)
        self.file_levels = _choice_map(Worker.FileLevel.choices)

    def row(self, number: int, raw: dict) -> _Row:
        h = self.headers
        head_id = _id_number(raw["head_id"], h["head_id"])
        national_id = _id_number(raw["national_id"], h["national_id"])
        relation = _choice(raw["relation"], self.relations, h["relation"])
        if not relation:
            raise Invalid({"relation": [_("%(field)s is missing.") % {"field": h["relation"]}]})
        name = shared.text(raw["name"])[:50]
        if not name:
            raise Invalid({"name": [_("%(field)s is missing.") % {"field": h["name"]}]})
        person = {
            "name": name,
            "phone": shared.text(raw["phone"]),
            "is_migrant": _flag(raw["is_migrant"], h["is_migrant"]),
            "hukou": _choice(raw["hukou"], self.hukou, h["hukou"]) or None,
        }
        member = {
            "relation": relation,
            "school": shared.text(raw["school"])[:100],
            "health_note": shared.text(raw["health_note"]),
        }
        causes = [
            _choice(part, self.causes, h["secondary_causes"])
            for part in shared.text(raw["secondary_causes"])
            .replace("，", "、")
            .replace(",", "、")
            .split("、")
            if part.strip()
        ]
        facts = {
            "address": shared.text(raw["address"])[:200],
            "employer_name": shared.text(raw["employer_name"])[:100],
            "employment_status": _choice(
                raw["employment_status"], self.employment, h["employment_status"]
            ),
            "hardship_level": _choice(raw["hardship_level"], self.levels, h["hardship_level"]),
            "main_cause": _choice(raw["main_cause"], self.causes, h["main_cause"]),
            "secondary_causes": sorted(set(causes)),
            "file_level": _choice(raw["file_level"], self.file_levels, h["file_level"])
            or Worker.FileLevel.GRASSROOTS,
            "household_income_year": _amount(
                raw["household_income_year"], h["household_income_year"]
            ),
            "income_per_head": _amount(raw["income_per_head"], h["income_per_head"]),
            "union_member_no": shared.text(raw["union_member_no"])[:40],
        }
        if relation == HouseholdMember.Relation.HEAD and national_id != head_id:
            raise Invalid({"head_id": [_("The head's row must carry the head's own ID number.")]})
        # The services' own person checks, and the phone in the form they store.
        person["phone"] = services._clean_person_fields({"phone": person["phone"]})["phone"]
        return _Row(
            number=number,
            head_id=head_id,
            national_id=national_id,
            person=person,
            member=member,
            file=facts,
            unit_code=shared.text(raw["org_unit"]).upper(),
        )


def _add(errors: list, number: int, message: str) -> None:
    errors.append((number, _("Row %(row)d: %(message)s") % {"row": number, "message": message}))


def _differs(obj, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


# --- The import ----------------------------------------------------------------------------
def registry_import(*, by, org_unit: OrgUnit, upload, progress=None) -> dict[str, int]:
    """Check every row, then save every household in one transaction; answer how many files
    were created, changed and left as they were, and how many members were added."""
    if not can(by, Action.ENTER):
        raise Refused(_("Your role may not do this."))
    if not in_scope(by, org_unit.pk):
        raise Refused(_("This unit is outside your scope."))
    raw_rows, errors = shared.read_rows(
        upload,
        columns=COLUMNS,
        max_rows=MAX_ROWS,
        max_bytes=MAX_BYTES,
        empty_message=_("The file has no household rows below the header."),
    )
    errors = [(None, e) for e in errors]
    reader = _Reader()
    units = {u.code.upper(): u for u in scoped(by, OrgUnit).only("id", "code")}
    households: dict[str, _Household] = {}
    seen: dict[str, int] = {}
    for index, (number, raw) in enumerate(raw_rows):
        if progress is not None and index % 1000 == 0:
            progress(index, len(raw_rows))
        try:
            row = reader.row(number, raw)
        except Invalid as exc:
            _add(errors, number, exc.message)
            continue
        if row.national_id in seen:
            other = seen[row.national_id]
            _add(errors, number, _("the same person as row %(other)d.") % {"other": other})
            continue
        seen[row.national_id] = number
        household = households.setdefault(row.head_id, _Household(head_id=row.head_id))
        if row.member["relation"] == HouseholdMember.Relation.HEAD:
            household.head = row
            unit = units.get(row.unit_code) if row.unit_code else org_unit
            if unit is None:
                code = row.unit_code[:20]
                _add(errors, number, _("no unit of yours has the code %(code)s.") % {"code": code})
            household.unit = unit
        else:
            household.members.append(row)
    for household in households.values():
        if household.head is None:
            first = household.members[0].number
            _add(errors, first, _("the household of this row has no head's row (relation: head)."))
    if not errors:
        errors = _check_against_stored(by, households)
    if errors:
        errors.sort(key=lambda item: item[0] or 0)
        raise Invalid({"rows": [message for _number, message in errors]})
    result = _save(by, households, progress=progress, total=len(raw_rows))
    if progress is not None:
        progress(len(raw_rows), len(raw_rows))
    return result


def _check_against_stored(by, households: dict[str, _Household]) -> list[tuple[int, str]]:
    """The files and people already stored: whose file each row joins, and who may not."""
    errors = []
    ids = [row.national_id for h in households.values() for row in [h.head, *h.members]]
    active = {}
    for start in range(0, len(ids), 5000):
        for member in HouseholdMember.objects.filter(
            person__national_id__in=ids[start : start + 5000], file_active=True
        ).select_related("person", "worker"):
            active[member.person.national_id] = member
    known = set()
    for start in range(0, len(ids), 5000):
        known.update(
            Person.objects.filter(
                national_id__in=ids[start : start + 5000], deleted_at__isnull=True
            ).values_list("national_id", flat=True)
        )
    for household in households.values():
        household.fresh = not any(
            r.national_id in known for r in [household.head, *household.members]
        )
        head = household.head
        stored = active.get(head.national_id)
        if stored is not None:
            if stored.relation != HouseholdMember.Relation.HEAD or not in_scope(
                by, stored.worker.org_unit_id
            ):
                _add(errors, head.number, str(services._duplicate()))
                continue
            household.worker = stored.worker
            if household.unit is not None and stored.worker.org_unit_id != household.unit.pk:
                _add(
                    errors,
                    head.number,
                    _("this file is kept by another unit: transfer it instead."),
                )
            elif (
                _differs(stored.worker, head.file)
                and stored.worker.status not in services.EDITABLE_STATUSES
            ):
                _add(errors, head.number, _("a file under review cannot be changed."))
        for row in household.members:
            stored = active.get(row.national_id)
            if stored is not None and (
                household.worker is None or stored.worker_id != household.worker.pk
            ):
                _add(errors, row.number, str(services._duplicate()))
    return errors


def _person_changes(person: Person, row: _Row) -> dict:
    return {k: v for k, v in row.person.items() if getattr(person, k) != v}


def _save_fresh(by, households: list[_Household]) -> None:
    """New households of people not known yet, in a few bulk inserts: the same rows
    `services.worker_create` and `services.member_add` write one by one (the person with the
    facts of the ID number, a draft file entered by the importer, the head's and each member's
    membership, the file's "created" event); the database's triggers (history, change capture,
    active membership) fire for each row alike."""
    today = services._today()
    people, workers, members = [], [], []
    for household in households:
        rows = [household.head, *household.members]
        persons = []
        for row in rows:
            person = Person(org_unit=household.unit, national_id=row.national_id, **row.person)
            person.birth_date = idnumbers.birth_date(row.national_id)
            person.sex = idnumbers.sex(row.national_id)
            persons.append(person)
        worker = Worker(
            org_unit=household.unit, person=persons[0], entered_by=by, **household.head.file
        )
        workers.append(worker)
        people += persons
        for row, person in zip(rows, persons, strict=True):
            members.append(
                HouseholdMember(
                    org_unit=household.unit,
                    worker=worker,
                    person=person,
                    relation=row.member["relation"],
                    school="" if row is household.head else row.member["school"],
                    health_note="" if row is household.head else row.member["health_note"],
                )
            )
    try:
        with transaction.atomic():
            Person.objects.bulk_create(people, batch_size=2000)
            Worker.objects.bulk_create(workers, batch_size=2000)
            HouseholdMember.objects.bulk_create(members, batch_size=2000)
            FileEvent.objects.bulk_create(
                [
                    FileEvent(
                        org_unit_id=w.org_unit_id,
                        worker=w,
                        kind=FileEvent.Kind.CREATED,
                        on=today,
                        by=by,
                    )
                    for w in workers
                ],
                batch_size=2000,
            )
    except IntegrityError as exc:
        if services._is_duplicate(exc):  # filed elsewhere since the rows were checked
            raise Invalid({"rows": [str(services._duplicate())]}) from None
        raise


def _stored(worker_ids: list) -> tuple[dict, dict]:
    """The stored files the import joins, with their members, in a few queries."""
    workers, members = {}, defaultdict(dict)
    for start in range(0, len(worker_ids), 5000):
        chunk = worker_ids[start : start + 5000]
        for worker in Worker.objects.filter(pk__in=chunk).select_related("person"):
            workers[worker.pk] = worker
            members[worker.pk]  # noqa: B018 - a file without members has an empty dict
        for member in HouseholdMember.objects.filter(
            worker_id__in=chunk, deleted_at__isnull=True
        ).select_related("person"):
            members[member.worker_id][member.person.national_id] = member
    return workers, members


@transaction.atomic
def _save(by, households: dict[str, _Household], *, progress, total: int) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "members_added": 0}
    fresh = [h for h in households.values() if h.fresh and h.worker is None]
    _save_fresh(by, fresh)
    counts["created"] = len(fresh)
    counts["members_added"] = sum(len(h.members) for h in fresh)
    done = sum(1 + len(h.members) for h in fresh)
    if progress is not None and fresh:
        progress(min(done, total), total)
    stored_workers, stored_members = _stored(
        [h.worker.pk for h in households.values() if h.worker is not None]
    )
    for household in households.values():
        if household.fresh and household.worker is None:
            continue
        head = household.head
        worker = household.worker
        changed = False
        if worker is None:
            worker = services.worker_create(
                by=by,
                org_unit=household.unit,
                head={**head.person, "national_id": head.national_id},
                fields=dict(head.file),
            )
            counts["created"] += 1
        else:
            worker = stored_workers[worker.pk]
            person_data = (
                _person_changes(worker.person, head)
                if in_scope(by, worker.person.org_unit_id)
                else {}
            )
            file_data = {k: v for k, v in head.file.items() if getattr(worker, k) != v}
            if person_data or file_data:
                services.worker_update(by=by, worker=worker, head=person_data, fields=file_data)
                changed = True
        if worker.pk in stored_members:
            members = stored_members[worker.pk]
        else:
            members = {
                m.person.national_id: m
                for m in worker.members.filter(deleted_at__isnull=True).select_related("person")
            }
        for row in household.members:
            member = members.get(row.national_id)
            if member is None:
                services.member_add(
                    by=by,
                    worker=worker,
                    person_data={**row.person, "national_id": row.national_id},
                    relation=row.member["relation"],
                    school=row.member["school"],
                    health_note=row.member["health_note"],
                )
                counts["members_added"] += 1
                changed = True
                continue
            person_data = (
                _person_changes(member.person, row)
                if in_scope(by, member.person.org_unit_id)
                else {}
            )
            fields = {k: v for k, v in row.member.items() if getattr(member, k) != v}
            if person_data or fields:
                services.member_update(by=by, member=member, person_data=person_data, fields=fields)
                changed = True
        if household.worker is not None:
            counts["updated" if changed else "unchanged"] += 1
        done += 1 + len(household.members)
        if progress is not None and done % 500 < 1 + len(household.members):
            progress(min(done, total), total)
    return counts


@shared.register("cases.registry")
def _run_in_background(job, content: bytes, progress) -> dict[str, int]:
    unit = OrgUnit.objects.get(pk=job.params["org_unit"])
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        return registry_import(by=job.user, org_unit=unit, upload=content, progress=progress)


def summary(result: dict) -> str:
    """The outcome of an import in the clerk's words."""
    return _(
        "Imported: %(created)d new files, %(updated)d changed, %(unchanged)d unchanged; "
        "%(added)d members added."
    ) % {
        "created": result.get("created", 0),
        "updated": result.get("updated", 0),
        "unchanged": result.get("unchanged", 0),
        "added": result.get("members_added", 0),
    }
