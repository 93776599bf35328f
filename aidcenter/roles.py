"""The role table of DESIGN.md as data: each role and the actions it may take.

Every app asks `can(user, action)`; nothing else decides what a role may do. Scope (which
records) is aidcenter/scope.py's job; this module only answers "may this role do that at all".
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", _("Front desk")
    CASEWORKER = "caseworker", _("Caseworker")
    DISTRICT_OFFICER = "district_officer", _("District officer")
    FUND_APPROVER = "fund_approver", _("Fund approver")
    FUND_MANAGER = "fund_manager", _("Fund manager")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")
    SYNC_CLIENT = "sync_client", _("Sub-center client (API)")


class Action(models.TextChoices):
    READ = "read", _("read records in scope")
    ENTER = "enter", _("enter people, draft files, cases, notes, registrations, applications")
    RUN_SERVICES = "run_services", _("run fairs, classes, legal cases, referrals, reviews")
    REVIEW_FILES = "review_files", _("approve, reject, lift and close household files")
    VIEW_REPORTS = "view_reports", _("dashboards and reports")
    APPROVE_AID = "approve_aid", _("approve or reject aid applications and batches")
    MANAGE_FUNDS = "manage_funds", _("manage funds, record income, pay, reverse, close the year")
    VIEW_HISTORY = "view_history", _("read history and the access log")
    SEE_FULL_IDS = "see_full_ids", _("see full ID numbers of the own unit's records")
    USE_PAGES = "use_pages", _("log in to the staff pages and the admin")
    ADMINISTER = "administer", _("manage units, staff and API keys")
    ERASE_PERSONAL_DATA = "erase_personal_data", _("erase a person's personal data (PIPL)")


A = Action
_ENTER = {A.READ, A.ENTER, A.SEE_FULL_IDS}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.FRONT_DESK: frozenset(_ENTER | {A.USE_PAGES}),
    Role.CASEWORKER: frozenset(_ENTER | {A.RUN_SERVICES, A.USE_PAGES}),
    Role.DISTRICT_OFFICER: frozenset({A.READ, A.REVIEW_FILES, A.VIEW_REPORTS, A.USE_PAGES}),
    Role.FUND_APPROVER: frozenset({A.READ, A.APPROVE_AID, A.USE_PAGES}),
    Role.FUND_MANAGER: frozenset({A.READ, A.MANAGE_FUNDS, A.USE_PAGES}),
    Role.AUDITOR: frozenset({A.READ, A.VIEW_HISTORY, A.VIEW_REPORTS, A.USE_PAGES}),
    Role.ADMIN: frozenset(set(Action) - {A.SEE_FULL_IDS}),
    # Same rights as a caseworker in its unit, over the API only.
    Role.SYNC_CLIENT: frozenset(_ENTER | {A.RUN_SERVICES}),
}

# Roles whose unit must be a district (DESIGN.md "at" column); admin sits at the city.
DISTRICT_ROLES = {Role.DISTRICT_OFFICER, Role.FUND_APPROVER, Role.FUND_MANAGER}
SUB_CENTER_ROLES = {Role.SYNC_CLIENT}


def role_of(user) -> str | None:
    """The user's role, or None for anonymous users and accounts without a staff profile."""
    if not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "staff", None)
    if profile is not None:
        return profile.role
    if user.is_superuser:
        return Role.ADMIN
    return None


def can(user, action: str) -> bool:
    role = role_of(user)
    return role is not None and action in ROLE_ACTIONS[role]
