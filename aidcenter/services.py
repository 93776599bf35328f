"""Operations on the shared records: staff accounts and keys. Keyword-only, atomic, raising
domain errors that the commands, the admin and the API each translate."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aidcenter.errors import Invalid
from aidcenter.models import ApiKey, OrgUnit, StaffProfile
from aidcenter.roles import DISTRICT_ROLES, ROLE_ACTIONS, SUB_CENTER_ROLES, Action, Role


def _check_role_fits_unit(role: str, unit: OrgUnit) -> None:
    if role == Role.ADMIN and unit.kind != OrgUnit.Kind.CITY:
        raise Invalid({"unit": [_("An administrator sits at the city unit.")]})
    if role in DISTRICT_ROLES and unit.kind != OrgUnit.Kind.DISTRICT:
        raise Invalid({"unit": [_("This role sits at a district unit.")]})
    if role in SUB_CENTER_ROLES and not unit.is_sub_center:
        raise Invalid({"unit": [_("A sub-center client belongs to a sub-center.")]})


@transaction.atomic
def staff_create_or_update(
    *, username: str, role: str, unit_code: str, password: str | None = None, name: str = ""
):
    """Create or update a staff user with one role at one unit."""
    if role not in Role.values:
        raise Invalid({"role": [_("Unknown role: %(role)s") % {"role": role}]})
    unit = OrgUnit.objects.filter(code=unit_code).first()
    if unit is None:
        raise Invalid({"unit": [_("No unit with code %(code)s.") % {"code": unit_code}]})
    _check_role_fits_unit(role, unit)
    User = get_user_model()
    user, _created = User.objects.get_or_create(username=username)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise Invalid({"password": list(exc.messages)}) from None
        user.set_password(password)
    if name:
        user.first_name = name
    # Only roles that use the pages get into the admin; the sync client is API-only.
    user.is_staff = Action.USE_PAGES in ROLE_ACTIONS[role]
    user.is_superuser = False
    user.save()
    StaffProfile.objects.update_or_create(user=user, defaults={"role": role, "org_unit": unit})
    return user


def api_key_issue(*, username: str, name: str = "") -> str:
    """Issue a new key for the user and return it; only its digest is kept."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Invalid({"username": [_("No active user %(name)s.") % {"name": username}]})
    _record, key = ApiKey.issue(user=user, name=name)
    return key
