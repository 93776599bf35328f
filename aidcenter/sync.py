"""The synced-record base (API.md "Records that sync") and its trigger-written change capture.

Every record a sub-center can create inherits `SyncedRecord`; catalogues that the feed must
also carry (org units, employers, courses, funds …) inherit `Versioned`. Two database
triggers per table do the bookkeeping, so admin edits, bulk `update()`s, imports and raw SQL
are all counted, not only writes that pass through our Python:

* `bump_version` (BEFORE UPDATE): version + 1 and updated_at = now() on every change;
* `capture_change` (AFTER INSERT/UPDATE/DELETE): one row in `aidcenter_change` with the writing
  transaction's id (`xid8`), the record's old and new org unit and its version. A soft delete
  (deleted_at set) and a hard DELETE are both captured as `delete`, the hard one at version + 1.

The change feed (issue 10) reads `aidcenter_change` only up to the oldest transaction still
running, so out-of-order commits are never skipped.
"""

from __future__ import annotations

import uuid

import pgtrigger
from django.core import checks
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BumpVersion(pgtrigger.Trigger):
    name = "bump_version"
    when = pgtrigger.Before
    operation = pgtrigger.Update
    func = "NEW.version := OLD.version + 1; NEW.updated_at := now(); RETURN NEW;"


class CaptureChange(pgtrigger.Trigger):
    """Writes one aidcenter_change row per changed row, in the writer's transaction.

    `org_unit_column` names the column holding the unit a change belongs to; by default the
    model's `org_unit` field, or none for a city-wide catalogue. (It is read from the fields,
    not from class attributes, because migrations render the trigger from historical models.)
    """

    name = "capture_change"
    when = pgtrigger.After
    operation = pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete

    def __init__(self, *, org_unit_column: str | None = None, **kwargs):
        self.org_unit_column = org_unit_column
        super().__init__(**kwargs)

    def get_func(self, model):
        fields = {f.name: f for f in model._meta.fields}
        unit = self.org_unit_column or (fields["org_unit"].column if "org_unit" in fields else None)
        pk = model._meta.pk.column
        old_unit, new_unit = (f"OLD.{unit}", f"NEW.{unit}") if unit else ("NULL", "NULL")
        op = "CASE WHEN NEW.deleted_at IS NULL THEN 'upsert' ELSE 'delete' END"
        if "deleted_at" not in fields:
            op = "'upsert'"
        columns = "(txid, table_name, record_id, op, version, old_org_unit_id, new_org_unit_id)"
        # Only column names from the model are interpolated, never data.
        return f"""
            IF TG_OP = 'DELETE' THEN
                INSERT INTO aidcenter_change {columns}
                VALUES (pg_current_xact_id(), TG_TABLE_NAME, OLD.{pk}::text, 'delete',
                        OLD.version + 1, {old_unit}, NULL);
                RETURN OLD;
            ELSIF TG_OP = 'UPDATE' THEN
                INSERT INTO aidcenter_change {columns}
                VALUES (pg_current_xact_id(), TG_TABLE_NAME, NEW.{pk}::text, {op},
                        NEW.version, {old_unit}, {new_unit});
            ELSE
                INSERT INTO aidcenter_change {columns}
                VALUES (pg_current_xact_id(), TG_TABLE_NAME, NEW.{pk}::text, {op},
                        NEW.version, NULL, {new_unit});
            END IF;
            RETURN NEW;
        """  # noqa: S608


class Versioned(models.Model):
    """A record whose every change is versioned and captured for the change feed."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        abstract = True
        triggers = [BumpVersion(), CaptureChange()]

    def save(self, *args, **kwargs):
        is_update = not self._state.adding
        super().save(*args, **kwargs)
        if is_update:
            # The database wrote version and updated_at (bump_version); read them back so the
            # caller holds what is stored.
            self.refresh_from_db(fields=["version", "updated_at"])


class SyncedRecord(Versioned):
    """A record a sub-center can create: client-chosen UUID, keeping unit, soft delete."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    # Digest of the create request's content: a replayed create with the same content answers
    # 200, one with other content 409 id_conflict (API.md "Idempotent create").
    create_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta(Versioned.Meta):
        abstract = True


@checks.register(checks.Tags.models)
def check_versioned_models_keep_their_triggers(app_configs, **kwargs):
    """A subclass that declares `class Meta:` without inheriting loses the triggers silently."""
    from django.apps import apps

    errors = []
    for model in apps.get_models():
        if issubclass(model, Versioned):
            names = {t.name for t in getattr(model._meta, "triggers", [])}
            if not {"bump_version", "capture_change"} <= names:
                errors.append(
                    checks.Error(
                        f"{model.__name__} inherits Versioned but lost its triggers",
                        hint="Declare `class Meta(SyncedRecord.Meta)` (or Versioned.Meta).",
                        obj=model,
                        id="aidcenter.E001",
                    )
                )
    return errors
