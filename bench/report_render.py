"""The annual report as a district officer opens it: built from the demo data, converted by
LibreOffice to PDF and to PNG pages, so that its layout can be looked at (issue 9: "a
LibreOffice conversion check may live in bench/").

    .venv/bin/python bench/report_render.py                # officer's district, this year
    .venv/bin/python bench/report_render.py --user admin --year 2025 --out /tmp/report

Needs the demo database (`dev.py run` or `manage.py seed_demo`) and Debian's
libreoffice-calc and poppler-utils (`apt-get install libreoffice-calc poppler-utils`).
Prints the files written, the PDF's page count and each sheet's rows as LibreOffice read
them back (its own .xlsx → .csv conversion), and fails if LibreOffice cannot open the file.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


# LibreOffice's CSV filter: comma, quote, UTF-8, …, the last option -1: every sheet to its own file.
CSV_EVERY_SHEET = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def _convert(source: Path, target: str, out: Path) -> None:
    done = subprocess.run(
        ["libreoffice", "--headless", "--convert-to", target, "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise SystemExit(f"LibreOffice failed ({target}):\n{done.stdout}{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--user", default="officer")
    parser.add_argument("--year", type=int, default=None, help="default: this year")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "aidcenter-report"))
    args = parser.parse_args()
    for tool in ("libreoffice", "pdftoppm", "pdfinfo"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install libreoffice-calc poppler-utils")

    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidcenter.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone, translation

    from stats import annual_report, figures

    user = get_user_model().objects.get(username=args.user)
    unit = user.staff.org_unit
    period = figures.year_period(args.year or timezone.localdate().year)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with translation.override("zh-hans"):
        content = annual_report.build(user=user, org_unit=unit, period=period)
    xlsx = out / f"annual-{unit.code}-{period.date_from.year}.xlsx"
    xlsx.write_bytes(content)
    _convert(xlsx, "pdf", out)
    pdf = xlsx.with_suffix(".pdf")
    pages = next(
        line.split()[-1]
        for line in subprocess.run(
            ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        if line.startswith("Pages:")
    )
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(out / "page")], check=True)
    _convert(xlsx, CSV_EVERY_SHEET, out)
    print(f"{xlsx} ({len(content):,} bytes) → {pdf}: {pages} pages; PNG pages in {out}")
    for sheet in sorted(out.glob(f"{xlsx.stem}-*.csv")):
        with sheet.open(encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if any(row)]
        print(f"  {sheet.name}: {len(rows)} rows as LibreOffice read them; first: {rows[:2]}")


if __name__ == "__main__":
    main()
