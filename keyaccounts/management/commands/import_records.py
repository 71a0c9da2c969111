"""`manage.py import_records TYPE FILE [--as USERNAME] [--dry-run]`: a spreadsheet in.

The same engine, checks and rules as the import pages (keyaccounts.imports), as the
user named: only what that user could create or change in the forms goes in. Columns
are mapped from the headers (English or Chinese names); `--map "Header=field"` maps
one by hand, and the columns nobody claims are listed and left out. Every row is
printed with what it does (create, update, unchanged) or what is wrong with it. The
whole file goes in or none of it: the exit status is 1 when any row was rejected (and
so nothing was saved), 2 when the file or the mapping cannot be used at all.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from keyaccounts.exceptions import ApplicationError
from keyaccounts.imports.engine import ImportResult
from keyaccounts.imports.kinds import KIND_ALIASES, KINDS
from keyaccounts.imports.services import (
    import_job_map,
    import_job_run,
    import_job_upload,
)
from keyaccounts.imports.values import normalize


class Command(BaseCommand):
    help = (
        "Import accounts, contacts, account team members, opportunities, visits or monthly "
        "sales from an XLSX or CSV file, all rows or none, as the given user."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "type", choices=sorted([*KINDS, *KIND_ALIASES]), help="What the file holds."
        )
        parser.add_argument("file", type=Path, help="The XLSX or CSV file.")
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="Import as this user (default: the first superuser); only what they "
            "may see and change is imported.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and report; save nothing."
        )
        parser.add_argument(
            "--confirm-duplicates",
            action="store_true",
            help="Import rows that look like existing records as new records anyway.",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help="Map the file's column HEADER to FIELD (a field name such as credit_code); "
            "FIELD empty leaves the column out. Repeat for more columns.",
        )
        parser.add_argument(
            "--language",
            default="en",
            choices=["en", "zh-hans"],
            help="The language of the report (default: en).",
        )

    def handle(self, *args, **options):
        with translation.override(options["language"]):
            self._import(**options)

    def _import(self, *, type, file, username, dry_run, confirm_duplicates, map, **options):
        by = self._user(username)
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}", returncode=2) from None
        try:
            job = import_job_upload(
                by=by, kind=type, filename=file.name, content=content,
                language=options["language"],
            )  # fmt: skip
        except ApplicationError as exc:
            raise CommandError(f"{file}: {exc.message}", returncode=2) from None
        table = job.table  # as read: the run reads no second time
        mapping = self._mapping(job, map)
        kind = KINDS[job.kind]
        columns = {column.key: column for column in kind.columns()}
        for header, key in zip(job.headers, mapping, strict=True):
            target = columns[key].title if key else "(left out)"
            self.stdout.write(f"column {header or '(no header)'!r}: {target}")
        try:
            job = import_job_map(
                job=job, by=by, mapping=mapping, confirm_duplicates=confirm_duplicates,
                dry_run=dry_run, enqueue=False,
            )  # fmt: skip
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from None
        job = import_job_run(job_id=job.pk, table=table)
        if job.result.get("error"):
            raise CommandError(job.result["error"], returncode=2)
        result = ImportResult.from_json(job.result)
        self._report(result, dry_run=dry_run)
        rejected = len(result.rejected)
        if rejected:
            raise CommandError(
                f"{rejected} of {len(result.rows)} rows rejected (listed above): nothing "
                "was imported. Correct them and run again.",
                returncode=1,
            )

    def _user(self, username):
        users = get_user_model().objects.filter(is_active=True)
        if username:
            by = users.filter(username=username).first()
            if by is None:
                raise CommandError(f"No active user named {username!r}.", returncode=2)
            return by
        by = users.filter(is_superuser=True).order_by("pk").first()
        if by is None:
            raise CommandError("Name the importing user with --as USERNAME.", returncode=2)
        self.stdout.write(f"importing as {by.username} (superuser); --as names another user")
        return by

    def _mapping(self, job, pairs: list[str]) -> list:
        mapping = list(job.mapping)
        headers = [normalize(header) for header in job.headers]
        fields = {column.key for column in KINDS[job.kind].columns()}
        for pair in pairs:
            header, sep, key = pair.partition("=")
            if not sep:
                raise CommandError(f"--map {pair!r}: expected HEADER=FIELD", returncode=2)
            key = key.strip()
            if key and key not in fields:
                raise CommandError(
                    f"--map {pair!r}: {key!r} is not a field of {job.kind}; expected one of "
                    + ", ".join(sorted(fields)),
                    returncode=2,
                )
            if normalize(header) not in headers:
                raise CommandError(
                    f"--map {pair!r}: the file has no column {header!r}", returncode=2
                )
            index = headers.index(normalize(header))
            mapping = [None if existing == key else existing for existing in mapping]
            mapping[index] = key or None
        return mapping

    def _report(self, result: ImportResult, *, dry_run: bool) -> None:
        for notice in result.notices:
            self.stdout.write(f"note: {notice}")
        for row in result.rows:
            line = f"row {row.row}: {row.status}"
            if row.record:
                line += f"  {row.record}"
            self.stdout.write(line)
            for problem in row.problems:
                where = problem.column or "row"
                shown = problem.value and problem.value not in problem.message
                value = f" {problem.value!r}" if shown else ""
                text = f"    {where}{value}: {problem.message}"
                if problem.expected:
                    text += f" Expected: {problem.expected}."
                self.stdout.write(text)
        counts = result.counts
        summary = ", ".join(f"{counts[status]} {status}" for status in counts if counts[status])
        if dry_run:
            outcome = "dry run: nothing saved"
        elif result.rejected:
            outcome = "nothing imported"
        else:
            outcome = "imported"
        rows = "1 row" if len(result.rows) == 1 else f"{len(result.rows)} rows"
        self.stdout.write(f"{rows}: {summary or 'none'} ({outcome})")
