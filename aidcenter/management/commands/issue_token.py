from django.core.management.base import BaseCommand, CommandError

from aidcenter import services
from aidcenter.errors import Invalid


class Command(BaseCommand):
    help = "Print a new API key for the user, and nothing else, on standard output."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="a label for the key")

    def handle(self, *args, username, name, **options):
        try:
            key = services.api_key_issue(username=username, name=name)
        except Invalid as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(key)
