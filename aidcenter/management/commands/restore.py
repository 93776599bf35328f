"""`manage.py restore --from FILE`: put the database back as a `backup` left it.

Before anything is touched the file is read through completely (a truncated or damaged file is
refused) and must hold the Aid Center's tables. The restore itself runs in one transaction
(`pg_restore --single-transaction --exit-on-error`): it replaces everything or nothing.
Triggers are created after the data is loaded, so the ledger, the change capture and the
history come back exactly as they were, not as new changes. Stop the app and the task worker
first: the restore waits for their locks.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.utils import translation
from django.utils.translation import gettext as _

from aidcenter.management.commands.backup import libpq_env, server_major, tail, tool

# A table every Aid Center database has: a dump without it is someone else's.
MARKER = re.compile(r"\bTABLE DATA public aidcenter_orgunit\b")


class Command(BaseCommand):
    help = "Replace the whole database with a backup made by `backup` (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", required=True, metavar="FILE")
        parser.add_argument("--no-input", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, source: str, no_input: bool, **options):
        translation.activate(settings.LANGUAGE_CODE)
        path = Path(source)
        if not path.is_file():
            raise CommandError(_("There is no file %(file)s.") % {"file": path})
        pg_restore = tool("pg_restore", server_major())
        self._check(pg_restore, path)
        database = connection.settings_dict["NAME"]
        if not no_input:
            answer = input(
                _(
                    "This replaces ALL data of database %(db)s with %(file)s. "
                    "Type the database name to go on: "
                )
                % {"db": database, "file": path}
            )
            if answer.strip() != database:
                raise CommandError(_("Not confirmed; nothing was changed."))
        # Our own idle connections hold no locks, but close them: the tables they knew go away.
        connections.close_all()
        result = subprocess.run(
            [
                str(pg_restore),
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                "--no-password",
                f"--dbname={database}",
                str(path),
            ],
            env=libpq_env(),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise CommandError(
                _("Restoring %(file)s failed and was rolled back; nothing was changed. %(error)s")
                % {"file": path, "error": tail(result.stderr)}
            )
        self.stdout.write(
            _("Database %(db)s restored from %(file)s.") % {"db": database, "file": path}
        )
        self.stdout.write(_("Run `manage.py migrate` if this code is newer than the backup."))

    def _check(self, pg_restore: Path, path: Path) -> None:
        listing = subprocess.run(
            [str(pg_restore), "--list", str(path)], capture_output=True, text=True
        )
        if listing.returncode != 0:
            raise CommandError(
                _(
                    "%(file)s is not a backup made by `manage.py backup`, or it is damaged; "
                    "nothing was changed. (%(error)s)"
                )
                % {"file": path, "error": tail(listing.stderr, 2)}
            )
        if not MARKER.search(listing.stdout):
            raise CommandError(
                _(
                    "%(file)s is a PostgreSQL backup, but not of the Aid Center's database; "
                    "nothing was changed."
                )
                % {"file": path}
            )
        # Read every block of data (to nowhere): a file cut short fails here, not halfway in.
        full = subprocess.run(
            [str(pg_restore), "--file=/dev/null", str(path)], capture_output=True, text=True
        )
        if full.returncode != 0:
            raise CommandError(
                _(
                    "%(file)s is damaged or incomplete (it cannot be read to its end); "
                    "nothing was changed. (%(error)s)"
                )
                % {"file": path, "error": tail(full.stderr, 2)}
            )
