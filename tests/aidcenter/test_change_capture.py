"""Change capture is written by database triggers: admin edits, bulk updates and deletes all
leave a row with the writing transaction's id."""

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError

from aidcenter.models import Change, OrgUnit


def current_txid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        return int(cursor.fetchone()[0])


def changes_of(unit: OrgUnit):
    return Change.objects.filter(table_name="aidcenter_orgunit", record_id=str(unit.pk))


def test_insert_is_captured_at_version_1(units):
    change = changes_of(units.b).get()
    assert (change.op, change.version, change.new_org_unit_id) == ("upsert", 1, units.b.pk)
    assert change.txid == current_txid()


def test_admin_edit_is_captured_with_the_transaction_id(client, staff, units):
    client.force_login(staff.admin)
    response = client.post(
        f"/admin/aidcenter/orgunit/{units.b.pk}/change/",
        {"code": "PT-B", "name": "乙街道（新）", "kind": "street", "parent": units.pt.pk},
    )
    assert response.status_code == 302, response.content
    units.b.refresh_from_db()
    assert units.b.name == "乙街道（新）"
    assert units.b.version == 2
    latest = changes_of(units.b).order_by("-id").first()
    assert (latest.op, latest.version) == ("upsert", 2)
    assert latest.txid == current_txid()


def test_bulk_update_bumps_every_version_and_is_captured(units):
    before = Change.objects.count()
    touched = OrgUnit.objects.filter(parent=units.pt).update(name="改名")
    assert touched == 2
    rows = Change.objects.order_by("id")[before:]
    assert {(c.record_id, c.op, c.version) for c in rows} == {
        (str(units.a.pk), "upsert", 2),
        (str(units.b.pk), "upsert", 2),
    }
    assert set(OrgUnit.objects.filter(parent=units.pt).values_list("version", flat=True)) == {2}


def test_save_reads_back_the_version_the_database_wrote(units):
    units.a.name = "甲街道（改）"
    units.a.save()
    assert units.a.version == 2
    units.a.save(update_fields=["name"])
    assert units.a.version == 3


def test_delete_is_captured_as_a_tombstone_at_version_plus_one(units):
    point = units.a1
    pk = point.pk
    OrgUnit.objects.filter(pk=pk).update(name="将撤销")  # version 2
    point.refresh_from_db()
    point.delete()
    tombstone = Change.objects.filter(record_id=str(pk)).order_by("-id").first()
    assert (tombstone.op, tombstone.version, tombstone.old_org_unit_id) == ("delete", 3, pk)
    assert tombstone.new_org_unit_id is None
    assert tombstone.txid == current_txid()


def test_captured_changes_can_be_neither_edited_nor_deleted(units):
    change = changes_of(units.a).first()
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        Change.objects.filter(pk=change.pk).update(version=99)
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        Change.objects.filter(pk=change.pk).delete()
    assert Change.objects.get(pk=change.pk).version == 1
