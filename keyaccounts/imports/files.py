"""Files the import pages hand out: a template per import type and language, and the
rejected rows of a checked file with a reason column, to fix and upload again.

Written with the exports' writers (`keyaccounts.exports.writers`): text that a
spreadsheet would run (=, +, -, @ …) stays text — an explicit text cell in a workbook,
an apostrophe before it in CSV, which the reader takes off again.
"""

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import override

from keyaccounts.exports.writers import (
    XLSX_CONTENT_TYPE,
    add_sheet,
    csv_value,
    new_workbook,
)

from . import references
from .columns import LANGUAGES
from .engine import ImportResult
from .kinds import Kind
from .reading import BadCell

XLSX = XLSX_CONTENT_TYPE


def _plain(value):
    return value.text if isinstance(value, BadCell) else value


def write_xlsx(sheets: list[tuple[str, list, list[list]]]) -> bytes:
    """A workbook of (title, header, rows) sheets."""
    workbook = new_workbook()
    for title, header, rows in sheets:
        add_sheet(workbook, title, header, ([_plain(value) for value in row] for row in rows))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_csv(rows: list[list], delimiter: str = ",") -> bytes:
    """UTF-8 with a BOM, as Excel needs to read Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_value(_plain(value)) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def rejected_rows(*, job, table, fmt: str) -> tuple[bytes, str, str]:
    """The rows of `job`'s file that did not go in, as they were, with a reason column:
    (content, content type, file name)."""
    result = ImportResult.from_json(job.result)
    reasons = {row.row: row.reason for row in result.rejected}
    header = [*table.headers, _("Reason")]
    rows = [[*cells, reasons[number]] for number, cells in table.rows if number in reasons]
    stem = job.filename.rsplit(".", 1)[0] or "import"
    rejected = _("rejected")  # read first: makemessages finds no call inside an f-string
    name = f"{stem}-{rejected}"
    if fmt == "csv":
        content = write_csv([header, *rows], delimiter=table.delimiter)
        return content, "text/csv; charset=utf-8", f"{name}.csv"
    return write_xlsx([(_("Rejected rows"), header, rows)]), XLSX, f"{name}.xlsx"


def template_workbook(*, kind: Kind, user, language: str) -> bytes:
    """The template of an import type in `language`: the header row (a * marks what a
    new record needs), one example row, a sheet with the accepted values of each
    choice column (in both languages), and a sheet of notes."""
    with override(language):
        columns = kind.columns()
        example = kind.example(user)
        header = [column.title + (" *" if column.required else "") for column in columns]
        row = [_example_value(column, example.get(column.key)) for column in columns]
        titles, lists = [], []
        for column in columns:
            accepted = _accepted(column)
            if accepted:
                titles.append(column.title)
                lists.append(accepted)
        depth = max((len(values) for values in lists), default=0)
        accepted_rows = [
            [values[index] if index < len(values) else None for values in lists]
            for index in range(depth)
        ]
        notes = [
            [_("One row per record. Columns marked * are needed for a new record.")],
            [_("A row whose record exists (same external ID, credit code or name) updates it.")],
            [_("Accounts: the account's external ID, unified social credit code or exact name.")],
            [_("People (owner, user, logged by): a username, email address or full name.")],
            [_("Dates: 2025-03-31; dates and times: 2025-03-31 14:30; yes or no: Yes / No.")],
            [_("Several contacts or attendees in one cell: separate them with ;")],
            [_("The headers may be in English or in Chinese; the columns may be in any order.")],
        ]
        sheets = [(str(kind.label), header, [row])]
        if titles:
            sheets.append((_("Accepted values"), titles, accepted_rows))
        sheets.append((_("Notes"), [_("About this template")], notes))
        return write_xlsx(sheets)


def _accepted(column) -> list[str]:
    """What a choice, yes/no or reference (stage) column accepts, each value in both languages."""
    if column.kind == "boolean":
        return [_both("Yes"), _both("No")]
    if references.registered(column.kind):
        return references.lookup(column.kind).accepted()
    entries = []
    for _stored, label in column.choices:
        names = []
        for language in LANGUAGES:
            with override(language):
                name = str(label)
            if name not in names:
                names.append(name)
        entries.append(" / ".join(names))
    return entries


def _both(message: str) -> str:
    names = []
    for language in LANGUAGES:
        with override(language):
            name = _(message)
        if name not in names:
            names.append(name)
    return " / ".join(names)


def _example_value(column, value):
    if value is None:
        return None
    if column.kind == "choice":
        return str(dict(column.choices).get(value, value))
    if column.kind == "boolean":
        return _("Yes") if value else _("No")
    return value


def template_filename(kind: Kind, language: str) -> str:
    suffix = "zh" if language.startswith("zh") else "en"
    return f"import-{kind.key}-{suffix}.xlsx"
