"""Real spreadsheet files for the import tests, built the way people's files are: XLSX
by openpyxl (merged cells, hidden and empty sheets, formulas), CSV by the csv module in
the encodings Excel writes, and files that are not spreadsheets at all."""

import csv
import io
import struct
import zipfile
import zlib

from openpyxl import Workbook


def xlsx(*sheets: dict) -> bytes:
    """A workbook of `sheets`, each a dict: rows (lists of values; a str starting with "="
    is a formula), title, hidden (bool), merge (ranges such as "A2:A4")."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for number, sheet in enumerate(sheets, start=1):
        worksheet = workbook.create_sheet(sheet.get("title", f"Sheet{number}"))
        for row in sheet.get("rows", []):
            worksheet.append(row)
        for cells in sheet.get("merge", []):
            worksheet.merge_cells(cells)
        if sheet.get("hidden"):
            worksheet.sheet_state = "hidden"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_with_long_cell(rows: list[list], text: str, placeholder: str = "LONG-CELL") -> bytes:
    """A workbook of `rows` where the cell holding `placeholder` holds `text` instead:
    openpyxl cuts what it writes at Excel's 32,767 characters, other programs do not,
    so the text is put into the sheet's XML directly."""
    from xml.sax.saxutils import escape

    source = zipfile.ZipFile(io.BytesIO(xlsx({"rows": rows})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename.startswith("xl/") and part.filename.endswith(".xml"):
                data = data.replace(placeholder.encode(), escape(text).encode())
            target.writestr(part, data)
    return out.getvalue()


def xlsx_merged_over(rows: list[list], ref: str) -> bytes:
    """A workbook of `rows` with one merged range `ref` (the whole sheet, say): openpyxl
    makes a cell object for every cell of a range it merges, so the range is written
    into the sheet's XML directly, as Excel writes it."""
    source = zipfile.ZipFile(io.BytesIO(xlsx({"rows": rows, "merge": ["ZZ999:ZZ1000"]})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename.startswith("xl/worksheets/"):
                data = data.replace(b'ref="ZZ999:ZZ1000"', f'ref="{ref}"'.encode())
            target.writestr(part, data)
    return out.getvalue()


def csv_file(rows: list[list], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    """CSV text in `encoding` ("utf-8-sig" writes the BOM Excel's "CSV UTF-8" writes)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def zip_bomb(size: int = 64 * 1024 * 1024) -> bytes:
    """A small zip whose worksheet part unpacks to `size` bytes of one repeated byte,
    named like an XLSX's parts so that only the sizes give it away."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            chunk = b"0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                part.write(chunk)
    return out.getvalue()


def png() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def read_xlsx(content: bytes) -> dict[str, list[list]]:
    """Every sheet of a workbook as rows of values (for checking files the app wrote)."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets
    }


def import_file(kind: str, content: bytes, by, **options):
    """Import `content` as `kind` for `by` through the engine, its columns mapped by
    their headers (`options`: dry_run, progress…; dry_run False unless given)."""
    from keyaccounts.imports.engine import run_import
    from keyaccounts.imports.kinds import KINDS
    from keyaccounts.imports.reading import read_table

    import_kind = KINDS[kind]
    table = read_table(content, header_score=import_kind.header_index().score)
    return run_import(
        kind=import_kind,
        table=table,
        mapping=import_kind.header_index().recognise(table.headers),
        by=by,
        **{"dry_run": False, **options},
    )
