from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand

from aidcenter.demo.orgs import seed_orgs_and_staff

# The apps whose `demo.seed()` adds their records, in dependency order (people first, money
# before the services that pay subsidies from it).
DEMO_APPS = ["cases", "funds", "jobs", "training", "legal"]
# --small: a few records per app, for tests and quick looks.
SMALL = {
    "cases": {"files": 80, "cases": 20},
    "funds": {"applications": 20},
    "jobs": {"scale": 100},
    "training": {"scale": 100},
    "legal": {"cases": 12},
}


class Command(BaseCommand):
    help = "Load the demo district (Putuo's 20 sub-centers), its staff and records. Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true", help="a few records per app")

    def handle(self, *args, small: bool = False, **options):
        seed_orgs_and_staff()
        for app in DEMO_APPS:
            if find_spec(f"{app}.demo") is None:
                continue
            added = import_module(f"{app}.demo").seed(**(SMALL.get(app, {}) if small else {}))
            self.stdout.write(f"{app}: {added} demo records added")
        self.stdout.write("demo data loaded")
