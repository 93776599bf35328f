from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from aidcenter.models import ApiKey


class Command(BaseCommand):
    help = "List API keys (with when each was last used) or revoke one: api_keys [--revoke HINT]."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this user's keys")
        parser.add_argument("--revoke", metavar="HINT", help="revoke the key starting with HINT")

    def handle(self, *args, user=None, revoke=None, **options):
        keys = ApiKey.objects.select_related("user").order_by("user__username", "-created_at")
        if user:
            keys = keys.filter(user__username=user)
        if revoke:
            matches = list(keys.filter(hint=revoke, revoked_at__isnull=True))
            if len(matches) != 1:
                raise CommandError(f"{len(matches)} active keys start with {revoke!r}; name one.")
            matches[0].revoke()
            self.stdout.write(f"revoked {revoke}… of {matches[0].user.username}")
            return
        for key in keys:
            used = (
                timezone.localtime(key.last_used_at).strftime("%Y-%m-%d %H:%M")
                if key.last_used_at
                else "never"
            )
            state = "revoked" if key.revoked_at else "active"
            self.stdout.write(
                f"{key.hint}…  {key.user.username:<16} {state:<8} last used {used}  {key.name}"
            )
