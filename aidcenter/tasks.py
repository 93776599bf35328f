"""Background tasks shared by every app (django-tasks, database backend: the worker is
`manage.py db_worker`, started beside the server by `python3 dev.py run`)."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import task


@task()
def clear_expired_sessions() -> int:
    """Delete expired staff sessions; returns how many were removed."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
