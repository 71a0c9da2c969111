"""`manage.py export_records <type> --as USERNAME --format xlsx|csv [--filter key=value …]
[--output FILE] [--language en|zh-hans]`: a list, as the user sees it, to a file.

The rows are those of the type's list page (`keyaccounts.exports.registry`) for that
user, narrowed by the same filters the page's query string carries (`--filter
grade=A --filter grade=B` for several values). The file goes to standard output when
no `--output` is named. An unknown type, user or filter, or a value a filter cannot
read, stops the command with a message before anything is written.
"""

import os
import tempfile

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import HttpRequest, QueryDict
from django.utils import translation

from keyaccounts.exports.files import CSV, FORMATS, XLSX, csv_file, xlsx_file
from keyaccounts.exports.registry import TYPES


def _filters(pairs: list[str]) -> QueryDict:
    data = QueryDict(mutable=True)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--filter takes key=value; got {pair!r}.")
        data.appendlist(name.strip(), value)
    return data


class Command(BaseCommand):
    help = "Export a list (accounts, contacts, visits, deals, …) as a user sees it, to CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("type", help=f"What to export: {', '.join(TYPES)}.")
        parser.add_argument(
            "--as", dest="username", required=True, help="Export what this user sees."
        )
        parser.add_argument("--format", choices=FORMATS, default=XLSX, help="Default: xlsx.")
        parser.add_argument(
            "--filter",
            dest="filters",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="A filter of the list page, as in its URL; repeat for more.",
        )
        parser.add_argument(
            "--output", help="The file to write (default: standard output).", default=None
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="The language of the headers and the choices (default: %(default)s).",
        )

    def handle(self, *args, **options):
        export = TYPES.get(options["type"])
        if export is None:
            raise CommandError(f"Unknown type {options['type']!r}. Types: {', '.join(TYPES)}.")
        user = self._user(options["username"])
        data = _filters(options["filters"])
        request = HttpRequest()
        request.user = user
        with translation.override(options["language"]):
            listing = export.listing(request, data)
            problems = listing.problems(data)
            if problems:
                raise CommandError(
                    f"Cannot export {export.name}:\n" + "\n".join(f"  {p}" for p in problems)
                )
            if options["format"] == CSV:
                self._write_chunks(csv_file(export, listing), options["output"])
            else:
                with xlsx_file(export, listing) as file:
                    self._write_chunks(iter(lambda: file.read(1 << 16), b""), options["output"])
        if options["output"]:
            self.stderr.write(f"Wrote {options['output']}.")

    def _user(self, username: str):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        if not user.is_active:
            raise CommandError(f"The user {username!r} is inactive and sees nothing.")
        return user

    def _write_chunks(self, chunks, output: str | None) -> None:
        if output:
            # Into a file beside the target, renamed when complete: a failed export
            # leaves no half-written file under the name asked for.
            folder = os.path.dirname(os.path.abspath(output))
            with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as part:
                try:
                    for chunk in chunks:
                        part.write(chunk)
                except BaseException:
                    part.close()
                    os.unlink(part.name)
                    raise
            os.replace(part.name, output)
            return
        # Bytes, straight to the binary stream under standard output: a BOM and an XLSX
        # file must not pass through a text encoder.
        target = getattr(self.stdout, "buffer", None)
        if target is None:
            raise CommandError("Standard output takes no bytes here: name a file with --output.")
        self.stdout.flush()
        for chunk in chunks:
            target.write(chunk)
        target.flush()
