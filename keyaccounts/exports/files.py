"""A list's rows as a CSV or XLSX file, for the export view and `export_records`.

Rows are read with `QuerySet.iterator(chunk_size=CHUNK_SIZE)`, with every relation a
column reads selected (or, for the visit's people, prefetched per chunk), so an export
runs the same few queries for 5 rows or 100,000 and never holds more than a chunk.
"""

from collections.abc import Iterator
from itertools import islice

from django.utils import translation

from keyaccounts.db_router import replica_reads

from .columns import reader
from .registry import ExportType, Listing
from .writers import add_sheet, csv_chunks, new_workbook, save_workbook

CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
CHUNK_SIZE = 2000


def export_rows(export: ExportType, listing: Listing) -> Iterator[list]:
    """The values of each row, column by column, in the active language; what the
    listing `prepare`s beside its rows read for each chunk of them."""
    record_columns = export.columns
    bound = record_columns.bound()
    readers = [reader(column) for column in bound]
    queryset = listing.rows.select_related(*record_columns.select_related()).prefetch_related(
        *record_columns.prefetch_related()
    )
    rows = queryset.iterator(chunk_size=CHUNK_SIZE)
    if listing.prepare is None:
        for row in rows:
            yield [read(row) for read in readers]
        return
    while chunk := list(islice(rows, CHUNK_SIZE)):
        listing.prepare(chunk)
        for row in chunk:
            yield [read(row) for read in readers]


def csv_file(export: ExportType, listing: Listing, *, user=None) -> Iterator[bytes]:
    """The CSV file, a buffer at a time, in the active language, read from the replica
    if there is one (`user`: the reader, whose own recent saves keep it on the primary).

    A streaming response runs the generator after the view has returned (under ASGI,
    each step in a thread of its own), so the language and the database are set again
    around each step rather than held across a `yield`."""
    language = translation.get_language()  # now, while the request's is active
    chunks = csv_chunks(export.columns.headers(), export_rows(export, listing))

    def steps():
        while True:
            with translation.override(language), replica_reads(user):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    return steps()


def _workbook(export: ExportType, listing: Listing, *, user=None):
    """The list as an openpyxl workbook, and how many rows it holds."""
    workbook = new_workbook()
    formats = {
        index: column.column.xlsx_format
        for index, column in enumerate(export.columns.bound())
        if column.column.xlsx_format
    }
    with replica_reads(user):
        count = add_sheet(
            workbook,
            str(export.label),
            export.columns.headers(),
            export_rows(export, listing),
            number_formats=formats,
        )
    return workbook, count


def xlsx_file(export: ExportType, listing: Listing, *, user=None):
    """The XLSX file in a temporary file, at its start (see writers.save_workbook)."""
    workbook, _count = _workbook(export, listing, user=user)
    return save_workbook(workbook)


class _Counted:
    """Rows passed on as they are read, counted."""

    def __init__(self, rows: Iterator[list]):
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[list]:
        for row in self.rows:
            self.count += 1
            yield row


def write_file(export: ExportType, listing: Listing, extension: str, target, *, user=None) -> int:
    """Write the list as a file of `extension` into `target` (a binary file open for
    writing), in the active language, read from the replica if there is one; returns the
    number of rows written. For a worker (keyaccounts/exports/services.py): the file is
    written whole, not streamed."""
    if extension == CSV:
        with replica_reads(user):
            rows = _Counted(export_rows(export, listing))
            for chunk in csv_chunks(export.columns.headers(), rows):
                target.write(chunk)
        return rows.count
    workbook, count = _workbook(export, listing, user=user)
    workbook.save(target)
    return count
