"""CSV and XLSX out of rows of values, in constant memory, safe to open.

Rows are lists of what `columns.reader` gives: text, numbers, dates, naive local
datetimes, None. Nothing here holds more than a buffer of rows:

- CSV is UTF-8 with a byte order mark (Excel in China then reads it as UTF-8, not as
  GBK), written by `csv_chunks` a buffer at a time for a `StreamingHttpResponse`.
  Dates are ISO text (2026-11-30, 2026-11-30 14:30), numbers plain ("1234.50").
- XLSX comes from openpyxl's write-only workbook, which writes each row to a temporary
  file as it is appended (and writes text inline, not into a shared-string table held
  in memory); `save_workbook` puts the finished file in a temporary file to stream.
  Dates and times are date cells, numbers number cells.

Formula injection: a spreadsheet runs a cell whose text starts with `=`, `+`, `-` or
`@` (and tab or carriage return, which some strip first), so an account named
`=HYPERLINK(…)` could run when a colleague opens the export. In CSV such a text gets a
leading apostrophe (`guard_text`; `unguard_text` takes it off again on import); in XLSX
it is written as an explicit string cell with Excel's quote prefix, so it stays text
even when edited. Numbers are never guarded: -5 is a number.
"""

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

DANGEROUS_FIRST = frozenset({"=", "+", "-", "@", "\t", "\r"})
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_BUFFER = 64 * 1024  # characters of CSV gathered before they are sent
XLSX_MAX_TEXT = 32_767  # the most characters an Excel cell holds
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def is_dangerous(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula. Leading apostrophes are
    looked through, so that `guard_text` can always be undone by `unguard_text`."""
    return text.lstrip("'")[:1] in DANGEROUS_FIRST


def guard_text(text: str) -> str:
    """The CSV form of a text: with a leading apostrophe when a spreadsheet could run it."""
    return "'" + text if is_dangerous(text) else text


def unguard_text(text: str) -> str:
    """`guard_text` undone: what an import reads from a CSV cell this module wrote."""
    return text[1:] if text.startswith("'") and is_dangerous(text) else text


# --- CSV -------------------------------------------------------------------------------


def csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return guard_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        seconds = "seconds" if value.second or value.microsecond else "minutes"
        return value.replace(microsecond=0).isoformat(sep=" ", timespec=seconds)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class _Line:
    """What `csv.writer` writes to: it hands each line back."""

    def write(self, line: str) -> str:
        return line


def csv_chunks(headers: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """The CSV file as UTF-8 bytes with a BOM, a buffer of lines at a time."""
    writer = csv.writer(_Line())
    buffer = [BOM, writer.writerow([guard_text(header) for header in headers])]
    size = 0
    for row in rows:
        line = writer.writerow([csv_value(value) for value in row])
        buffer.append(line)
        size += len(line)
        if size >= CSV_BUFFER:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    yield "".join(buffer).encode("utf-8")


# --- XLSX ------------------------------------------------------------------------------


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def sheet_title(title: str) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\."""
    return str(title).translate(SHEET_TITLE_FORBIDDEN).strip()[:SHEET_TITLE_MAX] or "Sheet"


def xlsx_value(sheet, value):
    """A cell's value for openpyxl: text made storable (no characters XML forbids, at most
    what a cell holds), and an explicit string cell for text a spreadsheet could run."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_TEXT]
        if is_dangerous(text):
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"  # openpyxl would make "=…" a formula
            cell.quotePrefix = True  # and Excel keeps it text when someone edits it
            return cell
        return text
    return value


def add_sheet(
    workbook: Workbook,
    title: str,
    headers: list,
    rows: Iterable[list],
    *,
    number_formats: dict[int, str] | None = None,
) -> int:
    """Append a sheet: a bold header row that stays in view, then `rows`. Returns the
    number of rows written (without the header). `number_formats`: {column index:
    Excel number format} for the cells of a column (e.g. "0.0%" for shares)."""
    sheet = workbook.create_sheet(title=sheet_title(title))
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        width = min(max(len(str(header)) + 2, 10), 60)
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        value = xlsx_value(sheet, str(header))
        cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=value)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    formats = number_formats or {}
    count = 0
    for row in rows:
        values = [xlsx_value(sheet, value) for value in row]
        for index, number_format in formats.items():
            value = values[index]
            if value is not None and not isinstance(value, Cell | str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                values[index] = cell
        sheet.append(values)
        count += 1
    return count


def save_workbook(workbook: Workbook):
    """The finished workbook in an anonymous temporary file, at its start: hand it to a
    `FileResponse`, which streams and closes it."""
    target = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target
