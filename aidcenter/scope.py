"""The one scoping rule: which records a user may see.

    scoped(user, Model or queryset) -> queryset

A user sees the records kept by their unit and by every unit below it; admins see everything;
anyone without a staff role sees nothing. City-wide catalogues (employers, courses, lawyers)
declare `scope_path = None` and are readable by every staff user. A model that is kept through
another record names the path to its unit, e.g. `scope_path = "worker__org_unit"`; a record
that two units share names both, e.g. `scope_path = ("from_unit", "to_unit")`.

The tree is small (hundreds of units), so the subtree is resolved once per request into a
set of ids and cached on the user object that the request carries. Admin `get_queryset`, the
pages, the exports, the dashboards and every API viewset call this function; nothing else
decides scope.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import models

from aidcenter.roles import Role, role_of

_CACHE_ATTR = "_aid_scope_unit_ids"


def subtree_ids(root_id: int) -> frozenset[int]:
    """Ids of `root_id` and every unit below it, from one query over the (small) tree."""
    from aidcenter.models import OrgUnit

    children: dict[int | None, list[int]] = defaultdict(list)
    for unit_id, parent_id in OrgUnit.objects.values_list("id", "parent_id"):
        children[parent_id].append(unit_id)
    found, stack = set(), [root_id]
    while stack:
        unit_id = stack.pop()
        if unit_id not in found:
            found.add(unit_id)
            stack.extend(children[unit_id])
    return frozenset(found)


def unit_ids(user) -> frozenset[int] | None:
    """The unit ids in the user's scope; None means every unit (admins)."""
    if hasattr(user, _CACHE_ATTR):
        return getattr(user, _CACHE_ATTR)
    role = role_of(user)
    if role == Role.ADMIN:
        ids = None
    elif role is None:
        ids = frozenset()
    else:
        ids = subtree_ids(user.staff.org_unit_id)
    setattr(user, _CACHE_ATTR, ids)
    return ids


def in_scope(user, org_unit_id: int | None) -> bool:
    ids = unit_ids(user)
    return ids is None or org_unit_id in ids


def scoped(user, model_or_queryset) -> models.QuerySet:
    """The records of this model (or within this queryset) that the user may see."""
    if isinstance(model_or_queryset, models.QuerySet):
        qs, model = model_or_queryset, model_or_queryset.model
    else:
        model = model_or_queryset
        qs = model._default_manager.all()
    if any(f.name == "deleted_at" for f in model._meta.fields):
        qs = qs.filter(deleted_at__isnull=True)
    if role_of(user) is None:
        return qs.none()
    path = getattr(model, "scope_path", "org_unit")
    if path is None:  # city-wide catalogue
        return qs
    ids = unit_ids(user)
    if ids is None:
        return qs
    if model._meta.label == "aidcenter.OrgUnit":
        return qs.filter(id__in=ids)
    if isinstance(path, tuple):  # seen by either unit, e.g. a transfer's sender and receiver
        condition = models.Q()
        for one in path:
            condition |= models.Q(**{f"{one}__in": ids})
        return qs.filter(condition)
    return qs.filter(**{f"{path}__in": ids})
