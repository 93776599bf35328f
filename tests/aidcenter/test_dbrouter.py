"""Dashboards' reads go to the read replica when one is configured; everything else, and every
write, goes to the primary. PgBouncer's transaction mode switches off what it cannot carry."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from aidcenter.dbrouter import ReplicaRouter, reads_from_replica, replica_reads
from cases.models import Person
from tests.aidcenter.test_settings import run_django

REPLICA = {"ENGINE": "django.db.backends.postgresql", "NAME": "aidcenter_replica"}


def test_without_a_replica_everything_reads_the_primary(settings):
    assert "replica" not in settings.DATABASES
    with replica_reads():
        assert Person.objects.all().db == "default"
    assert ReplicaRouter().db_for_read(Person) is None


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_with_a_replica_only_marked_reads_go_there(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": REPLICA}
    assert Person.objects.all().db == "default"  # a clerk reads back what was just saved
    with replica_reads():
        assert Person.objects.all().db == "replica"
        assert ReplicaRouter().db_for_write(Person) == "default"
        assert Person.objects.none().db == "replica"
    assert Person.objects.all().db == "default"

    @reads_from_replica
    def dashboard(request):
        return Person.objects.all().db

    assert dashboard(None) == "replica"
    assert Person.objects.all().db == "default"


def test_migrations_run_on_the_primary_only():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "cases") is True
    assert router.allow_migrate("replica", "cases") is False


@pytest.mark.django_db
def test_settings_wire_the_replica_and_pgbouncer_end_to_end():
    from django.db import connection

    # The test database itself, as a URL (the one in DATABASE_URL may not even exist).
    conf = connection.settings_dict
    host = conf["HOST"] or ""
    netloc = f"{quote(conf['USER'] or '')}:{quote(conf['PASSWORD'] or '')}@{host}"
    if conf["PORT"]:
        netloc += f":{conf['PORT']}"
    url = f"postgresql://{netloc}/{conf['NAME']}"
    if (conf.get("OPTIONS") or {}).get("host"):
        url += f"?host={conf['OPTIONS']['host']}"
    script = (
        "from django.db import connections; from cases.models import Person; "
        "from aidcenter.dbrouter import replica_reads\n"
        "with replica_reads():\n"
        "    alias = Person.objects.all().db\n"
        "    c = connections[alias].cursor(); c.execute('SELECT 1'); one = c.fetchone()[0]\n"
        "d = connections['default'].settings_dict\n"
        "print(alias, one, Person.objects.all().db, d['DISABLE_SERVER_SIDE_CURSORS'], "
        "d['OPTIONS'].get('prepare_threshold', 'unset'))"
    )
    result = run_django(
        ["shell", "-c", script], DATABASE_URL=url, DATABASE_REPLICA_URL=url, PGBOUNCER="1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "replica",
        "1",
        "default",
        "True",
        "None",
    ]
    plain = run_django(["shell", "-c", script], DATABASE_URL=url)  # no replica, no PgBouncer
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip().splitlines()[-1].split() == [
        "default",
        "1",
        "default",
        "False",
        "unset",
    ]
