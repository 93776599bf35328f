"""Background tasks run through the database-backed worker, no extra server."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from aidcenter.tasks import clear_expired_sessions


def test_enqueued_task_is_run_by_the_db_worker(transactional_db):
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="x", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="new", session_data="x", expire_date=now + timedelta(days=1))
    result = clear_expired_sessions.enqueue()
    assert DBTaskResult.objects.get(id=result.id).status == "READY"

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    stored = DBTaskResult.objects.get(id=result.id)
    assert stored.status == "SUCCESSFUL"
    assert stored.return_value == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
