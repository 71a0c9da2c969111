"""`manage.py import_sales FILE --user USERNAME [--dry-run]`: monthly sales from a CSV file.

The same checks and the same write as the import page (`scoring.sales`), as the user
named: only accounts they can see are imported. Every row with an error is printed with
its row number (the header is row 1); the valid rows are written in one transaction.
The exit status is 1 when any row had an error, so a script notices.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from scoring.sales import SalesFileError, read_sales_file, sales_import


class Command(BaseCommand):
    help = (
        "Import monthly sales and receivables from a CSV file (columns: account, month, "
        "sales, receivables), as the given user."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8 or GB18030).")
        parser.add_argument(
            "--user",
            required=True,
            metavar="USERNAME",
            help="Import as this user: only the accounts they can see are imported.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and report, but save nothing.",
        )

    def handle(self, *args, file: Path, user: str, dry_run: bool, **options):
        by = get_user_model().objects.filter(username=user, is_active=True).first()
        if by is None:
            raise CommandError(f"No active user named {user!r}.")
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from None
        try:
            rows = read_sales_file(content)
        except SalesFileError as exc:
            raise CommandError(f"{file}: {exc.message}") from None
        result = sales_import(rows=rows, by=by, dry_run=dry_run)
        for row in result.error_rows:
            for column, message in row.errors:
                self.stdout.write(f"row {row.row}: {column}: {message}")
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{len(result.rows)} rows: {result.created} {verb} added, {result.updated} {verb} "
            f"replaced, {result.unchanged} unchanged, {result.errors} with errors {verb} left out"
            + (" (dry run: nothing saved)" if dry_run else "")
        )
        if result.errors:
            rows = "1 row" if result.errors == 1 else f"{result.errors} rows"
            raise CommandError(f"{rows} had errors (listed above).")
