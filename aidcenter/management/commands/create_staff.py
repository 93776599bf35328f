from django.core.management.base import BaseCommand, CommandError

from aidcenter import services
from aidcenter.errors import Invalid
from aidcenter.roles import Role


class Command(BaseCommand):
    help = "Create or update a staff user with one role at one unit."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--unit", required=True, help="unit code, e.g. PT-CS")
        parser.add_argument("--password")
        parser.add_argument("--name", default="", help="display name")

    def handle(self, *args, username, role, unit, password, name, **options):
        try:
            services.staff_create_or_update(
                username=username, role=role, unit_code=unit, password=password, name=name
            )
        except Invalid as exc:
            raise CommandError("; ".join(m for ms in exc.errors.values() for m in ms)) from None
        self.stdout.write(f"{username}: {role} @ {unit}")
