"""Compile every keyaccounts/locale/*/LC_MESSAGES/django.po to its .mo, with polib.

Django's `compilemessages` needs GNU gettext's msgfmt, which a fresh machine lacks;
polib (in requirements-dev.txt) is pure Python. Fuzzy and untranslated entries are left
out, as msgfmt does. Run: `python -m keyaccounts.i18n_compile` (or `make messages`).
"""

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/django.po")):
        po = polib.pofile(str(po_path))
        mo_path = po_path.with_suffix(".mo")
        po.save_as_mofile(str(mo_path))
        shown = mo_path.relative_to(locale_dir.parent.parent)
        print(f"{shown}: {po.percent_translated()}% translated")
        written.append(mo_path)
    return written


def main() -> int:
    if not compile_all():
        print(f"no django.po under {LOCALE_DIR}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
