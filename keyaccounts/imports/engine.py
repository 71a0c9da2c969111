"""Running an import: check every row, then write them all or none.

`run_import` parses each row's cells (`values`, the references through `lookups`),
then checks row after row in memory (`kinds`: the rules of each type's service, against
what `lookups` read for the whole file), holding no lock and writing nothing: a row that
fails is reported (row, column, value, what is wrong, what is expected) and the next row
goes on. Only when it is not a dry run and every row passed does it write: the plan of
the checked rows, in one short transaction (`writing.write`) that takes the change
counter's lock — the lock every versioned write takes, which orders the changes feed —
only for that. So a preview is exactly the check of a real import, a confirmed import
puts the whole file in or none of it, and other people's saves wait for an import only
while it writes, never while it reads and checks (for 50,000 rows, the seconds of the
write, not the minute of the check).

Whatever the check read may change before the write: the write first makes sure it
did not (`writing.check_fresh`: no record it read changed since, every account still
visible to the importer); if something did, the file is checked again, and the last of
`ATTEMPTS` checks holds the lock from its start, so a busy database cannot starve an
import. Monthly sales are the exception: `scoring.sales` checks and upserts them.

Every write is recorded with the origin "import" and the importing user. A row's
status: `create`, `update`, `unchanged` (the record already holds every value: nothing
is written, so no new version, history entry or feed entry), `duplicate` (the record
would likely duplicate another; the user may import such rows anyway) or `error`.
"""

import contextlib
import copy
import logging
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override
from openpyxl.utils import get_column_letter

from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.context import Origin, history_context
from keyaccounts.text import join_words

from . import references, values, writing
from .columns import LANGUAGES, Column
from .kinds import (
    CREATE,
    DUPLICATE,
    ERROR,
    UNCHANGED,
    UPDATE,
    Kind,
    Outcome,
    Row,
    RowFailed,
    _kept,
    _plain_fields,
)
from .lookups import Accounts, Users
from .reading import Table, cell_text

logger = logging.getLogger(__name__)

# Checks of a file at most: the last holds the change counter's lock from its start.
ATTEMPTS = 3

STATUSES = (CREATE, UPDATE, UNCHANGED, DUPLICATE, ERROR)
PROGRESS_EVERY = 250  # rows between two progress reports (a cache write each)
# Which column a refusal of a service is about, by its code.
CODE_COLUMNS = {
    "owner_not_allowed": "owner",
    "not_found": "account",
    "exit_criteria_missing": "stage",
}
# What would do instead, for a service's refusal that does not say it.
CODE_EXPECTED = {
    "owner_not_allowed": gettext_lazy(
        "your own username, or (managers) a member of the teams you manage"
    ),
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
            # As `asdict` gives them, without its deep copies (50,000 rows: seconds).
            "rows": [
                {
                    "row": row.row,
                    "status": row.status,
                    "record": row.record,
                    "url": row.url,
                    "problems": [vars(problem).copy() for problem in row.problems],
                }
                for row in self.rows
            ],
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
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()  # read once, not per row's date
        self.accounts = Accounts(by)
        self.identifiers: set[str] = set()  # the keys the file names (kinds.Kind.reads)
        self.records = None  # the records of the kind the rows may be about (lookups)
        self.plan = writing.Plan()
        self._users = self._manager = self._assignable = None
        self._references = {}
        self._choices: dict[str, values.Choices] = {}
        self.seen: dict = {}
        self.row_claims: list = []
        # A deal opened past the first stage needs the outcomes of the stages before it,
        # as the API's create does (True: the API's bulk upsert); a file opens deals at
        # their stage as another system holds them (moving a company in).
        self.opens_need_criteria = False

    @property
    def manager(self) -> bool:
        """`can_reassign(by)`: whether the importing user names other people as owners."""
        from accounts.selectors import can_reassign

        if self._manager is None:
            self._manager = can_reassign(self.by)
        return self._manager

    @property
    def assignable(self) -> set[int]:
        """The ids of `assignable_owners(by)`: whom the importing user may name."""
        from accounts.selectors import assignable_owners

        if self._assignable is None:
            self._assignable = set(assignable_owners(self.by).values_list("pk", flat=True))
        return self._assignable

    @property
    def users(self) -> Users:
        if self._users is None:
            self._users = Users(self.by)
        return self._users

    def reference(self, kind: str):
        """The lookup of the records a column of `kind` names (`references`): read once
        per import."""
        if kind not in self._references:
            self._references[kind] = references.lookup(kind)
        return self._references[kind]

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
        if kind == "account":
            return self.accounts.find(values.text(raw))
        if kind == "contacts":
            return values.split_list(raw)
        if references.registered(kind):
            return self.reference(kind).find(values.text(raw))
        raise ValueError(kind)  # pragma: no cover - every kind is listed above


def mapping_problems(kind: Kind, mapping: list) -> list[str]:
    """What is wrong with a column mapping: a column mapped twice, or no column of a key
    group (what finds or makes a record) mapped."""
    problems = []
    columns = {column.key: column for column in kind.columns()}
    used = [key for key in mapping if key]
    for key in sorted({key for key in used if used.count(key) > 1}):
        letters = [get_column_letter(index + 1) for index, k in enumerate(mapping) if k == key]
        problems.append(
            _("Columns %(letters)s of the file are all mapped to “%(column)s”: map one of them.")
            % {
                "letters": join_words(letters),
                "column": columns[key].title if key in columns else key,
            }
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
                    % {"columns": join_words(f"“{name}”" for name in names)}
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

    def make_rows() -> list[Row]:
        return [
            Row(number, {key: cells[index] for key, index in positions.items()}, mapped)
            for number, cells in table.rows
        ]

    def finish(results: dict[int, RowResult]) -> ImportResult:
        if progress is not None:
            progress(len(table.rows), len(table.rows))
        return ImportResult(
            rows=[results[number] for number in sorted(results)],
            dry_run=dry_run,
            notices=list(table.notices),
        )

    def check(ctx: Context) -> dict:
        return _check(kind, ctx, make_rows(), columns, describe, progress)

    def new_context() -> Context:
        return Context(by=by, confirm_duplicates=confirm_duplicates)

    with history_context(origin=Origin.IMPORT, user=by):
        if kind.checked_as_batch:
            return finish(kind.run_batch(make_rows(), by=by, dry_run=dry_run, describe=describe))
        return finish(_check_then_write(kind, check, new_context, by=by, dry_run=dry_run))


def _rejected(results: dict[int, RowResult]) -> bool:
    return any(result.status in (ERROR, DUPLICATE) for result in results.values())


def _check_then_write(kind, check, new_context, *, by, dry_run) -> dict[int, RowResult]:
    """Check the file, then (not a dry run, no row rejected) write it in one short
    transaction; when what the check read changed meanwhile, check it again — the last
    of `ATTEMPTS` times holding the change counter's lock from its start."""
    for attempt in range(1, ATTEMPTS + 1):
        since = writing.committed_change_seq()
        locked = attempt == ATTEMPTS and not dry_run
        with transaction.atomic() if locked else contextlib.nullcontext():
            if locked:
                writing.lock()
            ctx = new_context()
            checked = check(ctx)
            results = {number: result for number, (result, _outcome) in checked.items()}
            if dry_run or _rejected(results):
                return results
            try:
                with transaction.atomic():
                    writing.lock()
                    if not locked:
                        writing.check_fresh(ctx.plan, since=since, reads=kind.reads(ctx))
                        writing.check_visible(ctx.accounts.records, by)
                    writing.write(ctx.plan, by=by)
            except (writing.Stale, IntegrityError) as exc:
                # IntegrityError: a unique row (a team member) written meanwhile by a
                # write that does not take the counter's lock first.
                if locked:
                    raise
                logger.info("import of %s checked again: %s", kind.key, exc)
                continue
        urls = Urls()
        for result, outcome in checked.values():
            if outcome is not None:
                result.url = urls.of(outcome.link)
        return results
    raise AssertionError("the last attempt holds the lock")  # pragma: no cover


def _check(kind, ctx, rows, columns, describe, progress) -> dict:
    """Check every row in memory: {row number: (RowResult, its Outcome or None)}."""
    kind.prepare(ctx, rows)
    for row in rows:
        _parse(ctx, row, columns)
    kind.gather(ctx, rows)
    checked = {}
    for done, row in enumerate(kind.order(rows), start=1):
        checked[row.number] = _row(kind, ctx, row, describe, columns)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(rows)):
            progress(done, len(rows))
    return checked


def _parse(ctx: Context, row: Row, columns: dict[str, Column]) -> None:
    for key, raw in row.raw.items():
        if values.is_blank(raw):
            continue
        try:
            row.values[key] = ctx.parse(columns[key], raw)
        except values.CellError as exc:
            row.problems.append((key, exc.message, exc.expected))


def _row(kind, ctx, row, describe, columns) -> tuple[RowResult, Outcome | None]:
    """One row through its kind's `check_row`: its result, and its outcome when it
    passed. A row with a cell that could not be read is not checked as a record; its
    other cells' own checks are still said (`_other_cells`), as they are beside a rule
    that refused the row before they were checked: the file is mended in one round."""
    if row.problems:
        problems = [describe(row, *problem) for problem in row.problems]
        problems += _other_cells(kind, row, describe, columns, _stored_for(ctx, kind, row))
        return RowResult(row.number, ERROR, problems=problems), None
    ctx.row_claims = []
    try:
        outcome: Outcome = kind.check_row(ctx, row)
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
        return RowResult(row.number, outcome.status, record=outcome.label), outcome
    for ident in ctx.row_claims:  # the row imports nothing
        ctx.seen.pop(ident, None)
    if status == ERROR and all(problems):  # a rule that stopped the check first hides no
        # cell's own problem (the API's set-based path describes none: it asks no more)
        said = {(problem.column, problem.message) for problem in problems}
        problems += [
            problem
            for problem in _other_cells(kind, row, describe, columns, _stored_for(ctx, kind, row))
            if (problem.column, problem.message) not in said
        ]
    return RowResult(row.number, status, problems=problems), None


def _stored_for(ctx, kind, row):
    try:
        return kind.stored_for(ctx, row)
    except Exception:  # a row that failed may name anything; its record is a courtesy
        logger.debug("import row %s: no stored record found", row.number, exc_info=True)
        return None


def _other_cells(kind, row, describe, columns, stored=None) -> list[Problem]:
    """The own checks (`Field.clean`: length, range, form) of the row's plain cells that
    were read, when another could not be: on a record made for this alone and never
    saved. A cell left empty is not checked (a missing value is said by the record's
    check, once the row reads), nor one holding what `stored` (the record the row is
    about, `Kind.stored_for`) holds: a value saved before a rule stays while kept, as it
    does when the row goes through (a contact's old phone number)."""
    model = kind.model
    unread = {key for key, *_rest in row.problems} | kind.ignored(row)
    plain = set(_plain_fields(model))
    names = [
        key
        for key in row.values
        if key in plain and key not in unread and key not in kind.special and row.given(key)
    ]
    if stored is not None:
        kept = set(_kept(model, {name: row.values[name] for name in names}, stored.__dict__))
        names = [name for name in names if name not in kept]
    if not names:
        return []
    record = model(**{name: row.values[name] for name in names})
    try:
        record.clean_fields(exclude=[f.name for f in model._meta.fields if f.name not in names])
    except ValidationError as exc:
        return _validation_problems(row, exc, describe, columns)
    return []


class Urls:
    """The pages of the records a run wrote, without a `reverse()` per row (a tenth of a
    millisecond each: seconds for a large file): a model's URL is reversed once with
    stand-in ids and its ids are put into that text — when that gives the URL the model
    itself gives for the first record, else every record asks its own."""

    STAND_IN = {"pk": 987654321, "account_id": 987654322}

    def __init__(self):
        self._patterns: dict = {}

    def of(self, record) -> str:
        get = getattr(record, "get_absolute_url", None)
        if get is None or record.pk is None:
            return ""
        model = type(record)
        if model not in self._patterns:
            self._patterns[model] = self._pattern(record)
        pattern = self._patterns[model]
        if pattern is None:
            return get()
        return pattern.format(pk=record.pk, account_id=getattr(record, "account_id", ""))

    def _pattern(self, record) -> str | None:
        probe = copy.copy(record)
        for name, value in self.STAND_IN.items():
            if hasattr(probe, name):
                setattr(probe, name, value)
        text = probe.get_absolute_url().replace("{", "{{").replace("}", "}}")
        for name, value in self.STAND_IN.items():
            text = text.replace(str(value), "{" + name + "}")
        pattern = text
        found = pattern.format(pk=record.pk, account_id=getattr(record, "account_id", ""))
        return pattern if found == record.get_absolute_url() else None


def _refusal(row, exc: ApplicationError, describe) -> tuple[str, list[Problem]]:
    if exc.code == "possible_duplicate":
        duplicates = exc.extra.get("duplicates", [])
        names = join_words(match["name"] for match in duplicates)
        message = exc.message + (f" ({names})" if names else "")
        # Like a record an earlier row of the file adds (`lookups.Planned`: its id the
        # row's reference, no page to open), not like one already here.
        rows = [m["id"][1] for m in duplicates if isinstance(m["id"], tuple) and m["id"][1:]]
        if duplicates and len(rows) == len(duplicates):
            message = ngettext(
                "Row %(rows)s of this file adds a record like this one (%(names)s): if they "
                "are the same, take one of the two rows out.",
                "Rows %(rows)s of this file add records like this one (%(names)s): if they "
                "are the same, keep only one of the rows.",
                len(rows),
            ) % {"rows": join_words(str(row) for row in rows), "names": names}
        status = DUPLICATE if exc.extra.get("confirmable") else ERROR
        # Said on the column that matched (a contact's phone, an account's credit code).
        matched = [match["match"] for match in exc.extra.get("duplicates", [])]
        key = next((key for key in [*matched, "name"] if key in row.mapped), "")
        expected = (
            _(
                "a record that does not exist yet, or tick the box to import the possible "
                "duplicates anyway"
            )
            if status == DUPLICATE
            else ""
        )
        return status, [describe(row, key, message, expected)]
    key = CODE_COLUMNS.get(exc.code, "")
    expected = str(CODE_EXPECTED.get(exc.code, ""))
    return ERROR, [describe(row, key if key in row.mapped else "", exc.message, expected)]


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
        labels = join_words(str(label) for _stored, label in column.choices)
        return _("one of: %(choices)s") % {"choices": labels}
    return (
        {
            "integer": _("a whole number such as 120"),
            "decimal": _("a number such as 1234.50"),
            "boolean": _("Yes or No (是 or 否)"),
            "date": _("a date such as 2025-03-31"),
            "datetime": _("a date and time such as 2025-03-31 14:30"),
            "month": _("a month such as 2025-03"),
            "user": _("the username, email address or full name of one of our people"),
            "account": _("the account's external ID, credit code or exact name"),
        }.get(kind)
        or str(_TEXT_EXPECTED.get(column.key, ""))
        or _text_length(column)
    )


def _text_length(column: Column) -> str:
    """A text column's longest value, for its length problem (Django's says what the
    text has, not what the column takes in words the rest of the file's problems use)."""
    if column.kind != "text" or not column.max_length:
        return ""
    return _("text of at most %(count)s characters") % {"count": column.max_length}


# What a text column whose field checks its form takes (Django's messages name no example).
_TEXT_EXPECTED = {
    "email": gettext_lazy("an email address such as wang@example.com"),
    "website": gettext_lazy("a web address such as https://www.example.com"),
    "phone": gettext_lazy("a phone number such as 138 0013 8000 or 010-6552 8000 转 123"),
    "credit_code": gettext_lazy(
        "a unified social credit code: 18 digits and capital letters, the last its check "
        "character, such as 91110000802100433B"
    ),
}
