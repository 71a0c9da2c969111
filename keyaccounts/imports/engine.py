"""Running an import: every row through its service, all of them or none.

`run_import` parses each row's cells (`values`, the references through the lookups of
`kinds`), then, in one transaction, imports row after row, each inside a savepoint: a
row that fails rolls back to its savepoint and is reported (row, column, value, what is
wrong, what is expected), and the next row goes on. At the end the transaction commits
only when it is not a dry run and every row went through; otherwise everything is
rolled back. So a preview is the real import, rolled back, and a confirmed import puts
the whole file in or none of it. Every write is recorded with the origin "import" and
the importing user.

A row's status: `create`, `update`, `unchanged` (the record already held every value:
the service wrote nothing, so no new version, history entry or feed entry), `duplicate`
(the record would likely duplicate another; the user may import such rows anyway) or
`error`.
"""

import logging
from dataclasses import asdict, dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.context import Origin, history_context

from . import values
from .columns import LANGUAGES, Column
from .kinds import (
    CREATE,
    DUPLICATE,
    ERROR,
    UNCHANGED,
    UPDATE,
    Accounts,
    Kind,
    MonthlySalesKind,
    Outcome,
    Row,
    RowFailed,
    Stages,
    Users,
)
from .reading import BadCell, Table, cell_text

logger = logging.getLogger(__name__)

STATUSES = (CREATE, UPDATE, UNCHANGED, DUPLICATE, ERROR)
PROGRESS_EVERY = 50
# Which column a refusal of a service is about, by its code.
CODE_COLUMNS = {
    "owner_not_allowed": "owner",
    "not_found": "account",
    "exit_criteria_missing": "stage",
}


@dataclass
class Problem:
    column: str
    value: str
    message: str
    expected: str = ""


@dataclass
class RowResult:
    row: int
    status: str
    record: str = ""
    url: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """The problems in one line: the rejected-rows file's reason column."""
        parts = []
        for problem in self.problems:
            text = problem.message
            if problem.column:
                text = f"{problem.column}: {text}"
            if problem.expected:
                text += " " + _("Expected: %(expected)s.") % {"expected": problem.expected}
            parts.append(text)
        return " | ".join(parts)


@dataclass
class ImportResult:
    rows: list[RowResult]
    dry_run: bool
    notices: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in STATUSES}

    @property
    def ok(self) -> bool:
        """Every row can go in (or went in)."""
        return not self.count(ERROR) and not self.count(DUPLICATE)

    @property
    def rejected(self) -> list[RowResult]:
        return [row for row in self.rows if row.status in (ERROR, DUPLICATE)]

    def as_json(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "counts": self.counts,
            "notices": self.notices,
            "rows": [asdict(row) for row in self.rows],
        }

    @classmethod
    def from_json(cls, data: dict) -> "ImportResult":
        rows = [
            RowResult(
                row=entry["row"],
                status=entry["status"],
                record=entry.get("record", ""),
                url=entry.get("url", ""),
                problems=[Problem(**problem) for problem in entry.get("problems", [])],
            )
            for entry in data.get("rows", [])
        ]
        return cls(rows=rows, dry_run=data.get("dry_run", True), notices=data.get("notices", []))


class Context:
    """What the rows of one run share: the user, the options, the lookups, and which
    record each row imported (a record twice in one file is an error)."""

    def __init__(self, *, by, confirm_duplicates: bool):
        self.by = by
        self.confirm_duplicates = confirm_duplicates
        self.accounts = Accounts(by)
        self._users = self._stages = None
        self._choices: dict[str, values.Choices] = {}
        self.seen: dict = {}
        self.row_claims: list = []

    @property
    def users(self) -> Users:
        if self._users is None:
            self._users = Users()
        return self._users

    @property
    def stages(self) -> Stages:
        if self._stages is None:
            self._stages = Stages()
        return self._stages

    def choices(self, column: Column) -> values.Choices:
        if column.key not in self._choices:
            entries = []
            for stored, label in column.choices:
                labels = [str(label)]
                for language in LANGUAGES:
                    with override(language):
                        labels.append(str(label))
                entries.append((stored, labels))
            self._choices[column.key] = values.Choices(entries)
        return self._choices[column.key]

    def claim(self, row: Row, record, key: str) -> None:
        """Note that `row` imports `record`; RowFailed if an earlier row did."""
        ident = record if isinstance(record, tuple) else (record._meta.label_lower, record.pk)
        first = self.seen.setdefault(ident, row.number)
        if first != row.number:
            raise RowFailed(
                key,
                _("Row %(row)s already imports this record.") % {"row": first},
                _("each record once in a file"),
            )
        self.row_claims.append(ident)

    def parse(self, column: Column, raw):
        kind = column.kind
        if kind in ("text", "contact"):
            return values.text(raw)
        if kind == "integer":
            return values.integer(raw)
        if kind == "decimal":
            return values.decimal(raw)
        if kind == "boolean":
            return values.boolean(raw)
        if kind == "date":
            return values.date(raw)
        if kind == "datetime":
            return values.date_time(raw)
        if kind == "month":
            return values.month(raw)
        if kind == "choice":
            return self.choices(column).parse(raw)
        if kind == "user":
            return self.users.find(values.text(raw))
        if kind == "users":
            return [self.users.find(name) for name in values.split_list(raw)]
        if kind == "stage":
            return self.stages.find(values.text(raw))
        if kind == "account":
            return self.accounts.find(values.text(raw))
        if kind == "contacts":
            return values.split_list(raw)
        raise ValueError(kind)  # pragma: no cover - every kind is listed above


def mapping_problems(kind: Kind, mapping: list) -> list[str]:
    """What is wrong with a column mapping: a column mapped twice, or no column of a key
    group (what finds or makes a record) mapped."""
    problems = []
    columns = {column.key: column for column in kind.columns()}
    used = [key for key in mapping if key]
    for key in sorted({key for key in used if used.count(key) > 1}):
        problems.append(
            _("Two columns of the file are mapped to “%(column)s”: map one of them.")
            % {"column": columns[key].title if key in columns else key}
        )
    for key in used:
        if key not in columns:
            problems.append(_("“%(column)s” is not a column of this import.") % {"column": key})
    for group in kind.key_groups:
        if not any(key in used for key in group):
            names = [columns[key].title for key in group]
            if len(names) == 1:
                problems.append(_("Map a column to “%(column)s”.") % {"column": names[0]})
            else:
                problems.append(
                    _("Map a column to one of: %(columns)s.")
                    % {"columns": ", ".join(f"“{name}”" for name in names)}
                )
    return problems


def run_import(
    *,
    kind: Kind,
    table: Table,
    mapping: list,
    by,
    dry_run: bool,
    confirm_duplicates: bool = False,
    progress=None,
) -> ImportResult:
    """Import `table` as `kind` for the user `by`, columns by `mapping` (a column key, or
    None, for each column of the table). `progress(done, total)` is called as rows go.
    ApplicationError when the mapping cannot work (nothing was read)."""
    problems = mapping_problems(kind, mapping)
    if problems:
        raise ApplicationError(" ".join(problems), code="mapping")
    columns = {column.key: column for column in kind.columns()}
    positions = {key: index for index, key in enumerate(mapping) if key}
    mapped = set(positions)

    def describe(row: Row, key: str, message: str, expected: str = "") -> Problem:
        if key in positions:
            header = table.headers[positions[key]] or columns[key].title
            shown = cell_text(row.raw.get(key))
            return Problem(header, shown[:200], message, expected)
        header = columns[key].title if key in columns else ""
        return Problem(header, "", message, expected)

    rows = [
        Row(number, {key: cells[index] for key, index in positions.items()}, mapped)
        for number, cells in table.rows
    ]
    total = len(rows)
    ctx = Context(by=by, confirm_duplicates=confirm_duplicates)
    results: dict[int, RowResult] = {}
    with history_context(origin=Origin.IMPORT, user=by), transaction.atomic():
        kind.prepare(ctx, rows)
        if isinstance(kind, MonthlySalesKind):
            results = _run_sales(rows, by=by, dry_run=dry_run, describe=describe)
        else:
            for row in rows:
                _parse(ctx, row, columns)
            for done, row in enumerate(kind.order(rows), start=1):
                results[row.number] = _import_row(kind, ctx, row, describe, columns, dry_run)
                if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
                    progress(done, total)
        result = ImportResult(
            rows=[results[number] for number in sorted(results)],
            dry_run=dry_run,
            notices=list(table.notices),
        )
        if dry_run or not result.ok:
            transaction.set_rollback(True)
    if progress is not None:
        progress(total, total)
    return result


def _parse(ctx: Context, row: Row, columns: dict[str, Column]) -> None:
    for key, raw in row.raw.items():
        if values.is_blank(raw):
            continue
        try:
            row.values[key] = ctx.parse(columns[key], raw)
        except values.CellError as exc:
            row.problems.append((key, exc.message, exc.expected))


def _import_row(kind, ctx, row, describe, columns, dry_run) -> RowResult:
    if row.problems:
        return RowResult(
            row.number, ERROR, problems=[describe(row, *problem) for problem in row.problems]
        )
    ctx.row_claims = []
    try:
        with transaction.atomic():
            outcome: Outcome = kind.import_row(ctx, row)
    except RowFailed as exc:
        problems = [describe(row, exc.key, exc.message, exc.expected)]
        status = ERROR
    except ApplicationError as exc:
        status, problems = _refusal(row, exc, describe)
    except ValidationError as exc:
        status, problems = ERROR, _validation_problems(row, exc, describe, columns)
    except DatabaseError as exc:
        logger.warning("import row %s could not be saved", row.number, exc_info=True)
        status = ERROR
        problems = [describe(row, "", _("The row could not be saved: %(error)s") % {"error": exc})]
    else:
        return RowResult(
            row.number,
            outcome.status,
            record=outcome.label,
            url="" if dry_run else (outcome.url or _url(outcome.record)),
        )
    for ident in ctx.row_claims:  # the row's records were rolled back with it
        ctx.seen.pop(ident, None)
    return RowResult(row.number, status, problems=problems)


def _url(record) -> str:
    get = getattr(record, "get_absolute_url", None)
    return get() if get else ""


def _refusal(row, exc: ApplicationError, describe) -> tuple[str, list[Problem]]:
    if exc.code == "possible_duplicate":
        names = ", ".join(match["name"] for match in exc.extra.get("duplicates", []))
        message = exc.message + (f" ({names})" if names else "")
        status = DUPLICATE if exc.extra.get("confirmable") else ERROR
        key = "name" if "name" in row.mapped else ""
        expected = (
            _("a record that does not exist yet, or tick “Import possible duplicates anyway”")
            if status == DUPLICATE
            else ""
        )
        return status, [describe(row, key, message, expected)]
    key = CODE_COLUMNS.get(exc.code, "")
    return ERROR, [describe(row, key if key in row.mapped else "", exc.message)]


def _validation_problems(row, exc: ValidationError, describe, columns) -> list[Problem]:
    problems = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            key = "" if name == NON_FIELD_ERRORS else name
            for message in errors:
                column = columns.get(key)
                expected = expected_for(column) if column else ""
                problems.append(describe(row, key, message, expected))
    else:
        problems = [describe(row, "", message) for message in exc.messages]
    return problems


def expected_for(column: Column) -> str:
    """What a column takes, in words, for a problem that does not say."""
    kind = column.kind
    if kind == "choice":
        labels = ", ".join(str(label) for _stored, label in column.choices)
        return _("one of: %(choices)s") % {"choices": labels}
    return {
        "integer": _("a whole number such as 120"),
        "decimal": _("a number such as 1234.50"),
        "boolean": _("Yes or No (是 or 否)"),
        "date": _("a date such as 2025-03-31"),
        "datetime": _("a date and time such as 2025-03-31 14:30"),
        "month": _("a month such as 2025-03"),
        "user": _("the username, email address or full name of one of our people"),
        "account": _("the account's external ID, credit code or exact name"),
    }.get(kind, "")


def _run_sales(rows: list[Row], *, by, dry_run: bool, describe) -> dict[int, RowResult]:
    """Monthly sales: `scoring.sales` checks the rows as the sales page does, then
    upserts the changed ones, all or none."""
    from scoring.models import MonthlySales
    from scoring.sales import COLUMNS, CREATED, sales_import

    entries, results = [], {}
    for row in rows:
        entry, bad = {"row": row.number}, []
        for key in COLUMNS:
            raw = row.raw.get(key)
            if isinstance(raw, BadCell):
                bad.append(describe(row, key, raw.message, raw.expected))
            elif key == "month" and hasattr(raw, "year"):
                entry[key] = f"{raw:%Y-%m}"
            else:
                entry[key] = cell_text(raw).strip()
        if bad:
            results[row.number] = RowResult(row.number, ERROR, problems=bad)
        else:
            entries.append(entry)
    checked = sales_import(rows=entries, by=by, dry_run=True)
    stored = {
        (sales.account_id, sales.month): (sales.sales, sales.receivables)
        for sales in MonthlySales.objects.filter(
            account_id__in={r.account_id for r in checked.rows if r.account_id},
            month__in={r.month for r in checked.rows if r.month},
        )
    }
    changed = []
    by_number = {entry["row"]: entry for entry in entries}
    row_at = {row.number: row for row in rows}
    for checked_row in checked.rows:
        number = checked_row.row
        if checked_row.errors:
            results[number] = RowResult(
                number,
                ERROR,
                problems=[
                    describe(row_at[number], key, message) for key, message in checked_row.errors
                ],
            )
            continue
        label = f"{checked_row.account_name} · {checked_row.month:%Y-%m}"
        key = (checked_row.account_id, checked_row.month)
        if stored.get(key) == (checked_row.sales, checked_row.receivables):
            status = UNCHANGED
        else:
            status = CREATE if checked_row.status == CREATED else UPDATE
            changed.append(by_number[number])
        results[number] = RowResult(number, status, record=label)
    if not dry_run and changed and all(r.status not in (ERROR,) for r in results.values()):
        sales_import(rows=changed, by=by, dry_run=False)
    return results
