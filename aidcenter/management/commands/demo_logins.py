from django.core.management.base import BaseCommand

from aidcenter.demo.orgs import DEMO_PASSWORD, STAFF


class Command(BaseCommand):
    help = "Print the demo logins that seed_demo creates."

    def handle(self, *args, **options):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, name, role, unit in STAFF:
            self.stdout.write(f"  {username:<10} {role:<17} {unit:<6} {name}")
