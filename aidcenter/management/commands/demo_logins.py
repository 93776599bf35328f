from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from aidcenter.demo.orgs import DEMO_PASSWORD, STAFF
from aidcenter.security import base32_secret, confirmed_device, current_code, needs_otp


class Command(BaseCommand):
    help = "Print the demo logins that seed_demo creates, with the second-factor codes."

    def handle(self, *args, **options):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        users = {
            u.username: u
            for u in get_user_model()
            .objects.filter(username__in=[s[0] for s in STAFF])
            .select_related("staff")
        }
        second_factor = []
        for username, name, role, unit in STAFF:
            self.stdout.write(f"  {username:<10} {role:<17} {unit:<6} {name}")
            user = users.get(username)
            device = confirmed_device(user) if user is not None and needs_otp(user) else None
            if device is not None:
                second_factor.append((username, device))
        if second_factor:
            self.stdout.write(
                "These also ask for a code after the password (TOTP). The code now, valid about "
                "30 s and once each; run this command again for a fresh one, or add the key to "
                "an authenticator app:"
            )
            for username, device in second_factor:
                self.stdout.write(
                    f"  {username:<10} code {current_code(device)}   key {base32_secret(device)}"
                )
