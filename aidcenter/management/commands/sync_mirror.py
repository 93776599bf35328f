from django.core.management.base import BaseCommand, CommandError

from aidcenter.mirror import Mirror, SyncError


class Command(BaseCommand):
    help = (
        "Keep a local SQLite mirror of one sub-center's records current (push queued edits, "
        "then pull the change feed)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", required=True, help="the center's address, e.g. https://aid.example"
        )
        parser.add_argument("--key", required=True, help="the sub-center's API key")
        parser.add_argument("--into", required=True, help="the SQLite file of the mirror")

    def handle(self, *args, url, key, into, **options):
        try:
            report = Mirror(url=url, key=key, path=into).sync()
        except SyncError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"pushed {report.pushed}, pulled {report.pulled} changes")
        for conflict in report.conflicts:
            self.stdout.write(f"conflict (the server's version kept): {conflict}")
