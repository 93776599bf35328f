"""Background tasks of funds (django-tasks, database backend: `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def pay_batch(run_id: int) -> str:
    """Pay a queued campaign batch, all or nothing; returns the run's final status."""
    from funds.batches import batch_run

    return batch_run(run_id=run_id)
