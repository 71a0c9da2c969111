"""The record types an import brings in: their columns, how a row finds the record it
is about, and what it may do to it.

A row finds its record by the other system's key first (`external_id`), then by the
unified social credit code (accounts), then by the natural key: an account's exact
name; a contact's or a deal's account and name; a visit's account and time; a team
member's account and user; a month's account and month. Found, the row updates it;
not found, it creates one. Only records the importing user may see are found, through
the visibility selectors (a rep cannot reach another team's account by naming its
external ID: the row is an error, not found).

Every type but monthly sales is checked in memory (`check_row`), against what
`lookups` read for the whole file, by the rules its services apply — the same
functions: `check_account_owner`, `check_account_matches`, `check_contact_matches`,
`visit_apply`, `check_team_member`, `opportunity_open`, `opportunity_set_fields`,
`criteria_missing` and `opportunity_move_prepare` (a deal cannot skip its exit
criteria), the models' `full_clean` — so an import does what that user could do in the
forms, and no more. A checked row adds what it writes to the run's plan
(`writing.Plan`), written at the end all at once.
"""

import datetime
import decimal
import functools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils.translation import gettext as _

from .columns import Column, HeaderIndex
from .lookups import Records

CREATE, UPDATE, UNCHANGED, DUPLICATE, ERROR = (
    "create",
    "update",
    "unchanged",
    "duplicate",
    "error",
)


class RowFailed(Exception):
    """The row cannot be imported; `key` names the column at fault ("" for the row)."""

    def __init__(self, key: str, message, expected=""):
        super().__init__(message)
        self.key = key
        self.message = str(message)  # in the active language, as the report keeps it
        self.expected = str(expected)


class Outcome:
    def __init__(self, status: str, record=None, label: str = "", link=None):
        self.status = status
        self.record = record
        self.label = label or (str(record) if record is not None else "")
        self.link = link if link is not None else record  # whose page the report links


class Row:
    """One data row: the parsed value of each mapped column that is not blank."""

    def __init__(self, number: int, raw: dict, mapped: set[str]):
        self.number = number
        self.raw = raw  # key → the cell as read
        self.mapped = mapped
        self.values: dict = {}
        self.problems: list = []  # (key, message, expected) found while parsing

    def get(self, key: str, default=None):
        return self.values.get(key, default)

    def given(self, key: str) -> bool:
        return key in self.values


# --- the import types ---------------------------------------------------------------------


class Kind:
    key = ""
    label = ""
    # At least one column of each group must be mapped: what finds or makes a record.
    key_groups: tuple[tuple[str, ...], ...] = ()
    # Columns set through their own argument of the service, not as plain fields.
    special: frozenset = frozenset()

    # A type whose own code checks and writes the rows as one batch (`run_batch`), not row
    # by row through `check_row` and the plan (monthly sales: `scoring.sales`).
    checked_as_batch = False

    def run_batch(self, rows: list, *, by, dry_run: bool, describe) -> dict:
        """{row number: engine.RowResult} of a type `checked_as_batch`: every row checked,
        and written (not a dry run) only when none has an error."""
        raise NotImplementedError

    def stored_for(self, ctx, row):
        """The stored record a failing row is most likely about (its external ID, else
        its natural key), or None: the row's other cells that hold its values are not
        checked again (`engine._other_cells`), as a row that goes through leaves them
        (`_kept`). Asked of a row that failed, without changing it."""
        return None

    def ignored(self, row) -> frozenset:
        """The row's plain cells the import leaves out, so never checked (a deal's
        probability when the row says it is not set by hand)."""
        return frozenset()

    def columns(self) -> list[Column]:
        """The type's columns (their labels are lazy: read in the active language)."""
        if not hasattr(self, "_columns"):
            self._columns = self.make_columns()
        return self._columns

    def make_columns(self) -> list[Column]:
        raise NotImplementedError

    def allowed(self, user) -> bool:
        return bool(user.is_active)

    def example(self, user) -> dict:
        """An example row for the template: column key → value."""
        return {}

    def header_index(self) -> HeaderIndex:
        if not hasattr(self, "_headers"):
            self._headers = HeaderIndex.build(self.columns())
        return self._headers

    def column(self, key: str) -> Column:
        return next(column for column in self.columns() if column.key == key)

    def prepare(self, ctx, rows: list[Row]) -> None:
        """Look up, in a few queries, the accounts the rows name (before they are read)."""
        ctx.identifiers = {_raw_text(row, "account") for row in rows} - {""}
        ctx.accounts.prefetch(external_ids=ctx.identifiers)
        # A text that is an account's external ID names that account (`Accounts.find`).
        rest = ctx.identifiers - set(ctx.accounts.by_external_id)
        ctx.accounts.prefetch(names=rest, codes=rest)

    def gather(self, ctx, rows: list[Row]) -> None:
        """Look up, in a few queries, the records the rows may be about (once read)."""

    def reads(self, ctx) -> dict:
        """What the check read, for the write to tell whether it changed meanwhile:
        {model: (account ids, keys)} (`writing.check_fresh`)."""
        from accounts.models import Account

        accounts = {ref for ref in ctx.accounts.records if isinstance(ref, int)}
        return {Account: (accounts, ctx.identifiers)}

    def order(self, rows: list[Row]) -> list[Row]:
        return rows

    def fields(self, row: Row) -> dict:
        """The row's plain field values: a blank cell clears a field that may be empty
        and leaves any other alone (its default for a new record)."""
        model = self.model
        fields = {}
        for column in self.columns():
            key = column.key
            if key in self.special or key not in row.mapped:
                continue
            if row.given(key):
                fields[key] = row.get(key)
                continue
            model_field = model._meta.get_field(key)
            if model_field.null:
                fields[key] = None
            elif model_field.blank and column.kind in ("text", "choice"):
                fields[key] = ""
        return fields


def export_fields(record) -> list[str]:
    """The importable fields of an export's columns (a `keyaccounts.exports.columns
    .RecordColumns`), in their order: what the export writes is what the import reads
    back."""
    return [
        column.path
        for column in record.columns
        if column.importable and column.value is None and "." not in column.path
    ]


def _read_ids(records) -> set[int]:
    """The ids of the stored records a `lookups.Records` read (a freshness check's)."""
    return {ref for ref in records.records if isinstance(ref, int)}


def _raw_text(row: Row, key: str) -> str:
    from .reading import cell_text

    return cell_text(row.raw.get(key)).strip()


def _account_of(row: Row):
    account = row.get("account")
    if account is None:
        raise RowFailed(
            "account",
            _("No account is given."),
            _("the account's external ID, credit code or exact name"),
        )
    return account


def _check_owner_allowed(ctx, key: str, owner, current_id: int) -> None:
    """Only a manager puts someone else's name on a record (owner, logged by, followed up
    by), as the forms allow: a member of a team they manage. `current_id`: the person
    already named (the importing user for a new record), who is always fine."""
    if owner is None or owner.pk == current_id:
        return
    if ctx.manager and owner.pk in ctx.assignable:
        return
    raise RowFailed(
        key,
        _("Only a manager can name someone else here, and only a member of their teams."),
        _("your own username, or (managers) a member of the teams you manage"),
    )


@functools.cache
def _related_names(model) -> list[str]:
    """The links of `model`: a check in memory leaves them out of `full_clean` (an import
    found every linked record itself; Django would read each from the database)."""
    return [f.name for f in model._meta.get_fields() if f.concrete and f.is_relation]


def _clean(record, ref, holders, *, stored=None) -> None:
    """`full_clean` of a record checked in memory: the fields and `clean()`, then the
    unique values against `holders` (every record's, the file's own included). `stored`:
    the record as it is saved, when `record` is its update: a plain field the row leaves
    as stored (`_kept`) is not checked again (its check reads its value alone, which
    passed it when it was saved); `clean()`, which reads the record whole, always runs."""
    _clean_fields(record, stored)
    _check_unique(record, ref, holders)


def _clean_fields(record, stored=None) -> None:
    model = type(record)
    values = record.__dict__
    # A field holding the very value a blank record holds, which its field found valid
    # once, is valid again (a plain field's check reads its value alone): a new record
    # copied from the blank (`_new`) is checked only in the fields a row gave it. So is
    # a choice (or yes/no) the field passed unchanged for an earlier record (`_passed`:
    # a visit's method, status and attitude, a deal's currency, checked once a process,
    # not once a row).
    known = [name for name, value in _valid_defaults(model).items() if values.get(name) is value]
    passed = _passed(model)
    plain = {
        name: values[name]
        for name in passed
        if name in values and isinstance(values[name], _MEMO_TYPES) and name not in known
    }
    again = [name for name, value in plain.items() if (type(value), value) in passed[name]]
    kept = _kept(model, values, stored.__dict__) if stored is not None else []
    record.full_clean(
        exclude=[*_related_names(model), *known, *again, *kept],
        validate_unique=False,
        validate_constraints=False,
    )
    for name, value in plain.items():
        if values.get(name) is value and len(passed[name]) < PASSED_PER_FIELD:
            passed[name].add((type(value), value))  # its check gave it back unchanged


PASSED_PER_FIELD = 1000  # values remembered per field
# What a remembered value may be: values equal only when the same to a check (not a
# Decimal: 1.0 and 1.000 are equal, and a field with 2 decimal places refuses the second).
_MEMO_TYPES = (type(None), bool, int, str)


@functools.cache  # one per model for the process: a field's check does not change
def _passed(model) -> dict[str, set]:
    """{field name: {(type, value) its own check passed unchanged}}, for the plain
    fields (those `_valid_defaults` trusts to read their value alone) with choices, and
    the yes/no ones: values many rows repeat, none of them anybody's personal data."""
    return {
        field.name: set()
        for field in model._meta.concrete_fields
        if not field.is_relation
        and field.name == field.attname
        and (field.choices or isinstance(field, models.BooleanField))
    }


# Values whose check is the same each time: no container (`is` must mean unchanged).
_IMMUTABLE = (type(None), bool, int, float, str, bytes, decimal.Decimal)
# …and those two of which, of one type and equal, a field's own check cannot tell apart
# (a Decimal also needs its digits and exponent: 1.0 and 1.000 are equal, and a field
# with two decimal places refuses the second).
_SAME_WHEN_EQUAL = (*_IMMUTABLE, datetime.date, datetime.datetime, datetime.time)


@functools.cache
def _plain_fields(model) -> tuple[str, ...]:
    """The fields whose own check reads their value alone (no link, no other attname)."""
    return tuple(
        field.name
        for field in model._meta.concrete_fields
        if not field.is_relation and field.name == field.attname
    )


def _kept(model, values: dict, saved: dict) -> list[str]:
    """The plain fields of an update whose value is the saved one: same type, equal,
    and for a Decimal the same digits."""
    kept = []
    for name in _plain_fields(model):
        if name not in values or name not in saved:
            continue
        value, before = values[name], saved[name]
        if value is before:
            kept.append(name)
        elif (
            type(value) is type(before)
            and isinstance(value, _SAME_WHEN_EQUAL)
            and value == before
            and (not isinstance(value, decimal.Decimal) or value.as_tuple() == before.as_tuple())
        ):
            kept.append(name)
    return kept


@functools.cache  # the blank record and its fields do not change while the process runs
def _valid_defaults(model) -> dict[str, object]:
    """{field name: value} of the plain fields whose value in a blank `model()` passes the
    field's own check unchanged (`Field.clean`); empty when there is no blank to copy."""
    blank = _blank(model)
    if blank is None:
        return {}
    valid = {}
    for field in model._meta.concrete_fields:
        if field.is_relation or field.name != field.attname:
            continue
        value = getattr(blank, field.attname)
        if not isinstance(value, _IMMUTABLE):
            continue
        try:
            cleaned = field.clean(value, blank)
        except ValidationError:
            continue  # a field a row must fill: checked on every record
        if type(cleaned) is type(value) and cleaned == value:
            valid[field.name] = value
    return valid


def _check_unique(record, ref, holders) -> None:
    taken = holders.taken(record, ref)
    if any(not in_file for _name, in_file in taken):
        record.validate_unique()  # held in the database: its own message (the bin's too)
    errors = {
        name: record.unique_error_message(type(record), (name,))
        for name, in_file in taken
        if in_file
    }
    if errors:
        raise ValidationError(errors)


@functools.cache  # receivers connect when the apps load, before any import
def _blank(model):
    """A new `model()`, to copy; None when a copy would not be a new record: a field's
    default is made afresh for each (a callable: a new dict, a time), or something
    listens to a record's `__init__` (pre_init, post_init)."""
    if any(callable(f.default) for f in model._meta.concrete_fields if f.has_default()):
        return None
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return None
    return model()


def _new(model, **values):
    """`model(**values)`, made as a copy of a blank one when it may be: Django's
    `__init__` walks every field (a fifth of checking a new account)."""
    blank = _blank(model)
    if blank is None:
        return model(**values)
    record = _copy(blank)
    for name, value in values.items():
        setattr(record, name, value)
    return record


def _copy(record):
    """`copy.copy(record)` without pickling's detour (`Model.__reduce__`, a fifth of a
    row's check when 20,000 changed records were checked): the same field values, a
    state and a cache of related objects of its own."""
    state = ModelState.__new__(ModelState)
    state.__dict__.update(record._state.__dict__)
    state.fields_cache = dict(record._state.fields_cache)
    other = record.__class__.__new__(record.__class__)
    other.__dict__.update(record.__dict__)
    other._state = state
    return other


def _adopt(shared, candidate) -> None:
    """The checked `candidate` becomes the record every later row sees (`shared`, the
    object the lookups hold and other records link to)."""
    shared.__dict__.update(candidate.__dict__)


@dataclass(frozen=True)
class MatchTexts:
    """What a row is told when its record cannot be found (message, expected), per type."""

    hidden: tuple  # another record, one the user cannot see, has the external ID
    elsewhere: tuple  # the record with the external ID is at another account: %(account)s
    several: tuple  # the account has several with the natural key: %(account)s %(name)s
    # Found by its natural key, it has another external ID: %(name)s %(stored)s; None: the
    # row is another record (a visit at the same time).
    other_id: tuple | None


def find_record(row: Row, account, records: Records, *, key: str, value, texts: MatchTexts):
    """The record `row` is about among `records` (a `lookups.Records`, of `account`): by
    its external ID, else by its natural key (`key`, `value`); None when it is new.
    RowFailed when the external ID is another's, or the key is ambiguous."""
    external_id = row.get("external_id")
    record = None
    if external_id:
        record, held = records.external(external_id)
        if record is None and held:
            raise RowFailed("external_id", *texts.hidden)
        if record is not None and record.account_id != account.pk:
            message, expected = texts.elsewhere
            raise RowFailed("account", message % {"account": record.account}, expected)
    if record is None and value:
        matches = records.natural(account.pk, key, value)
        if len(matches) > 1:
            message, expected = texts.several
            raise RowFailed(key, message % {"account": account, "name": value}, expected)
        record = matches[0] if matches else None
        if record is not None and external_id and record.external_id not in (None, external_id):
            if texts.other_id is None:
                return None
            message, expected = texts.other_id
            raise RowFailed(
                "external_id", message % {"name": value, "stored": record.external_id}, expected
            )
    if record is not None:
        _keep_stored_times(row, record)
    return record


def _keep_stored_times(row: Row, record) -> None:
    """A time the row gives as an export writes it, the record's own to the second, is
    the record's (its microseconds kept): a file exported and imported again changes
    nothing."""
    for key, value in row.values.items():
        if not isinstance(value, datetime.datetime) or value.microsecond:
            continue
        stored = getattr(record, key, None)
        if (
            isinstance(stored, datetime.datetime)
            and stored.microsecond
            and stored.replace(microsecond=0) == value
        ):
            row.values[key] = stored


# The import types, each registered by its app from its `AppConfig.ready()` (`register`):
# accounts, contacts and team members (accounts/imports.py), deals (opportunities/
# imports.py), visits (visits/imports.py), monthly sales (scoring/imports.py), then
# complaints, reviews, account plans, receivables — in the order of INSTALLED_APPS.
KINDS: dict[str, Kind] = {}


def register(*kinds: Kind) -> None:
    """Offer `kinds` to imports (the page, the command, the API's bulk upsert); a type
    registered again keeps its first place."""
    for kind in kinds:
        KINDS.setdefault(kind.key, kind)


# Other names of a type: the exports' names (export_records deals, team-members, …).
KIND_ALIASES = {
    "deals": "opportunities",
    "team-members": "team",
    "monthly-sales": "monthly_sales",
    "follow-ups": "visits",  # my follow-ups and planned visits are visits
    "planned-visits": "visits",
    "plan-actions": "plan_actions",
    "review-follow-ups": "review_follow_ups",
}


def kind_named(name: str) -> Kind | None:
    return KINDS.get(KIND_ALIASES.get(name, name))


def kinds_for(user) -> list[Kind]:
    """The import types `user` may use."""
    return [kind for kind in KINDS.values() if kind.allowed(user)]
