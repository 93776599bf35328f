"""Reading the change history (django-pghistory) for the person page: who changed what, when, with
sensitive values masked for viewers without the right to see them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from pghistory.models import Events

from cases import idnumbers

# Fields never shown in a history table, and fields whose values are masked.
SKIPPED = {"version", "updated_at", "created_at", "create_digest", "file_active", "id"}


def history_rows(objects, *, full_ids: bool, show_health: bool) -> list[dict]:
    rows = []
    for obj in objects:
        if obj is None:
            continue
        model = type(obj)
        fields = {f.attname: f for f in model._meta.fields}
        for event in Events.objects.tracks(obj).order_by("pgh_created_at"):
            changes = []
            source = event.pgh_diff or {}
            if event.pgh_label == "insert":
                source = {k: [None, v] for k, v in (event.pgh_data or {}).items()}
            for name, (old, new) in sorted(source.items()):
                if name in SKIPPED or name.startswith("pgh_") or name not in fields:
                    continue
                if name == "national_id" and not full_ids:
                    old, new = idnumbers.mask(old), idnumbers.mask(new)
                if name == "health_note" and not show_health:
                    old = new = "***"
                if (
                    old in (None, "")
                    and new in (None, "", [], False)
                    and event.pgh_label == "insert"
                ):
                    continue
                changes.append({"field": fields[name].verbose_name, "old": old, "new": new})
            context = event.pgh_context or {}
            rows.append(
                {
                    "at": event.pgh_created_at,
                    "record": model._meta.verbose_name,
                    "label": event.pgh_label,
                    "user_id": context.get("user"),
                    "changes": changes,
                }
            )
    users = dict(
        get_user_model()
        .objects.filter(pk__in={r["user_id"] for r in rows if r["user_id"]})
        .values_list("pk", "username")
    )
    for row in rows:
        row["user"] = users.get(row["user_id"], "—")
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows
