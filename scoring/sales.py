"""Monthly sales and receivables, imported from a file (the import pages' monthly sales,
keyaccounts.imports, and `import_sales` for CSV).

`read_sales_file` decodes and parses a CSV file (UTF-8 with or without a BOM, else
GB18030, as Excel's Chinese CSV exports are); `sales_import` checks every row and, unless
it is a dry run, writes the valid ones in one transaction, one upsert on (account,
month), so a row is either written whole or not at all and importing a month again
replaces it — unless it holds what is stored already: that row is `unchanged` and not
written. Rows are numbered as a spreadsheet shows them: the header is row 1.

Columns: account (its external ID, or else its exact name), month (YYYY-MM), sales,
receivables (optional, 0 when empty). Other columns are ignored. Amounts are yuan with
at most two decimals, "1,234.50" thousands separators allowed, never negative.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.selectors import accounts_visible_to
from keyaccounts.exceptions import ApplicationError
from keyaccounts.imports.values import parse_month

from .models import MonthlySales

MAX_FILE_BYTES = 5 * 1024 * 1024
COLUMNS = ("account", "month", "sales", "receivables")
REQUIRED = ("account", "month", "sales")
# Headers of Chinese spreadsheets mean the same columns.
ALIASES = {
    "客户": "account",
    "客户名称": "account",
    "月份": "month",
    "销售额": "sales",
    "应收账款": "receivables",
}
CHUNK = 500  # identifiers per IN (…) list: well under every database's limit

_places = MonthlySales._meta.get_field("sales").decimal_places
_digits = MonthlySales._meta.get_field("sales").max_digits
AMOUNT_LIMIT = Decimal(10) ** (_digits - _places)
CENT = Decimal(1).scaleb(-_places)

CREATED, UPDATED, UNCHANGED, ERROR = "created", "updated", "unchanged", "error"


class SalesFileError(ApplicationError):
    """The file as a whole cannot be read (encoding, header); no row was looked at."""


# --- reading the file --------------------------------------------------------------------


def decode_sales_file(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise SalesFileError(
            _("The file is %(size)s; at most %(limit)s can be imported at once.")
            % {"size": filesizeformat(len(content)), "limit": filesizeformat(MAX_FILE_BYTES)}
        )
    if content.startswith(b"PK\x03\x04") or b"\x00" in content[:4096]:
        raise SalesFileError(
            _(
                "This is not a CSV file (an Excel workbook?). In Excel, choose Save As → "
                "“CSV UTF-8 (comma delimited)” and import that file."
            )
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SalesFileError(
        _("The file's text encoding cannot be read. Save it as CSV UTF-8 and import it again.")
    )


def parse_sales_csv(text: str) -> list[dict]:
    """The data rows as {"row": n, "account": …, "month": …, "sales": …, "receivables": …}
    (text as typed, stripped); blank rows are left out but keep their numbers."""
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        raise SalesFileError(
            _("The file is empty. Expected a header row: %(columns)s.")
            % {"columns": ",".join(COLUMNS)}
        )
    # Excel writes ";" or tabs in some regions; a header without commas tells.
    delimiter = ","
    if "," not in header_line:
        delimiter = ";" if ";" in header_line else ("\t" if "\t" in header_line else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = iter(enumerate(reader, start=1))
    header: list[str] = []
    for _number, header in rows:
        if any(cell.strip() for cell in header):
            break
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        name = name.strip().lstrip("\ufeff").lower()
        column = ALIASES.get(name, name)
        if column in COLUMNS:
            if column in positions:
                raise SalesFileError(
                    _("Two columns of the header mean “%(column)s”. Keep one of them.")
                    % {"column": column}
                )
            positions[column] = index
    missing = [column for column in REQUIRED if column not in positions]
    if missing:
        raise SalesFileError(
            _(
                "The header has no %(missing)s column. Expected the columns %(columns)s "
                "(receivables may be left out); the header found was “%(header)s”."
            )
            % {
                "missing": ", ".join(f"“{column}”" for column in missing),
                "columns": ", ".join(COLUMNS),
                "header": delimiter.join(header)[:200],
            }
        )
    parsed = []
    for number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        row = {"row": number}
        for column in COLUMNS:
            index = positions.get(column)
            row[column] = cells[index].strip() if index is not None and index < len(cells) else ""
        parsed.append(row)
    return parsed


def read_sales_file(content: bytes) -> list[dict]:
    """Decode and parse an uploaded file; SalesFileError when it cannot be read at all."""
    return parse_sales_csv(decode_sales_file(content))


# --- checking and importing the rows --------------------------------------------------


@dataclass
class RowResult:
    row: int
    values: dict  # the text of each column, as in the file
    # created / updated / unchanged (what happened, or would in a dry run) / error
    status: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    account_id: int | None = None
    account_name: str = ""
    month: datetime.date | None = None
    sales: Decimal | None = None
    receivables: Decimal | None = None

    def error(self, column: str, message: str) -> None:
        self.errors.append((column, message))
        self.status = ERROR


@dataclass
class SalesImportResult:
    rows: list[RowResult]
    dry_run: bool

    def _count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def created(self) -> int:
        return self._count(CREATED)

    @property
    def updated(self) -> int:
        return self._count(UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(UNCHANGED)

    @property
    def errors(self) -> int:
        return self._count(ERROR)

    @property
    def valid(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def error_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.status == ERROR]


AMOUNT = re.compile(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")


def parse_amount(text: str) -> Decimal:
    """Yuan, "1,234.50" or "1234.5" (a leading ¥ is allowed); ValueError with the message."""
    text = text.replace(" ", "").lstrip("¥￥")
    if not AMOUNT.fullmatch(text):
        raise ValueError(
            _(
                "“%(value)s” is not an amount. Expected a number in yuan such as 1234.50 or "
                "1,234.50."
            )
            % {"value": text}
        )
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(text) from None
    if amount < 0:
        raise ValueError(_("%(value)s is negative. Expected 0 or more.") % {"value": text})
    if amount >= AMOUNT_LIMIT:
        raise ValueError(
            _("%(value)s is too large. Expected less than %(limit)s.")
            % {"value": text, "limit": f"{AMOUNT_LIMIT:,}"}
        )
    if amount != amount.quantize(CENT):
        raise ValueError(
            _("%(value)s has more than %(places)s decimal places. Expected yuan with fen at most.")
            % {"value": text, "places": _places}
        )
    return amount.quantize(CENT)


def _check_values(result: RowResult) -> None:
    values = result.values
    for column in REQUIRED:
        if not values.get(column):
            examples = {"account": "ERP-0042", "month": "2025-03", "sales": "1,234.50"}
            result.error(
                column,
                _("“%(column)s” is empty. Expected a value, e.g. %(example)s.")
                % {"column": column, "example": examples[column]},
            )
    if values.get("month"):
        try:
            result.month = parse_month(values["month"])
        except ValueError as exc:
            result.error("month", str(exc))
    for column in ("sales", "receivables"):
        text = values.get(column) or ""
        if not text:
            if column == "receivables":
                result.receivables = Decimal("0.00")
            continue
        try:
            setattr(result, column, parse_amount(text))
        except ValueError as exc:
            result.error(column, str(exc))


def _find_accounts(by, names: set[str]) -> tuple[dict, dict]:
    """({external_id: (pk, name)}, {name: [(pk, name), …]}) among accounts `by` can see."""
    by_external_id, by_name = {}, {}
    visible = accounts_visible_to(by)
    names = sorted(names)
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        found = visible.filter(Q(external_id__in=chunk) | Q(name__in=chunk)).values_list(
            "pk", "name", "external_id"
        )
        for pk, name, external_id in found:
            if external_id:
                by_external_id[external_id] = (pk, name)
            by_name.setdefault(name, {})[pk] = (pk, name)
    return by_external_id, {name: list(found.values()) for name, found in by_name.items()}


def _existing(pairs: set[tuple[int, datetime.date]]) -> dict[tuple, tuple[Decimal, Decimal]]:
    """{(account id, month): (sales, receivables)} stored for these pairs."""
    account_ids = sorted({account_id for account_id, _month in pairs})
    months = {month for _account_id, month in pairs}
    existing = {}
    for start in range(0, len(account_ids), CHUNK):
        rows = MonthlySales.objects.filter(
            account_id__in=account_ids[start : start + CHUNK], month__in=months
        ).values_list("account_id", "month", "sales", "receivables")
        for account_id, month, amount, receivables in rows:
            if (account_id, month) in pairs:
                existing[(account_id, month)] = (amount, receivables)
    return existing


def sales_import(*, rows: Iterable[Mapping], by, dry_run: bool) -> SalesImportResult:
    """Check each row (as `read_sales_file` gives them) and, unless `dry_run`, write the
    valid ones in one transaction: an upsert on (account, month), so a month imported
    again is replaced, never doubled. Rows with errors are reported and not written.

    Accounts are looked up among those `by` may see (`accounts_visible_to`), by external
    ID first, then by exact name; a name two visible accounts share is an error.
    """
    results = [
        RowResult(
            row=row.get("row") or index,
            values={column: (row.get(column) or "").strip() for column in COLUMNS},
        )
        for index, row in enumerate(rows, start=2)
    ]
    for result in results:
        _check_values(result)
    wanted = {result.values["account"] for result in results if result.values["account"]}
    by_external_id, by_name = _find_accounts(by, wanted)
    first_row_of: dict[tuple[int, datetime.date], int] = {}
    for result in results:
        identifier = result.values["account"]
        if not identifier:
            continue
        if identifier in by_external_id:
            result.account_id, result.account_name = by_external_id[identifier]
        elif len(by_name.get(identifier, [])) == 1:
            result.account_id, result.account_name = by_name[identifier][0]
        elif identifier in by_name:
            result.error(
                "account",
                _(
                    "%(count)s accounts you can see are named “%(value)s”. Use the "
                    "account's external ID instead."
                )
                % {"count": len(by_name[identifier]), "value": identifier},
            )
        else:
            result.error(
                "account",
                _("No account you can see with external ID or name “%(value)s”.")
                % {"value": identifier},
            )
        if result.account_id and result.month:
            pair = (result.account_id, result.month)
            if pair in first_row_of:
                result.error(
                    "month",
                    _(
                        "Row %(row)s already has %(month)s for this account. Expected each "
                        "account and month once in a file."
                    )
                    % {"row": first_row_of[pair], "month": f"{result.month:%Y-%m}"},
                )
            elif result.status != ERROR:
                first_row_of[pair] = result.row
    for result in results:  # in the file's column order
        result.errors.sort(key=lambda error: COLUMNS.index(error[0]))
    with transaction.atomic():
        valid = [result for result in results if result.status != ERROR]
        existing = _existing({(result.account_id, result.month) for result in valid})
        for result in valid:
            stored = existing.get((result.account_id, result.month))
            if stored is None:
                result.status = CREATED
            elif stored == (result.sales, result.receivables):
                result.status = UNCHANGED  # nothing to write
            else:
                result.status = UPDATED
        valid = [result for result in valid if result.status != UNCHANGED]
        if not dry_run and valid:
            MonthlySales.objects.bulk_create(
                [
                    MonthlySales(
                        account_id=result.account_id,
                        month=result.month,
                        sales=result.sales,
                        receivables=result.receivables,
                    )
                    for result in valid
                ],
                update_conflicts=True,
                unique_fields=["account", "month"],
                update_fields=["sales", "receivables"],
                batch_size=CHUNK,
            )
    return SalesImportResult(rows=results, dry_run=dry_run)
