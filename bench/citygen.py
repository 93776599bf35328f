"""City-scale registry data for the benchmarks: 250,000 household files, about 750,000 people.

    .venv/bin/python bench/citygen.py            # build once; later runs reuse the data
    .venv/bin/python bench/citygen.py --force    # throw the cases data away and rebuild
    .venv/bin/python bench/citygen.py --files 20000   # a smaller city (tries, CI)

Into the separate database `aidcenter_bench` (bench/common.py): migrate, seed_demo, four more
districts of 20 sub-centers each (five districts, 100 sub-centers), then people, household
files and their members by COPY in ONE transaction:

* the history (pghistory) and change-capture (pgtrigger) triggers are skipped for the load
  session only (`session_replication_role = replica`, which also skips the foreign-key
  triggers: every id written here is taken from the database or generated here). So the
  loaded rows have no history rows and no aidcenter_change rows: they are a BASELINE, and
  the table `bench_baseline` says so (one row per build). HouseholdMember.file_active, which
  a trigger normally writes, is computed here from the file's status;
* the secondary indexes of the three tables are dropped before the COPY and rebuilt after
  it in the same transaction (a bulk build is far faster than 750,000 insertions into three
  trigram indexes); a failure rolls everything back, indexes included.

Every ID number is a valid GB 11643 number (region codes valid for the birth year in
python-stdnum's table, real birth date, sequence, check digit computed here) and unique.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, bench_url, manage_env, psycopg_url, setup_django  # noqa: E402

FILES = 250_000
SEED = 20261122
TODAY = datetime.date.today()

# --- The org tree: Putuo comes from seed_demo; four more districts of 20 sub-centers ---------
EXTRA_DISTRICTS = {
    "JA": (
        "静安区职工援助服务中心",
        "310106",
        ["江宁路", "石门二路", "南京西路", "静安寺", "曹家渡", "天目西路", "北站", "宝山路"]
        + ["芷江西路", "共和新路", "大宁路", "彭浦新村", "临汾路", "彭浦镇"],
        ["区教育", "区卫生", "区商贸"],
        ["市北高新园区", "大宁功能区", "南京西路商圈"],
    ),
    "XH": (
        "徐汇区职工援助服务中心",
        "310104",
        ["天平路", "湖南路", "斜土路", "枫林路", "长桥", "田林", "虹梅路", "康健新村"]
        + ["徐家汇", "凌云路", "龙华", "漕河泾", "华泾镇"],
        ["区教育", "区卫生", "区建设", "区商贸"],
        ["漕河泾开发区", "徐汇滨江", "华泾园区"],
    ),
    "YP": (
        "杨浦区职工援助服务中心",
        "310110",
        ["定海路", "平凉路", "江浦路", "四平路", "控江路", "长白新村", "延吉新村", "殷行"]
        + ["大桥", "五角场", "新江湾城", "长海路"],
        ["区教育", "区卫生", "区建设", "区商贸", "区科技"],
        ["杨浦科技园", "环同济知识经济圈", "杨浦滨江园区"],
    ),
    "HK": (
        "虹口区职工援助服务中心",
        "310109",
        ["欧阳路", "曲阳路", "广中路", "嘉兴路", "凉城新村", "四川北路", "北外滩", "江湾镇"],
        ["区教育", "区卫生", "区建设", "区商贸", "区科技", "区机关", "区属企业", "区航运"],
        ["北外滩航运服务区", "音乐谷", "花园坊", "大柏树园区"],
    ),
}
DISTRICT_NAMES = {"PT": "普陀区", "JA": "静安区", "XH": "徐汇区", "YP": "杨浦区", "HK": "虹口区"}
DISTRICT_REGION = {"PT": "310107", "JA": "310106", "XH": "310104", "YP": "310110", "HK": "310109"}
ROADS = {
    "PT": ["长寿路", "曹杨路", "真如路", "武宁路", "中山北路", "岚皋路", "宜川路", "桃浦路"],
    "JA": ["江宁路", "昌平路", "西康路", "共和新路", "延长路", "彭江路", "保德路", "灵石路"],
    "XH": ["天钥桥路", "斜土路", "零陵路", "田林路", "钦州路", "龙华路", "宜山路", "华泾路"],
    "YP": ["平凉路", "控江路", "长阳路", "国和路", "殷行路", "黄兴路", "靖宇东路", "军工路"],
    "HK": ["四川北路", "欧阳路", "曲阳路", "广中路", "水电路", "凉城路", "东体育会路", "塘沽路"],
}

# --- Names ------------------------------------------------------------------------------------
# The most common surnames with rough weights (per mille of the population).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤"
)
SURNAME_WEIGHTS = [70, 69, 68, 54, 48, 32, 24, 22, 21, 18, 17, 15, 13, 12, 12, 11, 11, 10]
SURNAME_WEIGHTS += [10] * 10 + [6] * 30 + [3] * (len(SURNAMES) - 58)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉建国华峰鹏斌波宇浩俊志海林东文亮成龙飞彬新春福德荣兴金"
GIVEN_FEMALE = "芳娜敏静丽艳秀娟霞燕玲桂英红梅琳萍雪华兰凤洁琴云莉婷倩慧颖晶月珍玉萍淑"
GIVEN_ANY = "小子嘉佳晓欣思雨梓浩宇一安文晨天"

# --- Households -------------------------------------------------------------------------------
STATUS_WEIGHTS = {  # a registry some years old: most files registered, many lifted
    "registered": 55,
    "lifted": 25,
    "closed": 8,
    "rejected": 4,
    "draft": 5,
    "submitted": 3,
}
ACTIVE = {"draft", "submitted", "registered"}
LEVEL_WEIGHTS = {"relative": 65, "deep": 20, "accidental": 15}
CAUSE_WEIGHTS = {
    "illness": 30,
    "disability": 15,
    "low_wage": 12,
    "age_4050": 10,
    "single_parent": 8,
    "laid_off": 8,
    "schooling": 8,
    "zero_employment": 4,
    "other": 3,
    "disaster": 2,
}
EMPLOYMENT_WEIGHTS = {"employed": 35, "flexible": 25, "unemployed": 20, "laid_off": 10}
EMPLOYMENT_WEIGHTS["retired"] = 10
FILE_LEVEL_WEIGHTS = {"grassroots": 70, "district": 20, "city": 7, "provincial": 2, "national": 1}
CLOSE_REASONS = ["retired", "moved_away", "died", "other"]
HOUSEHOLD_SIZES = [1, 2, 3, 4, 5, 6]
SIZE_WEIGHTS = [13, 20, 35, 21, 9, 2]  # mean 2.99 people per file
MONTHLY_LINE = 1510  # Shanghai's minimum-living line, yuan per person and month
EMPLOYERS_A = ["上海", "申城", "普华", "沪西", "长风", "新沪", "东方", "宝华", "海通", "锦江"]
EMPLOYERS_B = ["物业管理", "建筑工程", "餐饮管理", "保洁服务", "物流", "纺织", "机械制造", "商贸"]
EMPLOYERS_B += ["环卫服务", "电子科技", "汽车服务", "家政服务"]
EMPLOYERS_C = ["有限公司", "股份有限公司", "服务中心"]
SCHOOLS = ["第一小学", "实验小学", "第二中学", "中学", "职业技术学校", "幼儿园"]
GRADES = ["一年级", "二年级", "三年级", "四年级", "五年级", "初一", "初二", "初三", "高一"]
HEALTH = ["高血压", "糖尿病", "慢性肾病，定期透析", "肢体残疾二级", "精神残疾三级", "恶性肿瘤术后"]
REJECT_OPINION = "经入户核查，家庭人均月收入高于本市低保标准两倍，不符合建档条件。"

# --- ID numbers -------------------------------------------------------------------------------
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
SHANGHAI_CODES = ["310101", "310104", "310105", "310106", "310107", "310109", "310110"]
# (code, first birth year python-stdnum accepts it for): codes created in the 1980s-90s.
SHANGHAI_LATER = [("310112", 1981), ("310113", 1988), ("310114", 1992), ("310115", 1992)]
MIGRANT_CODES = ["340121", "340421", "340621", "510121", "510321", "510421", "360121"]
MIGRANT_CODES += ["430121", "430321", "330122", "330127", "422822", "422823"]
MIGRANT_LATER = [("410102", 1983), ("410105", 1983), ("320104", 1983), ("370102", 1983)]
MIGRANT_LATER += [("420102", 1983), ("510104", 1990), ("341221", 1996), ("411521", 1998)]


def digit_sum(digits: str, offset: int) -> int:
    return sum(int(d) * WEIGHTS[offset + i] for i, d in enumerate(digits))


def check_digit(first17: str) -> str:
    return CHECK[digit_sum(first17, 0) % 11]


class IdMaker:
    """Unique, valid GB 11643 numbers, fast: the weighted sum is cached per part."""

    def __init__(self, rng: random.Random, taken: set[str]):
        self.rng = rng
        self.taken = taken
        self.region_sum = {}
        self.date_cache: dict[int, tuple[str, int]] = {}
        self.seq_sum = [digit_sum(f"{s:03d}", 14) for s in range(1000)]

    def _region(self, code: str) -> int:
        if code not in self.region_sum:
            self.region_sum[code] = digit_sum(code, 0)
        return self.region_sum[code]

    def _date(self, day: datetime.date) -> tuple[str, int]:
        key = day.toordinal()
        if key not in self.date_cache:
            text = day.strftime("%Y%m%d")
            self.date_cache[key] = (text, digit_sum(text, 6))
        return self.date_cache[key]

    def make(self, region: str, birth: datetime.date, male: bool) -> str:
        rsum = self._region(region)
        dtext, dsum = self._date(birth)
        rng = self.rng
        while True:
            seq = rng.randrange(500) * 2 + (1 if male else 0)  # 17th digit odd for men
            first = region + dtext + f"{seq:03d}"
            number = first + CHECK[(rsum + dsum + self.seq_sum[seq]) % 11]
            if number not in self.taken:
                self.taken.add(number)
                return number


# --- Generation -------------------------------------------------------------------------------
def tsv(values) -> str:
    return "\t".join(r"\N" if v is None else str(v) for v in values) + "\n"


def ts(day: datetime.date, rng: random.Random) -> str:
    return f"{day.isoformat()} {rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00+08"


class City:
    """Builds the rows; `units` is a list of (unit_id, district_code) with weights."""

    def __init__(self, rng, units, weights, enterers, deciders, taken_ids):
        self.rng = rng
        self.units = units
        self.unit_weights = weights
        self.enterers = enterers  # district code -> [user ids]
        self.deciders = deciders  # district code -> [user ids]
        self.ids = IdMaker(rng, taken_ids)
        self.region_by_year: dict[tuple[bool, str, int], list[str]] = {}
        self.person_rows: list[str] = []
        self.worker_rows: list[str] = []
        self.member_rows: list[str] = []
        self.statuses: dict[str, int] = {}

    # people
    def regions(self, migrant: bool, district: str, year: int) -> list[str]:
        key = (migrant, district, year)
        if key not in self.region_by_year:
            if migrant:
                codes = MIGRANT_CODES + [c for c, y in MIGRANT_LATER if year >= y]
            else:
                home = DISTRICT_REGION[district]
                # Mostly born in the district itself, else elsewhere in the city.
                codes = [home] * 12 + SHANGHAI_CODES + [c for c, y in SHANGHAI_LATER if year >= y]
            self.region_by_year[key] = codes
        return self.region_by_year[key]

    def birth(self, lo: int, hi: int) -> datetime.date:
        # Ages from lo to hi years at TODAY.
        start = TODAY.toordinal() - hi * 365 - 300
        end = TODAY.toordinal() - lo * 365
        return datetime.date.fromordinal(self.rng.randrange(start, end))

    def given(self, male: bool) -> str:
        rng = self.rng
        pool = GIVEN_MALE if male else GIVEN_FEMALE
        if rng.random() < 0.3:
            return rng.choice(pool)
        first = rng.choice(GIVEN_ANY) if rng.random() < 0.3 else rng.choice(pool)
        return first + rng.choice(pool)

    def phone(self) -> str:
        rng = self.rng
        prefix = rng.choice(("13", "13", "15", "18", "17", "19"))
        return prefix + str(rng.randrange(10**9, 10**10))[:9]

    def person(self, *, unit, district, surname, male, birth, migrant, phone, created) -> str:
        rng = self.rng
        region = rng.choice(self.regions(migrant, district, birth.year))
        number = self.ids.make(region, birth, male)
        if migrant:
            hukou = "rural" if rng.random() < 0.8 else "urban"
        else:
            hukou = "urban" if rng.random() < 0.95 else "rural"
        pid = uuid.UUID(int=rng.getrandbits(128), version=4)
        name = surname + self.given(male)
        self.person_rows.append(
            tsv(
                (
                    pid,
                    unit,
                    1,
                    created,
                    created,
                    None,
                    "",
                    name,
                    phone,
                    number,
                    "M" if male else "F",
                    birth.isoformat(),
                    "t" if migrant else "f",
                    hukou,
                )
            )
        )
        return str(pid)

    # household files
    def household(self) -> None:
        rng = self.rng
        unit, district = rng.choices(self.units, self.unit_weights)[0]
        status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
        self.statuses[status] = self.statuses.get(status, 0) + 1
        migrant = rng.random() < 0.3
        size = rng.choices(HOUSEHOLD_SIZES, SIZE_WEIGHTS)[0]

        # The file's life: created, then (if decided) registered, reviewed, ended.
        today = TODAY.toordinal()
        if status == "draft":
            created = today - rng.randrange(1, 60)
        elif status == "submitted":
            created = today - rng.randrange(30, 90)
        else:
            created = today - rng.randrange(90, 10 * 365)
        created_day = datetime.date.fromordinal(created)
        created_at = ts(created_day, rng)

        # The head and the household around them.
        head_male = rng.random() < 0.55
        head_birth = self.birth(24, 62)
        surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        people = [("head", head_male, head_birth, surname, self.phone(), "", "")]
        n_children = 0
        for _ in range(size - 1):
            roll = rng.random()
            if roll < 0.45 and not any(p[0] == "spouse" for p in people):
                spouse_birth = datetime.date.fromordinal(
                    head_birth.toordinal() + rng.randrange(-5 * 365, 5 * 365)
                )
                spouse_birth = min(spouse_birth, datetime.date.fromordinal(today - 20 * 365))
                phone = self.phone() if rng.random() < 0.9 else ""
                spouse_surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
                people.append(
                    ("spouse", not head_male, spouse_birth, spouse_surname, phone, "", "")
                )
            elif roll < 0.85 and n_children < 3:
                n_children += 1
                lo = max(head_birth.toordinal() + 20 * 365, today - 30 * 365)
                hi = max(lo + 365, min(head_birth.toordinal() + 42 * 365, today - 200))
                child_birth = datetime.date.fromordinal(rng.randrange(lo, hi))
                age = (today - child_birth.toordinal()) // 365
                school = ""
                if 3 <= age <= 15:
                    school = DISTRICT_NAMES[district] + rng.choice(SCHOOLS) + rng.choice(GRADES)
                phone = self.phone() if age >= 18 and rng.random() < 0.8 else ""
                people.append(
                    ("child", rng.random() < 0.5, child_birth, surname, phone, school, "")
                )
            elif roll < 0.95:
                parent_birth = datetime.date.fromordinal(
                    head_birth.toordinal() - rng.randrange(20 * 365, 35 * 365)
                )
                floor = datetime.date(1930, 1, 1)
                parent_birth = max(parent_birth, floor)
                phone = self.phone() if rng.random() < 0.5 else ""
                people.append(("parent", rng.random() < 0.5, parent_birth, surname, phone, "", ""))
            else:
                relation = rng.choice(("sibling", "grandchild", "other"))
                birth = self.birth(1, 70)
                people.append((relation, rng.random() < 0.5, birth, surname, "", "", ""))

        level = rng.choices(list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values()))[0]
        cause = rng.choices(list(CAUSE_WEIGHTS), list(CAUSE_WEIGHTS.values()))[0]
        if level == "deep":
            per_head = rng.randrange(400, MONTHLY_LINE)
        elif level == "relative":
            per_head = rng.randrange(MONTHLY_LINE, 2 * MONTHLY_LINE)
        else:
            per_head = rng.randrange(1200, 4000)
        income_year = per_head * size * 12
        if level == "accidental":
            major = int(income_year * rng.uniform(0.85, 2.5))
        elif cause in ("illness", "disability") and rng.random() < 0.6:
            major = int(income_year * rng.uniform(0.1, 0.7))
        else:
            major = None
        health_idx = None
        if cause in ("illness", "disability"):
            health_idx = rng.randrange(len(people))

        # Workflow dates: consent, home visit, 7-day public notice, decision.
        def day(offset: int) -> str:
            return datetime.date.fromordinal(min(created + offset, today)).isoformat()

        w = dict.fromkeys(
            (
                "consent_signed_on",
                "home_visit_on",
                "notice_starts_on",
                "notice_ends_on",
                "submitted_at",
                "decided_at",
                "decided_by_id",
                "registered_on",
                "last_reviewed_on",
                "ended_on",
            )
        )
        opinion, end_reason = "", ""
        if status != "draft" or rng.random() < 0.5:
            w["consent_signed_on"] = day(0)
        if status != "draft":
            w["home_visit_on"] = day(rng.randrange(2, 10))
            w["notice_starts_on"] = day(12)
            w["notice_ends_on"] = day(19)
            submitted = datetime.date.fromordinal(min(created + 20, today))
            w["submitted_at"] = ts(submitted, rng)
        if status not in ("draft", "submitted"):
            decided = datetime.date.fromordinal(min(created + rng.randrange(21, 40), today))
            w["decided_at"] = ts(decided, rng)
            w["decided_by_id"] = rng.choice(self.deciders[district])
            if status == "rejected":
                opinion = REJECT_OPINION
            else:
                w["registered_on"] = decided.isoformat()
                reg = decided.toordinal()
                if status == "registered":
                    years = (today - reg) // 365
                    # About 8 % overdue: the last review more than a year ago.
                    if years >= 1:
                        done = years if rng.random() > 0.08 else years - 1
                        if done >= 1:
                            w["last_reviewed_on"] = datetime.date.fromordinal(
                                min(reg + done * 365 + rng.randrange(0, 20), today)
                            ).isoformat()
                else:
                    ended = rng.randrange(reg + 60, max(reg + 61, today))
                    w["ended_on"] = datetime.date.fromordinal(min(ended, today)).isoformat()
                    if status == "lifted":
                        end_reason = "income_above_line"
                    else:
                        end_reason = rng.choice(CLOSE_REASONS)
        secondary = rng.sample(list(CAUSE_WEIGHTS), rng.choice((0, 0, 1, 1, 2)))
        secondary = [c for c in secondary if c != cause]
        file_level = rng.choices(list(FILE_LEVEL_WEIGHTS), list(FILE_LEVEL_WEIGHTS.values()))[0]
        national_no = ""
        if file_level in ("national", "provincial"):
            national_no = f"QG{rng.randrange(10**11, 10**12)}"
        employment = rng.choices(list(EMPLOYMENT_WEIGHTS), list(EMPLOYMENT_WEIGHTS.values()))[0]
        employer = ""
        if employment in ("employed", "flexible") or rng.random() < 0.3:
            employer = rng.choice(EMPLOYERS_A) + rng.choice(EMPLOYERS_B) + rng.choice(EMPLOYERS_C)
        address = (
            f"上海市{DISTRICT_NAMES[district]}{rng.choice(ROADS[district])}"
            f"{rng.randrange(1, 1500)}弄{rng.randrange(1, 60)}号{rng.randrange(1, 7)}0"
            f"{rng.randrange(1, 5)}室"
        )
        updated_at = created_at
        for key in ("ended_on", "last_reviewed_on", "registered_on"):
            if w[key]:
                updated_at = ts(datetime.date.fromisoformat(w[key]), rng)
                break

        person_ids = []
        for i, (_relation, male, birth, sname, phone, _school, _h) in enumerate(people):
            person_ids.append(
                self.person(
                    unit=unit,
                    district=district,
                    surname=sname,
                    male=male,
                    birth=birth,
                    migrant=migrant if i == 0 or rng.random() < 0.9 else not migrant,
                    phone=phone,
                    created=created_at,
                )
            )
        wid = uuid.UUID(int=rng.getrandbits(128), version=4)
        self.worker_rows.append(
            tsv(
                (
                    1,
                    created_at,
                    updated_at,
                    wid,
                    None,
                    "",
                    address,
                    employer,
                    str(rng.randrange(10**11, 10**12)) if rng.random() < 0.8 else "",
                    employment,
                    f"{income_year}.00",
                    None if major is None else f"{major}.00",
                    f"{per_head}.00",
                    level,
                    cause,
                    "{" + ",".join(secondary) + "}",
                    file_level,
                    national_no,
                    "t" if rng.random() < 0.01 else "f",
                    status,
                    w["consent_signed_on"],
                    w["home_visit_on"],
                    "",
                    w["notice_starts_on"],
                    w["notice_ends_on"],
                    w["submitted_at"],
                    w["decided_at"],
                    opinion,
                    w["registered_on"],
                    w["last_reviewed_on"],
                    w["ended_on"],
                    end_reason,
                    w["decided_by_id"],
                    rng.choice(self.enterers[district]),
                    unit,
                    person_ids[0],
                    "t" if migrant else "f",  # the head's flag (a trigger's job online)
                )
            )
        )
        active = "t" if status in ACTIVE else "f"
        for i, (relation, _m, _b, _s, _p, school, _h) in enumerate(people):
            health = rng.choice(HEALTH) if i == health_idx else ""
            self.member_rows.append(
                tsv(
                    (
                        1,
                        created_at,
                        created_at,
                        uuid.UUID(int=rng.getrandbits(128), version=4),
                        None,
                        "",
                        relation,
                        school,
                        health,
                        active,
                        unit,
                        person_ids[i],
                        wid,
                    )
                )
            )


PERSON_COLUMNS = (
    "id, org_unit_id, version, created_at, updated_at, deleted_at, create_digest, name, phone,"
    " national_id, sex, birth_date, is_migrant, hukou"
)
WORKER_COLUMNS = (
    "version, created_at, updated_at, id, deleted_at, create_digest, address, employer_name,"
    " union_member_no, employment_status, household_income_year, major_costs_year,"
    " income_per_head, hardship_level, main_cause, secondary_causes, file_level,"
    " national_file_no, is_model_worker, status, consent_signed_on, home_visit_on,"
    " home_visit_note, notice_starts_on, notice_ends_on, submitted_at, decided_at,"
    " decision_opinion, registered_on, last_reviewed_on, ended_on, end_reason, decided_by_id,"
    " entered_by_id, org_unit_id, person_id, head_is_migrant"
)
MEMBER_COLUMNS = (
    "version, created_at, updated_at, id, deleted_at, create_digest, relation, school,"
    " health_note, file_active, org_unit_id, person_id, worker_id"
)
TABLES = ("cases_person", "cases_worker", "cases_householdmember")
MARKER_DDL = """
CREATE TABLE IF NOT EXISTS bench_baseline (
    id serial PRIMARY KEY,
    generated_at timestamptz NOT NULL DEFAULT now(),
    files integer NOT NULL,
    people integer NOT NULL,
    members integer NOT NULL,
    seconds numeric(8, 1) NOT NULL,
    seed bigint NOT NULL,
    note text NOT NULL
)"""
MARKER_NOTE = (
    "BASELINE without captured changes: loaded by bench/citygen.py with history (pghistory) "
    "and change-capture (pgtrigger) triggers skipped; no *_event or aidcenter_change rows "
    "exist for these people, files and members."
)


# --- Set-up through Django (small: units and staff) -------------------------------------------
def migrate_and_seed(url: str, seed: bool) -> None:
    env = manage_env(url)
    py = sys.executable
    subprocess.run(
        [py, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    if seed:
        subprocess.run([py, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True)


def ensure_districts() -> None:
    """Four more districts of 20 sub-centers, each with an officer and a front desk."""
    from django.db import transaction

    from aidcenter.models import OrgUnit
    from aidcenter.services import staff_create_or_update

    city = OrgUnit.objects.get(code="SH")
    with transaction.atomic():
        for code, (name, _region, streets, industries, parks) in EXTRA_DISTRICTS.items():
            district, _ = OrgUnit.objects.get_or_create(
                code=code, defaults={"name": name, "kind": "district", "parent": city}
            )
            subs = [(s + "街道帮扶分中心", "street") for s in streets]
            subs += [(s + "工会帮扶分中心", "industry") for s in industries]
            subs += [(s + "帮扶分中心", "park") for s in parks]
            assert len(subs) == 20, code
            for i, (sub_name, kind) in enumerate(subs, start=1):
                OrgUnit.objects.get_or_create(
                    code=f"{code}-{i:02d}",
                    defaults={"name": sub_name, "kind": kind, "parent": district},
                )
            low = code.lower()
            staff_create_or_update(
                username=f"officer_{low}", role="district_officer", unit_code=code
            )
            staff_create_or_update(username=f"desk_{low}", role="front_desk", unit_code=code)


def load_units_and_staff(conn) -> tuple[list, list, dict, dict]:
    rows = conn.execute(
        "SELECT u.id, u.kind, d.code, p.kind FROM aidcenter_orgunit u"
        " JOIN aidcenter_orgunit p ON p.id = u.parent_id"
        " JOIN aidcenter_orgunit d ON d.kind = 'district'"
        "  AND (d.id = u.parent_id OR d.id = p.parent_id)"
        " WHERE u.kind IN ('street', 'industry', 'park', 'aid_point')"
    ).fetchall()
    units, weights = [], []
    for unit_id, kind, district, _parent_kind in rows:
        units.append((unit_id, district))
        # Streets keep most files; industry unions fewer; parks and aid points fewest.
        weights.append({"street": 6, "industry": 3, "park": 2, "aid_point": 1}[kind])
    staff = conn.execute(
        "SELECT s.user_id, s.role, d.code FROM aidcenter_staffprofile s"
        " JOIN aidcenter_orgunit u ON u.id = s.org_unit_id"
        " JOIN aidcenter_orgunit d ON d.kind = 'district'"
        "  AND (d.id = u.id OR d.id = u.parent_id)"
    ).fetchall()
    enterers: dict[str, list[int]] = {}
    deciders: dict[str, list[int]] = {}
    for user_id, role, district in staff:
        if role in ("front_desk", "caseworker"):
            enterers.setdefault(district, []).append(user_id)
        elif role == "district_officer":
            deciders.setdefault(district, []).append(user_id)
    return units, weights, enterers, deciders


# --- The load ---------------------------------------------------------------------------------
def existing(conn) -> tuple | None:
    has_marker = conn.execute("SELECT to_regclass('bench_baseline') IS NOT NULL").fetchone()[0]
    if not has_marker:
        return None
    return conn.execute(
        "SELECT files, people, members, seconds, generated_at FROM bench_baseline"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()


def counts(conn) -> tuple[int, int, int]:
    """(files, people, members) in the database."""
    tables = ("cases_worker", "cases_person", "cases_householdmember")
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)  # noqa: S608


def copy_rows(cur, table: str, columns: str, rows: list[str], chunk: int = 20_000) -> None:
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FREEZE)") as copy:
        for i in range(0, len(rows), chunk):
            copy.write("".join(rows[i : i + chunk]))


def build(url: str, files: int, seed: int, started: float) -> None:
    import psycopg

    rng = random.Random(seed)
    with psycopg.connect(psycopg_url(url)) as conn:
        units, weights, enterers, deciders = load_units_and_staff(conn)
        cur = conn.cursor()
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cur.execute("SET LOCAL max_parallel_maintenance_workers = 2")
        # Throw away the previous cases data (and whatever hangs on it: this is the bench DB).
        cur.execute(
            "TRUNCATE cases_person, cases_worker, cases_householdmember, cases_personevent,"
            " cases_workerevent, cases_householdmemberevent CASCADE"
        )
        taken = set()  # ID numbers already in the database (none after the TRUNCATE)
        # The secondary indexes: dropped now, rebuilt after the COPY, in this transaction.
        indexes = cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.relname"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " WHERE c.relname = ANY(%s) AND NOT EXISTS ("
            "   SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
            [list(TABLES)],
        ).fetchall()
        for name, _definition, _table in indexes:
            cur.execute(f"DROP INDEX {name}")

        city = City(rng, units, weights, enterers, deciders, taken)
        t0 = time.perf_counter()
        for _ in range(files):
            city.household()
        t_gen = time.perf_counter() - t0
        print(
            f"generated {len(city.worker_rows):,} files, {len(city.person_rows):,} people,"
            f" {len(city.member_rows):,} members in Python: {t_gen:.1f} s"
        )
        t0 = time.perf_counter()
        copy_rows(cur, "cases_person", PERSON_COLUMNS, city.person_rows)
        copy_rows(cur, "cases_worker", WORKER_COLUMNS, city.worker_rows)
        copy_rows(cur, "cases_householdmember", MEMBER_COLUMNS, city.member_rows)
        print(f"COPY: {time.perf_counter() - t0:.1f} s")
        people, files_n, members = (
            len(city.person_rows),
            len(city.worker_rows),
            len(city.member_rows),
        )
        statuses = city.statuses
        del city
        t0 = time.perf_counter()
        # Largest first; each build may use the parallel maintenance workers.
        for name, definition, _table in sorted(indexes, key=lambda r: "gin" not in r[1]):
            t1 = time.perf_counter()
            cur.execute(definition)
            print(f"  index {name}: {time.perf_counter() - t1:.1f} s")
        print(f"indexes rebuilt: {time.perf_counter() - t0:.1f} s")
        cur.execute(MARKER_DDL)
        cur.execute(
            "INSERT INTO bench_baseline (files, people, members, seconds, seed, note)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [files_n, people, members, round(time.perf_counter() - started, 1), seed, MARKER_NOTE],
        )
        conn.commit()
        print("statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))
    # VACUUM cannot run inside a transaction; it also sets the visibility map (index-only
    # scans) and ANALYZE gives the planner the statistics of the new data.
    t0 = time.perf_counter()
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"VACUUM (ANALYZE) {table}")
        conn.execute("ANALYZE aidcenter_orgunit")
    print(f"VACUUM ANALYZE: {time.perf_counter() - t0:.1f} s")


def verify(url: str) -> None:
    """Cheap checks of what was loaded: the invariants the triggers and constraints keep."""
    import psycopg
    from stdnum.cn import ric

    with psycopg.connect(psycopg_url(url)) as conn:
        bad_active = conn.execute(
            "SELECT count(*) FROM cases_householdmember m JOIN cases_worker w ON w.id = m.worker_id"
            " WHERE m.file_active IS DISTINCT FROM (m.deleted_at IS NULL AND w.deleted_at IS NULL"
            "  AND w.status IN ('draft', 'submitted', 'registered'))"
        ).fetchone()[0]
        heads = conn.execute(
            "SELECT count(*) FROM cases_worker w JOIN cases_householdmember m"
            " ON m.worker_id = w.id AND m.relation = 'head' AND m.person_id = w.person_id"
        ).fetchone()[0]
        files = conn.execute("SELECT count(*) FROM cases_worker").fetchone()[0]
        sample = [
            r[0]
            for r in conn.execute(
                "SELECT national_id FROM cases_person TABLESAMPLE SYSTEM (2) LIMIT 20000"
            )
        ]
    invalid = 0
    for number in sample:
        try:
            ric.validate(number)
        except Exception:  # noqa: BLE001 - counted, not raised
            invalid += 1
    print(
        f"check: file_active wrong on {bad_active} members; {heads:,} of {files:,} files have"
        f" their head as a 'head' member; {invalid} invalid of {len(sample):,} sampled ID"
        " numbers (python-stdnum)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if the data exists")
    parser.add_argument("--files", type=int, default=FILES, help="household files (250,000)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()

    started = time.perf_counter()
    url = bench_url(create=True)
    print(f"bench database: {url.split('@')[-1]}")
    import psycopg

    with psycopg.connect(psycopg_url(url)) as conn:
        have = (
            existing(conn)
            if conn.execute("SELECT to_regclass('cases_worker') IS NOT NULL").fetchone()[0]
            else None
        )
        now = counts(conn) if have else None
    # Migrate every time (a no-op when nothing changed) so the benchmark sees today's schema.
    migrate_and_seed(url, seed=have is None or args.force)
    if have and not args.force:
        files, people, members = have[0], have[1], have[2]
        if now[0] >= files and now[1] >= people and now[2] >= members:
            print(
                f"reusing the data generated {have[4]:%Y-%m-%d %H:%M} in {have[3]} s:"
                f" {now[0]:,} files, {now[1]:,} people, {now[2]:,} members (--force rebuilds)"
            )
            print(MARKER_NOTE)
            return
        print("the bench data is incomplete: rebuilding")
    setup_django(url)
    ensure_districts()
    build(url, args.files, args.seed, started)
    verify(url)
    print(MARKER_NOTE)
    print(f"elapsed: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidcenter.settings")
    main()
