"""Personal data (PIPL art. 28): who sees full ID numbers, and the access log.

Roles that enter files (front desk, caseworker, sync client) see the full ID numbers of the
records in their scope; everyone else sees them masked unless granted the permission
`cases.view_full_id`. Every full view is written to the access log; a list, an export or a
feed pull that carries full IDs writes one row for the request, with the record count.
"""

from __future__ import annotations

from aidcenter.models import AccessLog
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope

FULL_ID_PERMISSION = "cases.view_full_id"


def sees_full_ids(user, org_unit_id: int | None = None) -> bool:
    """May this user see full ID numbers (of a record kept by this unit, when given)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    # Asked once a row by lists and exports: the answer is kept on the user object, as Django
    # keeps its permissions there (a user object lives for one request or one job).
    allowed = user.__dict__.get("_sees_full_ids")
    if allowed is None:
        allowed = can(user, Action.SEE_FULL_IDS) or (
            can(user, Action.READ) and user.has_perm(FULL_ID_PERMISSION)
        )
        user.__dict__["_sees_full_ids"] = allowed
    return allowed and (org_unit_id is None or in_scope(user, org_unit_id))


def log_access(
    *, user, action: str, model: str, record_id: str = "", count: int = 1, path: str = ""
):
    """One access-log row. Paths are stored without query strings (they never hold IDs anyway)."""
    if count <= 0:
        return None
    return AccessLog.objects.create(
        user=user,
        action=action,
        model=model,
        record_id=str(record_id),
        count=count,
        path=path.split("?", 1)[0][:200],
    )
