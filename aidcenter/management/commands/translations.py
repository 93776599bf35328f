"""Keep the Chinese catalogue in step with the code, without GNU gettext.

    manage.py translations           extract new strings into locale/zh_Hans/.../django.po,
                                     then compile django.mo (Babel, pure Python)
    manage.py translations --check   exit 1 if a string lacks a translation or the committed
                                     .mo differs from what the .po compiles to (CI runs this)

Python strings are found by Babel's extractor (gettext, gettext_lazy, ngettext, pgettext as
`_` and by name); template strings by `{% translate "…" %}` and by `_("…")` in filter and
include arguments. Django's own strings (admin, auth) come from Django's catalogue.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from babel.messages import pofile
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

LOCALE = "zh_Hans"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
}
TEMPLATE_RE = re.compile(r"""(?:{%\s*(?:translate|trans)\s+|\b_\()(["'])(.+?)\1""")
BLOCK_RE = re.compile(
    r"{%\s*blocktrans(?:late)?(?P<args>[^%]*)%}(?P<body>.*?){%\s*endblocktrans(?:late)?\s*%}",
    re.S,
)
PLURAL_RE = re.compile(r"{%\s*plural\s*%}")


def block_msgid(body: str, *, trimmed: bool) -> str:
    """The msgid Django looks up for a {% blocktranslate %} body: `{{ name }}` becomes
    `%(name)s`, a literal % is doubled, and `trimmed` joins the stripped lines with spaces."""
    if trimmed:
        body = " ".join(line.strip() for line in body.strip().splitlines() if line.strip())
    body = body.replace("%", "%%")
    return re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body)


def template_messages(text: str):
    """(msgid, offset) of every message in a template; a plural one as (singular, plural)."""
    for match in TEMPLATE_RE.finditer(text):
        yield match.group(2), match.start()
    for match in BLOCK_RE.finditer(text):
        trimmed = "trimmed" in match.group("args").split()
        parts = [block_msgid(part, trimmed=trimmed) for part in PLURAL_RE.split(match["body"])]
        yield (parts[0], parts[1]) if len(parts) == 2 else parts[0], match.start()


def translated(message) -> bool:
    if message is None:
        return False
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def source_dirs() -> list[str]:
    """The project's own apps (folders at the top of BASE_DIR), so a new app is never missed."""
    base = Path(settings.BASE_DIR).resolve()
    return sorted(
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == base
    )


def catalogue_paths() -> tuple[Path, Path]:
    folder = Path(settings.BASE_DIR) / "locale" / LOCALE / "LC_MESSAGES"
    return folder / "django.po", folder / "django.mo"


def extract() -> dict[str, str]:
    """msgid -> first place it is used."""
    base = Path(settings.BASE_DIR)
    found: dict[str, str] = {}
    tracked = subprocess.run(
        [
            "git",
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            *source_dirs(),
            "templates",
        ],
        cwd=base,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    for rel in sorted(tracked):
        path = base / rel
        if not path.exists() or "/migrations/" in rel:
            continue
        if rel.endswith(".py"):
            for lineno, message, _comments, _ctx in extract_from_file(
                "python", str(path), keywords=KEYWORDS
            ):
                msgid = message[0] if isinstance(message, tuple | list) else message
                if msgid:
                    found.setdefault(msgid, f"{rel}:{lineno}")
        elif rel.endswith(".html") or rel.endswith(".txt"):
            text = path.read_text(encoding="utf-8")
            for msgid, offset in template_messages(text):
                lineno = text.count("\n", 0, offset) + 1
                found.setdefault(msgid, f"{rel}:{lineno}")
    return found


def load() -> Catalog:
    po_path, _ = catalogue_paths()
    if po_path.exists():
        with po_path.open("rb") as f:
            return pofile.read_po(f, locale=LOCALE)
    return Catalog(locale=LOCALE, project="aidcenter")


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Extract, check and compile the Chinese translations (no gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, check: bool, **options):
        po_path, mo_path = catalogue_paths()
        catalog = load()
        used = extract()
        missing = [m for m in used if not translated(catalog.get(m))]
        if check:
            problems = [f"untranslated: {m!r} ({used[m]})" for m in missing]
            if not mo_path.exists() or mo_path.read_bytes() != compiled(catalog):
                problems.append(f"{mo_path.name} is stale: run `manage.py translations`")
            if problems:
                raise CommandError("\n".join(problems))
            self.stdout.write(f"{len(used)} strings, all translated; .mo up to date")
            return
        for msgid in missing:
            if catalog.get(msgid) is None:
                catalog.add(msgid, "", locations=[(used[msgid].rsplit(":", 1)[0], 0)])
        for message in list(catalog):
            if message.id and message.id not in used:
                catalog.obsolete[message.id] = message
                del catalog[message.id]
        catalog.obsolete.clear()
        po_path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        pofile.write_po(
            buffer, catalog, omit_header=False, sort_output=True, width=0, include_lineno=False
        )
        po_path.write_bytes(buffer.getvalue())
        mo_path.write_bytes(compiled(catalog))
        todo = [m for m in used if not translated(catalog.get(m))]
        self.stdout.write(f"{len(used)} strings; {len(todo)} still need a translation")
        for m in todo:
            self.stdout.write(f"  {m}")
