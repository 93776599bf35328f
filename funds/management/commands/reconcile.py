from django.core.management.base import BaseCommand, CommandError

from funds.services import reconcile


class Command(BaseCommand):
    help = (
        "Prove that every ledger balance equals the sum of its entries and every transaction "
        "sums to zero. Exits non-zero if not."
    )

    def handle(self, *args, **options):
        problems = reconcile()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the ledger")
        self.stdout.write("ledger reconciled: every balance equals the sum of its entries")
