"""Reporting upward to the national hardship-worker system (全国工会帮扶工作管理系统).

`export_workbook`: the household files registered at the period's end in the unit's subtree,
in the national system's terms (file level, hardship level, causes), each with the aid it
received in the period by aid type; a second sheet totals the aid by type. The files and the
payments are exactly those behind the dashboard's figures (stats/figures.py `records`), so
the report agrees with the annual report. The column names and code words are the national
system's own vocabulary (data, not interface text), so they are Chinese in any language.

`reconcile`: the national system's file numbers, assigned back, read from its return sheet
(columns found by their header: our file number, the ID number, the national file number) and
matched against our files in the user's scope. Each row is matched (the number is recorded),
already recorded, or listed as a mismatch: unknown file, ID number mismatch, already numbered
differently, a number given twice or already on another file. The matched rows are saved in
one transaction; a file that cannot be read saves nothing.
"""

from __future__ import annotations

import datetime
import tempfile
import uuid
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from aidcenter import exports
from aidcenter import imports as shared
from aidcenter.errors import Invalid, Refused
from aidcenter.models import AccessLog
from aidcenter.pii import log_access, sees_full_ids
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from cases import idnumbers
from cases.models import Worker
from funds.models import AidType
from stats import figures

# The national system's code words.
FILE_LEVEL = {
    "national": "全国级",
    "provincial": "省级",
    "city": "市级",
    "district": "区级",
    "grassroots": "基层",
}
HARDSHIP = {"deep": "深度困难", "relative": "相对困难", "accidental": "意外致困"}
CAUSE = {
    "illness": "因病",
    "disability": "因残",
    "single_parent": "单亲家庭",
    "age_4050": "“4050”失业",
    "zero_employment": "零就业家庭",
    "laid_off": "下岗失业",
    "low_wage": "收入低",
    "schooling": "因学",
    "disaster": "因灾",
    "other": "其他",
}
AID = {
    "living": "生活救助",
    "schooling": "助学",
    "medical": "医疗救助",
    "holiday": "节日慰问",
    "emergency": "临时救助",
    "voucher": "消费帮扶",
    "loan": "无息借款",
    "training": "培训补贴",
}
AID_TYPES = list(AID) + [t for t in AidType.values if t not in AID]  # a new type is listed too
EMPLOYMENT = {
    "employed": "在岗",
    "laid_off": "下岗",
    "unemployed": "失业",
    "flexible": "灵活就业",
    "retired": "退休",
}
HUKOU = {"urban": "城镇户籍", "rural": "农村户籍"}
SEX = {"M": "男", "F": "女"}

OUR_NO, ID_NO, NATIONAL_NO = "本系统档案号", "身份证号", "全国档案编号"
FILE_HEADER = [
    "序号",
    OUR_NO,
    NATIONAL_NO,
    "所属工会",
    "单位代码",
    "户主姓名",
    "性别",
    ID_NO,
    "出生日期",
    "联系电话",
    "户籍性质",
    "是否农民工",
    "家庭人口",
    "就业状况",
    "家庭月人均收入（元）",
    "困难类别",
    "档案级别",
    "主要致困原因",
    "其他致困原因",
    "建档日期",
    "帮扶人次",
    "帮扶金额合计（元）",
    *[f"{AID.get(t, t)}（元）" for t in AID_TYPES],
]


def _require(user, action: str) -> None:
    if not can(user, action):
        raise Refused(_("Your role may not do this."))


def files_and_aid(*, user, org_unit, period: figures.Period):
    """The files registered at the period's end and, per file, {aid type: (times, amount)}."""
    files = figures.records(
        "registry.registered",
        user=user,
        org_unit=org_unit,
        date_from=period.date_from,
        date_to=period.date_to,
    )
    payments = figures.records(
        "aid.person_times",
        user=user,
        org_unit=org_unit,
        date_from=period.date_from,
        date_to=period.date_to,
    )
    aid: dict = defaultdict(dict)
    for row in (
        payments.filter(worker__isnull=False)
        .order_by()
        .values("worker_id", "aid_type")
        .annotate(times=Count("id"), amount=Sum("amount"))
    ):
        aid[row["worker_id"]][row["aid_type"]] = (row["times"], row["amount"])
    files = (
        files.select_related("person", "org_unit")
        .annotate(size=Worker.household_size_expression())
        .order_by("org_unit__code", "registered_on", "id")
    )
    return files, aid, payments


def _file_rows(files, aid, *, full: bool, user):
    for number, worker in enumerate(files.iterator(chunk_size=2000), start=1):
        person = worker.person
        shown = person.national_id or ""
        if shown and not (full and sees_full_ids(user, person.org_unit_id)):
            shown = idnumbers.mask(shown)
        given = aid.get(worker.pk, {})
        yield [
            number,
            str(worker.pk),
            worker.national_file_no,
            worker.org_unit.name,
            worker.org_unit.code,
            person.name,
            SEX.get(person.sex, ""),
            shown,
            person.birth_date,
            person.phone,
            HUKOU.get(person.hukou or "", ""),
            "是" if person.is_migrant else "否",
            worker.size,
            EMPLOYMENT.get(worker.employment_status, ""),
            worker.income_per_head,
            HARDSHIP.get(worker.hardship_level, ""),
            FILE_LEVEL.get(worker.file_level, ""),
            CAUSE.get(worker.main_cause, ""),
            "、".join(CAUSE.get(c, c) for c in worker.secondary_causes),
            worker.registered_on,
            sum(times for times, _amount in given.values()),
            sum((amount for _times, amount in given.values()), Decimal("0")),
            *[given.get(t, (0, Decimal("0")))[1] for t in AID_TYPES],
        ]


def export_workbook(*, user, org_unit, period: figures.Period, target) -> int:
    """Write the upward report into `target` (a path or binary file); answer the file count."""
    _require(user, Action.VIEW_REPORTS)
    files, aid, payments = files_and_aid(user=user, org_unit=org_unit, period=period)
    full = sees_full_ids(user)
    by_type = {
        row["aid_type"]: row
        for row in payments.order_by()
        .values("aid_type")
        .annotate(
            times=Count("id"), persons=Count("person_id", distinct=True), amount=Sum("amount")
        )
    }
    totals = [
        [
            AID.get(t, t),
            by_type.get(t, {}).get("persons", 0),
            by_type.get(t, {}).get("times", 0),
            by_type.get(t, {}).get("amount") or Decimal("0"),
        ]
        for t in AID_TYPES
    ]
    totals.append(
        [
            "合计",
            payments.order_by().values("person_id").distinct().count(),
            sum(r[2] for r in totals),
            sum((r[3] for r in totals), Decimal("0")),
        ]
    )
    title = f"{org_unit.name} {period.date_from.isoformat()}—{period.date_to.isoformat()}"
    count = exports.write_sheets(
        target,
        [
            exports.Export(
                title="困难职工档案",
                header=FILE_HEADER,
                rows=_file_rows(files, aid, full=full, user=user),
                count=0,
                full_ids=full,
            ),
            exports.Export(
                title="帮扶资金分类汇总",
                header=[f"{title} 帮扶类型", "帮扶人数", "帮扶人次", "帮扶金额（元）"],
                rows=totals,
                count=len(totals),
                full_ids=full,
            ),
        ],
    )
    if full and count:
        log_access(
            user=user,
            action=AccessLog.Action.EXPORT,
            model="cases.Worker",
            count=count,
            path="stats/upward",
        )
    return count


def export_bytes(*, user, org_unit, period: figures.Period) -> bytes:
    with tempfile.TemporaryFile() as handle:
        export_workbook(user=user, org_unit=org_unit, period=period, target=handle)
        handle.seek(0)
        return handle.read()


# --- The national numbers assigned back -----------------------------------------------------
MAX_ROWS = 100_000
_HEADERS = {
    "our": {OUR_NO, "our file number", "file id"},
    "national_id": {ID_NO, "id number", "身份证号码", "户主身份证号"},
    "national_no": {NATIONAL_NO, "national file number", "档案编号"},
}
OUTCOMES = (
    "matched",
    "already",
    "unknown_file",
    "id_mismatch",
    "numbered_differently",
    "number_taken",
)


def _columns(header: list) -> dict[str, int]:
    found = {}
    for index, value in enumerate(header):
        name = "".join(str(value or "").split()).lower()
        for key, names in _HEADERS.items():
            if key not in found and name in {n.lower() for n in names}:
                found[key] = index
    if "national_no" not in found or not ({"our", "national_id"} & set(found)):
        raise Invalid(
            {
                "file": [
                    _(
                        "The sheet needs a column “%(no)s” and a column “%(ours)s” or “%(id)s” "
                        "in its first row."
                    )
                    % {"no": NATIONAL_NO, "ours": OUR_NO, "id": ID_NO}
                ]
            }
        )
    return found


def reconcile(*, user, org_unit, upload) -> dict:
    """Match the returned national numbers with our files; record the matched ones. Answers
    {"counts": {outcome: n}, "rows": [{"row", "outcome", "file", "name", "number", "note"}]}
    with every row that is not a plain match listed."""
    _require(user, Action.REVIEW_FILES)
    figures.units_for(user, org_unit)  # OutOfScope for a unit outside the user's scope
    header: list = []
    width = 40
    raw_rows, errors = shared.read_rows(
        upload,
        columns=[shared.Column(f"c{i}", "") for i in range(width)],
        max_rows=MAX_ROWS,
        check_header=False,
        header_out=header,
        empty_message=_("The sheet has no rows below the header."),
    )
    if errors:
        raise Invalid({"rows": errors})
    where = _columns(header)
    units = figures.units_for(user, org_unit)
    workers = scoped(user, Worker).select_related("person")
    if units is not None:
        workers = workers.filter(org_unit_id__in=list(units))
    wanted_ids, wanted_numbers, wanted_nos = set(), set(), set()
    parsed = []
    for number, raw in raw_rows:
        values = list(raw.values())
        ours = shared.text(values[where["our"]]) if "our" in where else ""
        id_no = (
            idnumbers.normalise(shared.text(values[where["national_id"]]))
            if ("national_id" in where)
            else ""
        )
        national_no = shared.text(values[where["national_no"]])
        try:
            ours = str(uuid.UUID(ours)) if ours else ""
        except ValueError:
            ours = ""
        if ours:
            wanted_ids.add(ours)
        if id_no and not idnumbers.is_masked(id_no):
            wanted_numbers.add(id_no)
        if national_no:
            wanted_nos.add(national_no)
        parsed.append((number, ours, id_no, national_no))
    by_pk = {str(w.pk): w for w in workers.filter(pk__in=wanted_ids)}
    by_id = {}
    for worker in workers.filter(person__national_id__in=wanted_numbers).order_by("created_at"):
        current = by_id.get(worker.person.national_id)
        if current is None or worker.is_active or not current.is_active:
            by_id[worker.person.national_id] = worker
    holders = dict(
        Worker.objects.filter(national_file_no__in=wanted_nos)
        .exclude(national_file_no="")
        .values_list("national_file_no", "id")
    )
    counts = dict.fromkeys(OUTCOMES, 0)
    listed, to_save, given = [], {}, {}
    for number, ours, id_no, national_no in parsed:
        worker = by_pk.get(ours) if ours else by_id.get(id_no)
        outcome, note = "matched", ""
        if not national_no:
            outcome, note = "unknown_file", _("No national file number in this row.")
        elif worker is None:
            outcome = "unknown_file"
        elif id_no and not idnumbers.is_masked(id_no) and id_no != worker.person.national_id:
            outcome = "id_mismatch"
        elif worker.national_file_no and worker.national_file_no != national_no:
            outcome, note = "numbered_differently", worker.national_file_no
        elif worker.national_file_no == national_no:
            outcome = "already"
        elif (
            str(holders.get(national_no, worker.pk)) != str(worker.pk)
            or given.get(national_no, worker.pk) != worker.pk
            or to_save.get(worker.pk, national_no) != national_no
        ):
            outcome = "number_taken"
        else:
            to_save[worker.pk] = national_no
            given[national_no] = worker.pk
        counts[outcome] += 1
        if outcome != "matched":
            listed.append(
                {
                    "row": number,
                    "outcome": outcome,
                    "file": str(worker.pk) if worker is not None else ours,
                    "name": worker.person.name if worker is not None else "",
                    "number": national_no,
                    "note": note,
                }
            )
    with transaction.atomic():
        for worker in Worker.objects.select_for_update().filter(pk__in=list(to_save)):
            worker.national_file_no = to_save[worker.pk]
            worker.save(update_fields=["national_file_no"])
    return {"counts": counts, "rows": listed}


def outcome_labels() -> dict[str, str]:
    return {
        "matched": _("matched, number recorded"),
        "already": _("already recorded"),
        "unknown_file": _("unknown file"),
        "id_mismatch": _("ID number does not match the file"),
        "numbered_differently": _("the file already has another national number"),
        "number_taken": _("the number is already another file's"),
    }


def default_period(today: datetime.date) -> figures.Period:
    return figures.year_period(today.year)
