from django.core.management.base import BaseCommand

from aidcenter.demo.orgs import seed_orgs_and_staff


class Command(BaseCommand):
    help = "Load the demo district (Putuo's 20 sub-centers), its staff and records. Safe to re-run."

    def handle(self, *args, **options):
        seed_orgs_and_staff()
        from cases.demo import seed as seed_registry

        files = seed_registry()
        self.stdout.write(f"registry: {files} household files added")
        self.stdout.write(f"funds: {__import__('funds.demo').demo.seed()} payments made")
        # Each app adds its demo records here as it lands, deterministically.
        self.stdout.write("demo data loaded")
