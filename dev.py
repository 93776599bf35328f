#!/usr/bin/env python3
"""Set up and run the Aid Center on a machine that has only Python >= 3.11.

    python3 dev.py run      # venv, install, migrate, demo data; serve :8000 with the task worker
    python3 dev.py test     # venv, install, then every test (pytest arguments may follow)
    python3 dev.py stopdb   # stop the embedded PostgreSQL this checkout started

Without DATABASE_URL both use the embedded PostgreSQL kept in .pgdata/ (see aidcenter/devdb.py).
Every step is idempotent: a second run reuses the venv and skips installs when pyproject.toml
has not changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"


def ensure_venv(extras: bool) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs under any python3 before the venv
        sys.exit("Python 3.11 or newer is needed.")
    if not PY.exists():
        print("== creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    if extras:
        wanted += project["optional-dependencies"]["dev"]
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()
    stamp = VENV / ".installed"
    if stamp.exists() and digest in stamp.read_text().split():
        return
    print("== installing dependencies")
    subprocess.run([PY, "-m", "pip", "install", "--quiet", *wanted], check=True)
    with stamp.open("a") as f:
        f.write(digest + "\n")


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def run() -> None:
    ensure_venv(extras=False)
    manage("migrate", "--no-input")
    manage("seed_demo")
    worker = subprocess.Popen(
        [PY, "manage.py", "db_worker", "--no-reload"], cwd=ROOT, start_new_session=True
    )
    print("\n== Aid Center: http://127.0.0.1:8000/  (API docs: http://127.0.0.1:8000/api/docs/)")
    manage("demo_logins")
    try:
        manage("runserver", "127.0.0.1:8000", "--noreload")
    except (KeyboardInterrupt, subprocess.CalledProcessError):
        pass
    finally:
        os.killpg(worker.pid, signal.SIGTERM)


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium; install it when missing and we may."""
    if shutil.which("chromium"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("== installing Debian's chromium and a Chinese font for the browser tests")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    else:
        sys.exit("The browser tests need Debian's chromium: sudo apt-get install chromium")


def test(args: list[str]) -> int:
    ensure_venv(extras=True)
    ensure_chromium()
    started_here = "DATABASE_URL" not in os.environ and not _embedded_running()
    try:
        if not args:  # the whole suite: static checks first, then every test
            checks = [
                [PY, "-m", "ruff", "check", "."],
                [PY, "manage.py", "makemigrations", "--check", "--dry-run"],
                [PY, "manage.py", "translations", "--check"],
            ]
            for check in checks:
                print("==", " ".join(str(c) for c in check[1:]))
                if subprocess.run(check, cwd=ROOT).returncode != 0:
                    return 1
        return subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT).returncode
    finally:
        if started_here:
            stopdb()


def _embedded_running() -> bool:
    pid = ROOT / ".pgdata" / "postmaster.pid"
    if not pid.exists():
        return False
    try:
        os.kill(int(pid.read_text().split()[0]), 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return True


def stopdb() -> None:
    if PY.exists() and _embedded_running():
        subprocess.run([PY, "-c", "from aidcenter import devdb; devdb.stop()"], cwd=ROOT)


def main() -> int:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "run":
        run()
    elif command == "test":
        return test(rest)
    elif command == "stopdb":
        stopdb()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
