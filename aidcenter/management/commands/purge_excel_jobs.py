"""`manage.py purge_excel_jobs [--days N] [--dry-run]`: delete the Excel jobs finished more than
EXCEL_JOB_DAYS ago with their files (aidcenter/exports.py `purge_jobs`); run it daily."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from aidcenter import exports


class Command(BaseCommand):
    help = "Delete finished Excel jobs and their files after EXCEL_JOB_DAYS (personal data)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="instead of EXCEL_JOB_DAYS")
        parser.add_argument("--dry-run", action="store_true", help="list them, change nothing")

    def handle(self, *args, days=None, dry_run=False, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        due = exports.purge_jobs(days=days, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for job in due:
            self.stdout.write(f"{verb} {job.pk} {job.kind} {job.finished_at:%Y-%m-%d} {job.title}")
        self.stdout.write(f"{len(due)} Excel jobs {'would be deleted' if dry_run else 'deleted'}.")
