"""Reading an uploaded file into a table of cells, safely.

What comes in is whatever a person picked in a file dialog, so nothing about it is
trusted: the kind of file is told by its bytes, not its name, and every size is bounded
before the work that size would cost.

- **XLSX** (a zip of XML parts): before openpyxl opens it, the zip's directory is read
  with `zipfile` and refused when the parts would unpack to more than
  `MAX_UNCOMPRESSED_BYTES`, or when a large part is packed more than `MAX_PART_RATIO`
  to one (a zip bomb); Python's `zipfile` never unpacks more than a part's declared size.
  openpyxl reads in read-only mode, streaming the sheet; the rows are parsed in one pass
  with its `WorkSheetParser`, which also yields the merged ranges read-only mode
  otherwise drops (openpyxl is pinned: requirements.txt). Hidden sheets are skipped: the
  table is the first visible sheet that holds anything. A formula is not imported —
  neither its text nor the value Excel last cached for it (possibly stale, or absent
  when a program wrote the file) — but reported on its row; so is an error value
  (#N/A). A merged range gives each of its cells the range's top-left value, and the
  notices say so.
- **CSV**: UTF-8 with or without a BOM, UTF-16 with a BOM, else GB18030 (what Excel's
  "CSV" means on a mainland Chinese Windows) or Big5 (cp950: Taiwan's and Hong Kong's),
  whichever reads as more of its standard's frequently used characters; the delimiter
  is the one of `,` `;` tab that the header row uses most. A file with many control
  characters is binary, not a spreadsheet. A NUL character in a cell is reported on its
  row. The apostrophe an export puts before a text a spreadsheet would run ("'=1+2") is
  taken off again (`keyaccounts.exports.writers.unguard_text`).
- Either way a cell longer than `MAX_CELL_CHARS` (Excel's own limit) is reported on its
  row, and so the rest of the file is still checked; more than `MAX_ROWS` rows or a file
  over `MAX_FILE_BYTES` is refused whole.

The header is the first non-empty row, unless one of the next few rows names more known
columns (a title row above the header, as Chinese spreadsheets often have). Rows are
numbered as a spreadsheet shows them.
"""

import codecs
import csv
import datetime
import io
import json
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from keyaccounts.exceptions import ApplicationError
from keyaccounts.exports.writers import unguard_text
from keyaccounts.text import join_words

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 250 * 1024 * 1024
MAX_PART_RATIO = 100  # Apache POI's default for the same check
RATIO_CHECKED_FROM = 1024 * 1024  # small parts may pack well; only large ones are checked
MAX_PARTS = 5000
MAX_ROWS = 100_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767
HEADER_SEARCH_ROWS = 10

# A cell may be a whole field of the file, never more: bounded by the file's own limit.
csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))

SIGNATURES = {
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"%PDF": "PDF",
    b"\x1f\x8b": "gzip",
    b"Rar!": "RAR",
    b"7z\xbc\xaf": "7-Zip",
}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), old Word files
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FileError(ApplicationError):
    """The file as a whole cannot be read; no row was looked at."""

    def __init__(self, message):
        super().__init__(message, code="file_unreadable")


@dataclass
class BadCell:
    """A cell that cannot be taken as it is: why, and its text for the report."""

    text: str
    message: str
    expected: str

    def __str__(self):
        return self.text


@dataclass
class Table:
    format: str  # "xlsx" or "csv"
    headers: list[str]
    rows: list[tuple[int, list]]  # (row number, cells: str / number / date / bool / None)
    header_row: int = 1
    sheet: str = ""
    delimiter: str = ","
    notices: list[str] = field(default_factory=list)


# --- a table as it was read, kept with its import job ----------------------------------------
#
# The upload reads the file once (the mapping page needs its headers and samples); the
# preview, the confirmed run and the rejected-rows file then start from what that read
# gave, stored with the job, rather than parsing a 50,000-row workbook again each time
# (seconds of openpyxl per run). JSON, compressed: every cell type a reader gives comes
# back as it was — text, numbers (int and float apart), booleans, dates, times and a
# BadCell with its message — and nothing in it is code, unlike a pickle.

_TABLE_FORMAT = 1


def _encode_cell(value):
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"t": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, BadCell):
        return {"bad": [value.text, value.message, value.expected]}
    raise TypeError(f"a cell of type {type(value).__name__} cannot be kept")


def _decode_cell(data: dict):
    if "dt" in data:
        return datetime.datetime.fromisoformat(data["dt"])
    if "d" in data:
        return datetime.date.fromisoformat(data["d"])
    if "t" in data:
        return datetime.time.fromisoformat(data["t"])
    if "td" in data:
        days, seconds, microseconds = data["td"]
        return datetime.timedelta(days=days, seconds=seconds, microseconds=microseconds)
    if "bad" in data:
        return BadCell(*data["bad"])
    return data  # the table's own fields (the outermost object)


def table_dumps(table: Table) -> bytes:
    """`table` as bytes to keep (`table_loads` gives it back, equal)."""
    data = {
        "version": _TABLE_FORMAT,
        "format": table.format,
        "headers": table.headers,
        "rows": table.rows,
        "header_row": table.header_row,
        "sheet": table.sheet,
        "delimiter": table.delimiter,
        "notices": [str(notice) for notice in table.notices],
    }
    text = json.dumps(data, default=_encode_cell, ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 6)


def table_loads(content: bytes) -> Table:
    data = json.loads(zlib.decompress(content).decode("utf-8"), object_hook=_decode_cell)
    if data.get("version") != _TABLE_FORMAT:
        raise ValueError("a table kept in another format")
    return Table(
        format=data["format"],
        headers=data["headers"],
        rows=[(number, cells) for number, cells in data["rows"]],
        header_row=data["header_row"],
        sheet=data["sheet"],
        delimiter=data["delimiter"],
        notices=data["notices"],
    )


def not_a_spreadsheet(what: str = "") -> FileError:
    message = _("This file is not a spreadsheet. Expected an Excel workbook (.xlsx) or a CSV file.")
    if what:
        message = _(
            "This file is a %(what)s file, not a spreadsheet. Expected an Excel workbook "
            "(.xlsx) or a CSV file."
        ) % {"what": what}
    return FileError(message)


def read_table(content: bytes, *, header_score: Callable[[list[str]], int] | None = None) -> Table:
    """The table in `content` (XLSX or CSV, told by its bytes); FileError when it cannot be
    read. `header_score(texts)` counts the known column names in a row: the header row
    is the one of the first rows that names most."""
    if len(content) > MAX_FILE_BYTES:
        raise FileError(
            _("The file is %(size)s; at most %(limit)s can be imported at once. Split it.")
            % {"size": filesizeformat(len(content)), "limit": filesizeformat(MAX_FILE_BYTES)}
        )
    if not content.strip():
        raise FileError(_("The file is empty."))
    if content.startswith(b"PK\x03\x04") or content.startswith(b"PK\x05\x06"):
        sheet, rows, notices = _read_xlsx(content)
        return _table("xlsx", rows, header_score, sheet=sheet, notices=notices)
    if content.startswith(OLE2):
        raise FileError(
            _(
                "This is an Excel 97-2003 workbook (.xls), which cannot be read. In Excel, "
                "choose Save As → “Excel Workbook (.xlsx)” and import that file."
            )
        )
    for signature, what in SIGNATURES.items():
        if content.startswith(signature):
            raise not_a_spreadsheet(what)
    if not content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Text in UTF-8 or GB18030 has no control bytes but tab and line ends: a file
        # with many is binary (a stray one in a cell is reported on its row).
        sample = content[:8192]
        if len(CONTROL.findall(sample)) > max(8, len(sample) // 100):
            raise not_a_spreadsheet()
    text, notice = _decode(content)
    _check_not_markup(text)
    rows, delimiter = _read_csv(text)
    return _table(
        "csv", rows, header_score, delimiter=delimiter, notices=[notice] if notice else None
    )


def _check_not_markup(text: str) -> None:
    """A web page or an XML document is no CSV, though it is text: many systems export
    a table as HTML, or Excel 2003's XML, under an .xls name. Read as CSV it was "a
    header row and no rows under it", or rows of tags."""
    start = text.lstrip("\ufeff \t\r\n")[:200].lower()
    if start.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")):
        raise FileError(
            _(
                "This file is a web page (HTML), not a spreadsheet, though its name may say "
                ".xls: some systems export tables so. Open it in Excel, choose Save As → "
                "“Excel Workbook (.xlsx)” and import that file."
            )
        )
    if start.startswith("<?xml"):
        raise FileError(
            _(
                "This file is an XML document, not a spreadsheet (an “XML Spreadsheet "
                "2003”, perhaps). Open it in Excel, choose Save As → “Excel Workbook "
                "(.xlsx)” and import that file."
            )
        )


# --- XLSX ------------------------------------------------------------------------------


def _check_zip(content: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise not_a_spreadsheet() from None
    bomb = FileError(
        _(
            "This file unpacks to far more than it weighs (a “zip bomb”), so it is not "
            "read. Expected an Excel workbook saved by Excel, WPS or LibreOffice."
        )
    )
    if len(parts) > MAX_PARTS:
        raise bomb
    if sum(part.file_size for part in parts) > MAX_UNCOMPRESSED_BYTES:
        raise bomb
    for part in parts:
        if part.file_size > RATIO_CHECKED_FROM and part.file_size > MAX_PART_RATIO * max(
            part.compress_size, 1
        ):
            raise bomb
    names = {part.filename for part in parts}
    if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
        raise not_a_spreadsheet(_("zip"))
    return archive


def _worksheet_parser():
    """openpyxl's sheet parser, reading an inline string's text straight from the XML.

    openpyxl's write-only mode — our exports, many other programs — writes every text
    inline (`<c t="inlineStr"><is><t>…</t></is></c>`), and openpyxl's own path builds a
    rich-text object per such cell: most of the time of reading such a file. The text
    is the same (the `<t>` of the string and of its runs; phonetic guides left out), put
    where a plain string would be, and openpyxl goes on as for one."""
    from xml.etree.ElementTree import SubElement

    from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS

    inline, text, run = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("is", "t", "r"))

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            string = element.find(inline) if element.get("t") == "inlineStr" else None
            if string is not None:
                parts = [string.find(text)] + [r.find(text) for r in string.findall(run)]
                element.remove(string)
                SubElement(element, VALUE_TAG).text = "".join(
                    part.text or "" for part in parts if part is not None
                )
                element.set("t", "str")
            return super().parse_cell(element)

    return Parser


def _read_xlsx(content: bytes) -> tuple[str, list[tuple[int, list]], list[str]]:
    import openpyxl

    WorkSheetParser = _worksheet_parser()
    _check_zip(content)
    notices = []
    try:
        with warnings.catch_warnings():
            # Extensions openpyxl does not know (data validation, slicers) are fine here.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(content), read_only=True, data_only=False, keep_links=False
            )
            try:
                hidden = [ws.title for ws in workbook.worksheets if ws.sheet_state != "visible"]
                skipped_empty = []
                for sheet in workbook.worksheets:
                    if sheet.sheet_state != "visible":
                        continue
                    with sheet._get_source() as source:
                        parser = WorkSheetParser(
                            source,
                            sheet._shared_strings,
                            data_only=False,
                            epoch=workbook.epoch,
                            date_formats=workbook._date_formats,
                            timedelta_formats=workbook._timedelta_formats,
                        )
                        rows = _xlsx_rows(parser)
                        merged = (
                            [str(cell.ref) for cell in parser.merged_cells.mergeCell]
                            if parser.merged_cells
                            else []
                        )
                    if any(_filled(value) for _number, cells in rows for value in cells):
                        break
                    skipped_empty.append(sheet.title)
                else:
                    raise FileError(
                        _(
                            "The workbook has no data: every visible sheet is empty. Hidden "
                            "sheets are not read; show the sheet, or copy its rows to the "
                            "first sheet."
                        )
                        if hidden
                        else _("The workbook has no data: its sheets are empty.")
                    )
            finally:
                workbook.close()
    except FileError:
        raise
    except Exception:  # noqa: BLE001 - any way a broken workbook fails inside openpyxl
        raise FileError(
            _(
                "This file could not be read as an Excel workbook: it may be damaged or "
                "password-protected. Open it in Excel, save it as .xlsx and try again."
            )
        ) from None
    if len(workbook.worksheets) > 1:
        notices.append(_("Read the sheet “%(sheet)s”.") % {"sheet": sheet.title})
    if hidden:
        notices.append(
            _("Hidden sheets were not read: %(sheets)s.") % {"sheets": join_words(hidden)}
        )
    if skipped_empty:
        notices.append(
            _("Empty sheets were skipped: %(sheets)s.") % {"sheets": join_words(skipped_empty)}
        )
    notices.extend(_fill_merged(rows, merged))
    return sheet.title, rows, notices


def _xlsx_rows(parser) -> list[tuple[int, list]]:
    rows = []
    for number, cells in parser.parse():
        if number > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise _too_many_rows()
        values = []
        for cell in cells:
            column = cell["column"]
            if column > MAX_COLUMNS:
                continue
            if column > len(values):
                values.extend([None] * (column - len(values)))
            values[column - 1] = _xlsx_value(cell)
        rows.append((number, values))
    return rows


def _xlsx_value(cell: dict):
    value, data_type = cell["value"], cell["data_type"]
    if data_type == "f":
        formula = str(value)
        return BadCell(
            formula,
            _("This cell holds a formula (%(formula)s), which is not imported.")
            % {"formula": _shorten(formula, 60)},
            _("a value: copy the column and paste it back with Paste Special → Values"),
        )
    if data_type == "e":
        return BadCell(
            str(value),
            _("This cell holds the error value %(value)s.") % {"value": value},
            _("a value"),
        )
    if isinstance(value, str):
        return _text_cell(value)
    return value


def _fill_merged(rows: list[tuple[int, list]], ranges: list[str]) -> list[str]:
    """Give every cell of each merged range the range's top-left value (Excel keeps the
    value there only); say so, naming the first few ranges. A range is filled within the
    rows and columns that hold values of their own: one merged over the whole sheet
    (A1:XFD1048576, a 29 KB file) would otherwise make 20 million cells, and rows
    below the data that hold nothing but the merged value are no rows to import."""
    from openpyxl.utils.cell import range_boundaries

    if not ranges:
        return []
    last_row = max((n for n, cells in rows if any(_filled(v) for v in cells)), default=0)
    last_column = max(
        (i + 1 for _n, cells in rows for i, v in enumerate(cells) if _filled(v)), default=0
    )
    by_number = {number: cells for number, cells in rows}
    filled = []
    for ref in ranges:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (TypeError, ValueError):
            continue
        max_col = min(max_col, MAX_COLUMNS, last_column)
        max_row = min(max_row, min_row + MAX_ROWS, last_row)
        top = by_number.get(min_row, [])
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        if value is None:
            continue
        for number in range(min_row, max_row + 1):
            cells = by_number.get(number)
            if cells is None:
                cells = by_number[number] = []
            if len(cells) < max_col:
                cells.extend([None] * (max_col - len(cells)))
            for column in range(min_col, max_col + 1):
                if cells[column - 1] is None:
                    cells[column - 1] = value
        filled.append(ref)
    rows[:] = sorted(by_number.items())
    if not filled:
        return []
    shown = ", ".join(filled[:5])
    more = len(filled) - 5
    notice = ngettext(
        "Merged cells (%(ranges)s): each cell of the range takes the value of its top-left cell.",
        "Merged cells (%(ranges)s): each cell of a range takes the value of its top-left cell.",
        len(filled),
    ) % {"ranges": shown + (f" … (+{more})" if more > 0 else "")}
    return [notice]


# --- CSV -------------------------------------------------------------------------------


def _decode(content: bytes) -> tuple[str, str]:
    """The file's text, and a notice when it was read as Big5. Without a BOM, UTF-8 when
    it decodes; else GB18030 (mainland Excel's "CSV") or Big5 (Taiwan's and Hong
    Kong's, as Windows writes it: cp950) by `_common_share`, since GB18030 decodes
    almost any bytes, Big5's included, into rare characters."""
    if content.startswith(codecs.BOM_UTF8):
        return _decoded(content, "utf-8-sig", required=True), ""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decoded(content, "utf-16", required=True), ""
    text = _decoded(content, "utf-8")
    if text is not None:
        return text, ""
    mainland, taiwan = _decoded(content, "gb18030"), _decoded(content, "cp950")
    if mainland is None and taiwan is None:
        raise _undecodable()
    if taiwan is None:
        return mainland, ""
    big5 = _common_share(taiwan, "cp950")
    gb = _common_share(mainland, "gb2312") if mainland is not None else 0.0
    if big5 > gb:
        notice = _(
            "Read as Big5 (traditional Chinese). If the text looks wrong, save the file as "
            "“CSV UTF-8” and import it again."
        )
        return taiwan, notice
    if big5 >= gb - AMBIGUOUS:  # a few characters, frequent in both readings
        notice = _(
            "Read as GB18030 (simplified Chinese); it may be Big5 (traditional Chinese). If "
            "the text looks wrong, save the file as “CSV UTF-8” and import it again."
        )
        return mainland, notice
    return mainland, ""


def _decoded(content: bytes, encoding: str, *, required: bool = False) -> str | None:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError:
        if required:
            raise _undecodable() from None
        return None


def _undecodable() -> FileError:
    return FileError(
        _(
            "The file's text encoding cannot be read. Expected CSV in UTF-8, GB18030 or "
            "Big5: in Excel, choose Save As → “CSV UTF-8 (comma delimited)”."
        )
    )


# The frequently used characters of each standard, by where it puts them: GB2312's level
# 1 (rows 16-55, the 3,755 most used simplified characters) and Big5's frequent set
# (0xA440-0xC67E, 5,401 traditional characters).
_COMMON = {"gb2312": (b"\xb0\xa1", b"\xd7\xf9"), "cp950": (b"\xa4\x40", b"\xc6\x7e")}


# How close the two readings' shares may be for the choice to be a guess, said as one: a
# short Big5 text's characters can all fall among GB2312's frequent ones (陳偉 reads as
# 朝岸), while a mainland text read as Big5 is rarely that frequent in it.
AMBIGUOUS = 0.1


def _common_share(text: str, standard: str) -> float:
    """The share of `text`'s non-ASCII characters (a sample) that `standard` counts as
    frequently used: near all of a text read in its own encoding, about half or less of
    one read in the other (its bytes fall anywhere)."""
    low, high = _COMMON[standard]
    wide = [char for char in text[:20_000] if ord(char) > 0x7F]
    if not wide:
        return 0.0
    common = 0
    for char in wide:
        try:
            code = char.encode(standard)
        except UnicodeEncodeError:
            continue
        if len(code) == 2 and low <= code <= high:
            common += 1
    return common / len(wide)


def _read_csv(text: str) -> tuple[list[tuple[int, list]], str]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first.count(delimiter) for delimiter in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for number, cells in enumerate(reader, start=1):
            if number > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise _too_many_rows()
            # An apostrophe before "=…" is how a CSV export keeps a spreadsheet from
            # running a text (keyaccounts.exports.writers): not part of the value.
            rows.append((number, [_text_cell(unguard_text(cell)) for cell in cells[:MAX_COLUMNS]]))
    except csv.Error as exc:
        raise FileError(
            _("The CSV file cannot be read after line %(line)s: %(error)s.")
            % {"line": reader.line_num, "error": exc}
        ) from None
    return rows, delimiter


# --- both --------------------------------------------------------------------------------


def _text_cell(value: str):
    if len(value) > MAX_CELL_CHARS:
        return BadCell(
            value[:MAX_CELL_CHARS],
            _("This cell holds %(count)s characters.") % {"count": f"{len(value):,}"},
            _("at most %(limit)s characters (Excel's own limit)")
            % {"limit": f"{MAX_CELL_CHARS:,}"},
        )
    if "\x00" in value:
        return BadCell(
            value.replace("\x00", "\\0"),
            _("This cell holds a NUL character (\\0): the file may be damaged."),
            _("text without control characters"),
        )
    return value


def _too_many_rows() -> FileError:
    return FileError(
        _("The file has more than %(limit)s rows. Split it into smaller files.")
        % {"limit": f"{MAX_ROWS:,}"}
    )


def _shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cell_text(value) -> str:
    """A cell as the text a person would read in it."""
    if value is None:
        return ""
    if isinstance(value, BadCell):
        return value.text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return f"{value:%Y-%m-%d}"
        return f"{value:%Y-%m-%d %H:%M}" if not value.second else f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _filled(value) -> bool:
    return value is not None and (not isinstance(value, str) or value.strip() != "")


def _table(
    format: str,
    rows: list[tuple[int, list]],
    header_score,
    *,
    sheet: str = "",
    delimiter: str = ",",
    notices: list[str] | None = None,
) -> Table:
    notices = list(notices or [])
    candidates = [(n, cells) for n, cells in rows if any(_filled(v) for v in cells)]
    if not candidates:
        raise FileError(_("The file has no data: not even a header row."))
    header_at = 0
    if header_score is not None:
        scores = [
            header_score([cell_text(v).strip() for v in cells])
            for _n, cells in candidates[:HEADER_SEARCH_ROWS]
        ]
        best = max(scores)
        if best > 0:
            header_at = scores.index(best)
    header_number, header_cells = candidates[header_at]
    if header_at:
        notices.append(
            ngettext(
                "The header is row %(row)s; the row above it was not imported.",
                "The header is row %(row)s; the %(count)s rows above it were not imported.",
                header_at,
            )
            % {"row": header_number, "count": header_at}
        )
    data = [(n, cells) for n, cells in candidates[header_at + 1 :]]
    if len(data) > MAX_ROWS:
        raise _too_many_rows()
    if not data:
        raise FileError(
            _("The file has a header row (row %(row)s) but no rows under it to import.")
            % {"row": header_number}
        )
    width = max(len(header_cells), *(len(cells) for _n, cells in data))
    headers = [cell_text(v).strip() for v in header_cells] + [""] * (width - len(header_cells))
    for _number, cells in data:
        if len(cells) < width:
            cells.extend([None] * (width - len(cells)))
    return Table(
        format=format,
        headers=headers,
        rows=data,
        header_row=header_number,
        sheet=sheet,
        delimiter=delimiter,
        notices=notices,
    )
