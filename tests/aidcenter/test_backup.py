"""`backup` and `restore` round-trip the whole database through pg_dump/pg_restore of the
server's own major version: every table's rows (the ledger, change capture and history
included), every sequence, and the triggers that keep the ledger append-only.

A broken, truncated or foreign file is refused before anything is touched."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction

from aidcenter.management.commands.backup import libpq_env, server_major, tool
from aidcenter.models import Change
from cases.models import Person
from funds import services
from funds.models import Fund, LedgerEntry
from tests.funds.factories import WorkerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def fingerprint() -> dict:
    """Every table's row count and a digest of all its rows, and every sequence's position."""
    result = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"  # noqa: S608
                f' FROM "{table}" t'
            )
            result[table] = cursor.fetchone()
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        result["sequences"] = sorted(cursor.fetchall(), key=lambda row: row[0])
    return result


def _approved(staff, units, worker, amount):
    application = services.application_create(
        by=staff.desk_a,
        org_unit=units.a,
        person=worker.person,
        worker=worker,
        data={"aid_type": "living", "amount": amount, "payment_method": "cash"},
    )
    application = services.application_submit(by=staff.desk_a, application=application)
    application = services.application_approve(by=staff.approver, application=application)
    if application.status != "approved":
        application = services.application_approve(by=staff.approver2, application=application)
    return application


@pytest.fixture
def money(staff, units):
    fund = services.fund_create(
        by=staff.admin,
        org_unit=units.pt,
        code="PT-AID",
        name="区帮扶基金",
        source_kind=Fund.SourceKind.CENTRAL,
    )
    services.income_record(
        by=staff.manager,
        fund=fund,
        amount="10000.00",
        received_on=services._today(),
        source="区财政",
    )
    worker = WorkerFactory(org_unit=units.a)
    services.application_pay(
        by=staff.manager, application=_approved(staff, units, worker, "600.00"), fund=fund
    )
    return fund, worker


def test_round_trip_loses_nothing(tmp_path, staff, units, money):
    fund, worker = money
    assert LedgerEntry.objects.count() >= 4 and Change.objects.count() > 0
    before = fingerprint()
    backup = tmp_path / "aid.dump"
    call_command("backup", "--to", str(backup))
    assert backup.stat().st_size > 0
    assert backup.stat().st_mode & 0o077 == 0  # personal data: the owner's eyes only

    # Life goes on: another payment, an edit, a deleted account, a new unit.
    second = WorkerFactory(org_unit=units.a)
    services.application_pay(
        by=staff.manager, application=_approved(staff, units, second, "250.00"), fund=fund
    )
    Person.objects.filter(pk=worker.person_id).update(name="改过的名字")
    get_user_model().objects.filter(username="desk_qx").delete()
    changed = fingerprint()
    assert changed != before

    call_command("restore", "--from", str(backup), "--no-input")
    assert fingerprint() == before
    assert Person.objects.get(pk=worker.person_id).name == worker.person.name
    assert get_user_model().objects.filter(username="desk_qx").exists()
    assert services.fund_balances([fund])[fund.pk] == Decimal("9400.00")

    # The triggers came back too: the ledger is append-only, edits are captured, numbering
    # goes on after the restored rows.
    with pytest.raises(ProgrammingError), transaction.atomic():
        LedgerEntry.objects.filter(transaction__fund=fund).update(amount=Decimal("1.00"))
    captured = Change.objects.count()
    Person.objects.filter(pk=worker.person_id).update(name="恢复后再改")
    assert Change.objects.count() == captured + 1
    services.income_record(
        by=staff.manager, fund=fund, amount="1.00", received_on=services._today(), source="补录"
    )
    assert services.fund_balances([fund])[fund.pk] == Decimal("9401.00")


def _refused(path, message_part):
    before = fingerprint()
    with pytest.raises(CommandError) as refused:
        call_command("restore", "--from", str(path), "--no-input")
    assert message_part in str(refused.value)
    assert fingerprint() == before
    return str(refused.value)


def test_restore_refuses_a_file_that_is_no_backup(tmp_path, staff, money):
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"PGDMP" + bytes(range(256)) * 40)
    _refused(junk, str(junk))
    text = tmp_path / "notes.txt"
    text.write_text("SELECT 1;\n")
    _refused(text, str(text))
    _refused(tmp_path / "missing.dump", "missing.dump")


def test_restore_refuses_a_truncated_backup(tmp_path, staff, money):
    backup = tmp_path / "aid.dump"
    call_command("backup", "--to", str(backup))
    data = backup.read_bytes()
    cut = tmp_path / "cut.dump"
    cut.write_bytes(data[: len(data) * 2 // 3])
    _refused(cut, "cut.dump")


def test_restore_refuses_another_database_s_backup(tmp_path, staff, money):
    other = tmp_path / "postgres.dump"
    env = {**libpq_env(), "PGDATABASE": "postgres"}
    subprocess.run(
        [str(tool("pg_dump", server_major())), "--format=custom", f"--file={other}"],
        env=env,
        check=True,
        capture_output=True,
    )
    _refused(other, "postgres.dump")


def test_backup_does_not_overwrite_by_accident(tmp_path, db):
    target = tmp_path / "aid.dump"
    target.write_bytes(b"an older backup")
    with pytest.raises(CommandError):
        call_command("backup", "--to", str(target))
    assert target.read_bytes() == b"an older backup"
    call_command("backup", "--to", str(target), "--overwrite")
    assert target.read_bytes()[:5] == b"PGDMP"
    with pytest.raises(CommandError):
        call_command("backup", "--to", str(tmp_path / "no" / "such" / "dir.dump"))
    assert not list(tmp_path.glob(".*.partial"))


def test_tools_match_the_server_version(db):
    major = server_major()
    for name in ("pg_dump", "pg_restore"):
        version = subprocess.run(
            [str(tool(name, major)), "--version"], capture_output=True, text=True, check=True
        ).stdout
        assert f") {major}." in version


def test_a_restore_that_fails_halfway_changes_nothing(tmp_path, staff, money):
    backup = tmp_path / "aid.dump"
    call_command("backup", "--to", str(backup))
    fund, worker = money
    Person.objects.filter(pk=worker.person_id).update(name="备份之后改的")
    # An object the backup does not know depends on one of its tables: dropping that table
    # fails in the middle of the restore, after many others were already dropped and loaded.
    with connection.cursor() as cursor:
        cursor.execute("CREATE VIEW restore_probe AS SELECT id FROM funds_ledgerentry")
    try:
        after_change = fingerprint()
        message = _refused(backup, "aid.dump")
        assert "restore_probe" in message  # pg_restore's own words tell what stood in the way
        assert fingerprint() == after_change
        assert Person.objects.get(pk=worker.person_id).name == "备份之后改的"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP VIEW IF EXISTS restore_probe")
