"""Personal data under PIPL: what is held about one person (export), erasing it on request or
when the retention period of a closed file has run out, while the ledger keeps its amounts.

What belongs to a person is found from the models themselves, without importing the service
apps: every record with a foreign key to the Person, every record pointing at one of those
(a case's notes, an application's approvals and documents, the documents of a file the person
heads), and so on, three steps deep, history rows (django-pghistory events) included, since an
event model carries the same foreign keys as the record it copies. An app that wants its own
shape in the export registers an exporter (`register_exporter`), as it registers its card.

Erasing:
- the Person keeps its row (every service record points at it, the ledger's payments too) but
  its name becomes a placeholder and the ID number, phone, address, birth date and sex go;
- rows that point at the person directly lose their personal fields (payee, bank account,
  health note, school …), and any text in the person's records or their history that holds
  the name, the ID number, the phone or a bank account has those replaced;
- stored files of the person's records (proof documents, admission letters) are deleted;
- the ID number, phone and bank accounts are swept from every other text column too (an Excel
  job's rows, a task's arguments), the ledger and the change capture excepted: the ledger's
  rows hold amounts and references, never a name, and are never changed;
- audit trails that are append-only by trigger (file events, case moves, approvals,
  recoveries, repayments) are rewritten only inside `pgtrigger.ignore` of exactly those
  triggers, for this connection and this transaction; the ledger's and the change capture's
  triggers stay on, so the erasure fails whole rather than touch them;
- the Person's update is captured like any change, so every mirror receives the erased record.
  The capture rows themselves (aidcenter.Change: table, record UUID, version, units) carry no
  personal data, so they stay append-only; the tests search every text column to prove it.
Each erasure is written to the access log (action "erase") with the counts.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections import defaultdict
from dataclasses import dataclass, field

import pgtrigger
from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

from aidcenter.errors import DomainError, Refused
from aidcenter.models import AccessLog
from aidcenter.pii import log_access
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope, scoped
from cases import idnumbers
from cases.models import Case, HouseholdMember, Person, Worker

DEPTH = 3
# Never changed by an erasure: the ledger (amounts and references only) and the capture log.
NEVER_TOUCHED = {
    "funds.LedgerTransaction",
    "funds.LedgerEntry",
    "funds.Account",
    "funds.FundBalance",
    "aidcenter.Change",
    "aidcenter.AccessLog",
}
# Append-only audit trails whose text may quote the person; rewritten under pgtrigger.ignore.
AUDIT_TRAILS = (
    "cases.FileEvent:append_only",
    "cases.CaseMove:append_only",
    "funds.Approval:append_only",
    "funds.LoanRepayment:append_only",
    "legal.Recovery:append_only",
)
# Fields that are personal wherever they sit on a record of the person.
PERSONAL_FIELDS = {
    "phone",
    "address",
    "national_id",
    "payee_name",
    "bank_account",
    "bank_name",
    "health_note",
    "school",
    "contact_phone",
    "birth_date",
}
OPEN_FILE = (Worker.Status.DRAFT, Worker.Status.SUBMITTED, Worker.Status.REGISTERED)


def placeholder(person: Person) -> str:
    return _("(erased person %(ref)s)") % {"ref": str(person.pk)[:8]}


# --- what belongs to a person -----------------------------------------------------------------
@dataclass
class Holdings:
    """Rows that belong to one person: model -> primary keys; `direct` holds the models whose
    rows point at the person themself (their personal fields go on erasure)."""

    rows: dict[type[models.Model], set] = field(default_factory=lambda: defaultdict(set))
    direct: set[type[models.Model]] = field(default_factory=set)


def _models():
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        yield model


def holdings(person: Person) -> Holdings:
    found = Holdings()
    found.rows[Person].add(person.pk)
    frontier = {Person: {person.pk}}
    for depth in range(DEPTH):
        reached: dict[type[models.Model], set] = defaultdict(set)
        for model in _models():
            if model._meta.label in NEVER_TOUCHED:
                continue
            for fk in model._meta.concrete_fields:
                target = fk.related_model if fk.is_relation else None
                if target is None or not fk.many_to_one or target not in frontier:
                    continue
                ids = set(
                    model._base_manager.filter(**{f"{fk.attname}__in": frontier[target]})
                    .values_list("pk", flat=True)
                    .iterator()
                )
                new = ids - found.rows[model]
                if ids and depth == 0 and target is Person:
                    found.direct.add(model)
                if new:
                    found.rows[model] |= new
                    reached[model] |= new
        if not reached:
            break
        frontier = reached
    return found


# --- export -------------------------------------------------------------------------------------
EXPORTERS: dict[str, object] = {}


def register_exporter(model_label: str, export) -> None:
    """`export(user, queryset) -> list[dict]` replaces the generic rows of one model."""
    EXPORTERS[model_label] = export


def _masked_value(user, person: Person, model, row, f) -> object:
    value = f.value_from_object(row)
    if value in (None, ""):
        return value
    if f.name == "national_id":
        full = can(user, Action.SEE_FULL_IDS) and in_scope(user, person.org_unit_id)
        return value if full else idnumbers.mask(value)
    if f.name == "bank_account":
        if can(user, Action.MANAGE_FUNDS) or can(user, Action.APPROVE_AID):
            return value
        return "****" + str(value)[-4:]
    if f.name == "health_note" and not (can(user, Action.ENTER) or can(user, Action.REVIEW_FILES)):
        return "****"
    if isinstance(f, models.FileField):
        return value.name.rsplit("/", 1)[-1] if value else ""
    if f.is_relation:
        return str(value)
    return value


def _readable(user, model, qs):
    """The rows of `qs` this user may see: scoped, and a case's notes only where readable."""
    qs = scoped(user, qs)
    if model._meta.label == "cases.CaseNote":
        from cases.desk import notes_readable_by

        visible = [
            c.pk
            for c in Case.objects.filter(pk__in=qs.values("case_id"))
            if notes_readable_by(user, c)
        ]
        qs = qs.filter(case_id__in=visible)
    return qs


def export(*, by, person: Person) -> dict:
    """Everything held about `person` that `by` may see, masked as `by`'s rights require.
    History rows are left out: they repeat the records at earlier moments."""
    if not can(by, Action.READ) or not scoped(by, Person).filter(pk=person.pk).exists():
        raise Refused(_("This person is outside your scope."))
    found = holdings(person)
    sections, count = {}, 0
    for model, ids in sorted(found.rows.items(), key=lambda kv: kv[0]._meta.label):
        label = model._meta.label
        if label.startswith("pghistory.") or hasattr(model, "pgh_obj"):
            continue
        qs = _readable(by, model, model._base_manager.filter(pk__in=ids)).order_by("pk")
        if label in EXPORTERS:
            rows = EXPORTERS[label](by, qs)
        else:
            rows = [
                {
                    f.name: _masked_value(by, person, model, row, f)
                    for f in model._meta.concrete_fields
                    if f.name not in {"create_digest"}
                }
                for row in qs
            ]
        if rows:
            sections[label] = {"title": str(model._meta.verbose_name_plural), "rows": rows}
            count += len(rows)
    log_access(
        user=by,
        action=AccessLog.Action.EXPORT,
        model="cases.Person",
        record_id=str(person.pk),
        count=count,
        path="privacy.export",
    )
    return {
        "person": str(person.pk),
        "exported_at": timezone.now().isoformat(),
        "exported_by": by.get_username(),
        "records": sections,
    }


def export_json(*, by, person: Person) -> bytes:
    return json.dumps(
        export(by=by, person=person), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1
    ).encode()


# --- erasure ------------------------------------------------------------------------------------
def _identifying_values(person: Person, found: Holdings) -> list[str]:
    values = {person.name, person.national_id or "", person.phone or ""}
    for model in found.direct:
        names = {f.name for f in model._meta.concrete_fields} & {
            "bank_account",
            "payee_name",
            "phone",
            "contact_phone",
            "address",
        }
        for name in names:
            values |= set(
                model._base_manager.filter(pk__in=found.rows[model]).values_list(name, flat=True)
            )
    # The longest first, so an ID number is replaced before a name inside it could be.
    return sorted((v for v in values if v and len(v) >= 2), key=len, reverse=True)


def _scrub_text(text: str, values: list[str], mark: str) -> str:
    for value in values:
        text = text.replace(value, mark)
    return text


def _blank(f):
    if f.null:
        return None
    if isinstance(f, models.CharField | models.TextField):
        return ""
    return f.get_default()


def _scrub_rows(model, ids, values, mark, *, direct: bool) -> int:
    changed = 0
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not f.is_relation and f.name != "create_digest"
    ]
    for row in model._base_manager.filter(pk__in=ids).iterator():
        updates = {}
        for f in fields:
            value = getattr(row, f.attname)
            if direct and f.name in PERSONAL_FIELDS and value not in (None, ""):
                updates[f.attname] = _blank(f)
            elif isinstance(value, str) and any(v in value for v in values):
                updates[f.attname] = _scrub_text(value, values, mark)
            elif isinstance(value, dict | list) and any(
                v in json.dumps(value, ensure_ascii=False) for v in values
            ):
                dumped = _scrub_text(json.dumps(value, ensure_ascii=False), values, mark)
                updates[f.attname] = json.loads(dumped)
        if updates:
            model._base_manager.filter(pk=row.pk).update(**updates)
            changed += 1
    return changed


def _delete_files(model, ids) -> int:
    file_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    deleted = 0
    for row in model._base_manager.filter(pk__in=ids):
        for f in file_fields:
            stored = getattr(row, f.attname)
            if stored:
                with contextlib.suppress(OSError):
                    stored.storage.delete(stored.name)
                    deleted += 1
    return deleted


def _sweep_everywhere(values: list[str], mark: str) -> int:
    """Replace exact ID numbers, phones and bank accounts in every other text column: one
    UPDATE per text column with every value at once (a scan per column, not per value)."""
    skip = {apps.get_model(label)._meta.db_table for label in NEVER_TOUCHED if _has(label)}
    changed = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type IN "
            "('text', 'character varying', 'jsonb', 'json') AND table_name IN ("
            "  SELECT table_name FROM information_schema.tables "
            "  WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')"
        )
        columns = [row for row in cursor.fetchall() if row[0] not in skip]
        for table, column, kind in columns:
            target = sql.Identifier(column)
            text = sql.SQL("{}::text").format(target) if kind in ("jsonb", "json") else target
            replaced, params = text, []
            for value in values:
                replaced = sql.SQL("replace({}, %s, %s)").format(replaced)
                params += [value, mark]
            if kind in ("jsonb", "json"):
                replaced = sql.SQL("({})::{}").format(replaced, sql.SQL(kind))
            found = sql.SQL(" OR ").join(
                sql.SQL("strpos({}, %s) > 0").format(text) for _value in values
            )
            statement = sql.SQL("UPDATE {} SET {} = {} WHERE {}").format(
                sql.Identifier(table), target, replaced, found
            )
            # as text: pghistory's context wrapper (in a request) takes strings only
            cursor.execute(statement.as_string(connection.connection), params + list(values))
            changed += cursor.rowcount
    return changed


def _has(label: str) -> bool:
    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True


def _trails():
    return [uri for uri in AUDIT_TRAILS if _has(uri.split(":")[0])]


def check_erasable(person: Person) -> None:
    if HouseholdMember.objects.filter(person=person, file_active=True).exists() or (
        Worker.objects.filter(person=person, status__in=OPEN_FILE).exists()
    ):
        raise DomainError(
            _("This person stands in an open household file; close the file before erasing."),
            code="file_open",
        )
    if Case.objects.filter(person=person).exclude(status__in=("resolved", "closed")).exists():
        raise DomainError(
            _("This person has open cases; close them before erasing."), code="case_open"
        )


@transaction.atomic
def erase(*, by, person: Person, reason: str = "", check_rights: bool = True) -> dict:
    """Remove the person's identifying data everywhere (see the module's docstring)."""
    if check_rights and not can(by, Action.ERASE_PERSONAL_DATA):
        raise Refused(_("Only an administrator may erase a person's data."))
    person = Person.objects.select_for_update().get(pk=person.pk)
    check_erasable(person)
    found = holdings(person)
    values = _identifying_values(person, found)
    mark = placeholder(person)
    counts = {"records": 0, "files": 0, "elsewhere": 0}
    with pgtrigger.ignore(*_trails()):
        for model, ids in found.rows.items():
            if model is Person or model._meta.label in NEVER_TOUCHED:
                continue
            counts["files"] += _delete_files(model, ids)
            counts["records"] += _scrub_rows(model, ids, values, mark, direct=model in found.direct)
        Person.objects.filter(pk=person.pk).update(
            name=mark, national_id=None, phone="", birth_date=None, sex=""
        )
        # The update above wrote a history row of its own, with the placeholder: the earlier
        # rows of the person's history are scrubbed by the loop (their pgh_obj points here).
        sweep = [v for v in values if v != person.name]  # a name may be part of another's
        counts["elsewhere"] = _sweep_everywhere(sweep, mark) if sweep else 0
    log_access(
        user=by,
        action=AccessLog.Action.ERASE,
        model="cases.Person",
        record_id=str(person.pk),
        count=counts["records"],
        path=f"privacy.erase: {reason}"[:200],
    )
    return counts


# --- retention ----------------------------------------------------------------------------------
def retention_cutoff(today: datetime.date | None = None) -> datetime.date:
    years = int(getattr(settings, "RETENTION_CLOSED_FILES_YEARS", 10))
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def due_for_erasure(today: datetime.date | None = None) -> list[Person]:
    """People whose files all closed before the cutoff, who stand in no open file, and whose
    records show no activity since the cutoff (nothing open, nothing recent)."""
    cutoff = retention_cutoff(today)
    closed_before = Worker.objects.filter(status=Worker.Status.CLOSED, ended_on__lt=cutoff)
    candidates = Person.objects.filter(
        models.Q(pk__in=closed_before.values("person_id"))
        | models.Q(
            pk__in=HouseholdMember.objects.filter(worker__in=closed_before).values("person_id")
        )
    ).exclude(national_id__isnull=True, phone="", birth_date__isnull=True)
    due = []
    moment = datetime.datetime.combine(cutoff, datetime.time(), tzinfo=datetime.UTC)
    for person in candidates.iterator():
        workers = Worker.objects.filter(
            models.Q(person=person) | models.Q(members__person=person)
        ).distinct()
        if workers.exclude(status=Worker.Status.CLOSED, ended_on__lt=cutoff).exists():
            continue
        try:
            check_erasable(person)
        except DomainError:
            continue
        if _active_since(person, moment):
            continue
        due.append(person)
    return due


def _active_since(person: Person, moment: datetime.datetime) -> bool:
    found = holdings(person)
    for model, ids in found.rows.items():
        if hasattr(model, "pgh_obj") or model._meta.label.startswith("pghistory."):
            continue
        names = {f.name for f in model._meta.concrete_fields}
        for stamp in ("updated_at", "created_at"):
            if (
                stamp in names
                and model._base_manager.filter(pk__in=ids, **{f"{stamp}__gte": moment}).exists()
            ):
                return True
    return False


def apply_retention(*, by=None, dry_run: bool = False, today=None) -> list[Person]:
    due = due_for_erasure(today)
    if not dry_run:
        for person in due:
            erase(by=by, person=person, reason="retention", check_rights=by is not None)
    return due
