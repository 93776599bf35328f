"""The demo district as the Putuo report describes it: 20 sub-centers (9 streets and towns,
7 industry unions, 4 economic parks) with aid points below some of them."""

from __future__ import annotations

from django.db import transaction

from aidcenter.models import OrgUnit
from aidcenter.security import seed_demo_device
from aidcenter.services import staff_create_or_update

CITY = ("SH", "上海市总工会职工援助服务中心")
DISTRICT = ("PT", "普陀区职工援助服务中心")
SUB_CENTERS = [
    ("PT-CS", "长寿路街道帮扶分中心", "street"),
    ("PT-CY", "曹杨新村街道帮扶分中心", "street"),
    ("PT-CF", "长风新村街道帮扶分中心", "street"),
    ("PT-YC", "宜川路街道帮扶分中心", "street"),
    ("PT-GQ", "甘泉路街道帮扶分中心", "street"),
    ("PT-SQ", "石泉路街道帮扶分中心", "street"),
    ("PT-WL", "万里街道帮扶分中心", "street"),
    ("PT-ZR", "真如镇街道帮扶分中心", "street"),
    ("PT-TP", "桃浦镇帮扶分中心", "street"),
    ("PT-JS", "区建设系统工会帮扶分中心", "industry"),
    ("PT-JY", "区教育工会帮扶分中心", "industry"),
    ("PT-WS", "区卫生工会帮扶分中心", "industry"),
    ("PT-SM", "区商贸工会帮扶分中心", "industry"),
    ("PT-KJ", "区科技工会帮扶分中心", "industry"),
    ("PT-JG", "区机关工会帮扶分中心", "industry"),
    ("PT-QY", "区属企业工会帮扶分中心", "industry"),
    ("PT-TPY", "桃浦工业园区帮扶分中心", "park"),
    ("PT-CFB", "长风生态商务区帮扶分中心", "park"),
    ("PT-ZH", "中环商务区帮扶分中心", "park"),
    ("PT-TD", "天地软件园帮扶分中心", "park"),
]
AID_POINTS = [
    ("PT-CS-01", "长寿路街道第一帮扶站", "PT-CS"),
    ("PT-CS-02", "长寿路街道第二帮扶站", "PT-CS"),
    ("PT-CY-01", "曹杨新村街道帮扶站", "PT-CY"),
    ("PT-TP-01", "桃浦镇帮扶站", "PT-TP"),
]

DEMO_PASSWORD = "aidcenter-demo"  # noqa: S105 - printed demo logins, never used in production

# username, display name, role, unit
STAFF = [
    ("admin", "系统管理员", "admin", "SH"),
    ("officer", "区总工会干部", "district_officer", "PT"),
    ("approver", "帮扶审批员", "fund_approver", "PT"),
    ("approver2", "帮扶审批员（二）", "fund_approver", "PT"),
    ("manager", "资金管理员", "fund_manager", "PT"),
    ("auditor", "审计员", "auditor", "PT"),
    ("desk", "区中心窗口", "front_desk", "PT"),
    ("desk_cs", "长寿路窗口", "front_desk", "PT-CS"),
    ("case_cs", "长寿路社工", "caseworker", "PT-CS"),
    ("desk_cy", "曹杨窗口", "front_desk", "PT-CY"),
    ("case_cy", "曹杨社工", "caseworker", "PT-CY"),
    ("sync_cs", "长寿路同步客户端", "sync_client", "PT-CS"),
]


def _unit(code: str, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    unit, _created = OrgUnit.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "parent": parent}
    )
    return unit


@transaction.atomic
def seed_orgs_and_staff() -> None:
    city = _unit(*CITY, "city", None)
    district = _unit(*DISTRICT, "district", city)
    by_code = {}
    for code, name, kind in SUB_CENTERS:
        by_code[code] = _unit(code, name, kind, district)
    for code, name, parent in AID_POINTS:
        _unit(code, name, "aid_point", by_code[parent])
    for username, name, role, unit in STAFF:
        user = staff_create_or_update(
            username=username, role=role, unit_code=unit, password=DEMO_PASSWORD, name=name
        )
        # Roles with a second factor get an authenticator whose code demo_logins prints.
        seed_demo_device(user)
