"""Reading the change history (django-pghistory) for the person page: who changed what, when,
in the user's words (choice labels, unit and user names), with sensitive values masked for
viewers without the right to see them."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from pghistory.models import Events

from aidcenter.models import OrgUnit
from cases import idnumbers

# Bookkeeping the reader does not need.
SKIPPED = {
    "version",
    "updated_at",
    "created_at",
    "create_digest",
    "file_active",
    "id",
    "deleted_at",
}


class _Names:
    """Display names for foreign keys, fetched once per page."""

    def __init__(self):
        self.units = dict(OrgUnit.objects.values_list("id", "name"))
        self.users: dict = {}

    def user(self, pk):
        if pk not in self.users:
            user = get_user_model().objects.filter(pk=pk).first()
            self.users[pk] = (user.get_full_name() or user.username) if user else "—"
        return self.users[pk]


def _display(field: models.Field, value, names: _Names):
    if value in (None, "", []):
        return None
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    base = getattr(field, "base_field", None)
    if base is not None and base.choices and isinstance(value, list):
        labels = dict(base.flatchoices)
        return "、".join(str(labels.get(v, v)) for v in value)
    if isinstance(field, models.ForeignKey):
        if field.related_model is OrgUnit:
            return names.units.get(value, value)
        if field.related_model is get_user_model():
            return names.user(value)
        return None  # a link to another record: shown by that record's own history
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        parsed = parse_datetime(value)
        return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M") if parsed else value
    if isinstance(field, models.BooleanField):
        return "✓" if value else "✗"
    return value


def history_rows(objects, *, full_ids: bool, show_health: bool) -> list[dict]:
    names = _Names()
    rows = []
    for obj in objects:
        if obj is None:
            continue
        model = type(obj)
        fields = {f.attname: f for f in model._meta.fields}
        for event in Events.objects.tracks(obj).order_by("pgh_created_at"):
            inserted = event.pgh_label == "insert"
            source = (
                {k: [None, v] for k, v in (event.pgh_data or {}).items()}
                if inserted
                else (event.pgh_diff or {})
            )
            changes = []
            for name, (old, new) in sorted(source.items()):
                field = fields.get(name)
                if field is None or name in SKIPPED:
                    continue
                if name == "national_id" and not full_ids:
                    old, new = idnumbers.mask(old), idnumbers.mask(new)
                if name == "health_note" and not show_health:
                    old = new = "***"
                old, new = _display(field, old, names), _display(field, new, names)
                if old is None and new is None:
                    continue
                changes.append({"field": field.verbose_name, "old": old, "new": new})
            if not changes:
                continue  # only bookkeeping changed (a version bump, a timestamp)
            user_id = (event.pgh_context or {}).get("user")
            rows.append(
                {
                    "at": event.pgh_created_at,
                    "record": model._meta.verbose_name,
                    "user": names.user(user_id) if user_id else "—",
                    "changes": changes,
                }
            )
    rows.sort(key=lambda r: r["at"] or datetime.datetime.min, reverse=True)
    return rows
