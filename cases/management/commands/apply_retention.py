"""`manage.py apply_retention [--dry-run]`: erase the people whose household files closed more
than RETENTION_CLOSED_FILES_YEARS ago and who have nothing open (cases/privacy.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from aidcenter.roles import Action, can
from cases import privacy


class Command(BaseCommand):
    help = "Erase people whose closed files are past the retention period (PIPL)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list them, change nothing")
        parser.add_argument(
            "--by", default="", help="the administrator the erasures are logged under"
        )

    def handle(self, *args, dry_run=False, by="", **options):
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=by).first() if by else None
        if user is None:  # the first administrator, as the access log needs a person
            user = next(
                (u for u in users.order_by("pk") if can(u, Action.ERASE_PERSONAL_DATA)), None
            )
        if user is None or not can(user, Action.ERASE_PERSONAL_DATA):
            raise CommandError("No active administrator to log the erasures under (--by).")
        cutoff = privacy.retention_cutoff()
        due = privacy.apply_retention(by=user, dry_run=dry_run)
        verb = "would erase" if dry_run else "erased"
        for person in due:
            self.stdout.write(f"{verb} {person.pk}")
        self.stdout.write(f"{len(due)} people {verb} (files closed before {cutoff:%Y-%m-%d}).")
