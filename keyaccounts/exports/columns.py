"""What a spreadsheet of each record type holds: its columns, declared once.

Exports write them and imports read them back (`keyaccounts.imports` may use this
module), so a file exported in either language goes back in unchanged:

- A column is a path from the row (`"name"`, `"owner"`, `"account.score.grade"`); its
  header is the model field's verbose name in the active language ("Buying role",
  "采购角色"), unless the column names its own `label` (computed columns: grade,
  counts). `header_names()` gives a column's header in every language of the site.
- Values are what a person reads and an import can resolve: a choice by its label in
  the active language; a person on our side (owner, logged by…) by username; an
  account by its external ID if it has one, else its name; a contact (reports to) by
  name; a stage by its name in the active language; several people or contacts joined
  by `LIST_SEPARATOR`; yes/no by `BOOLEAN_LABELS`. Dates and times stay dates and times
  (times in the site's time zone, without an offset), amounts stay numbers: the writers
  (`keyaccounts.exports.writers`) decide how each looks in CSV and in XLSX.
- `importable=False` marks what is computed (grade, score, counts): shown for the
  reader, ignored by an import.
- A column naming an account (its key, which an import reads) is followed by the
  account's name (`ACCOUNT_NAME`), for the reader: an account synced from an ERP is
  known by a code. An import fills a field from the first column naming it, so this
  one is "not imported" when the file goes back in.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AccountTeamMember, Contact, User
from keyaccounts.recyclebin.labels import along_text, type_label
from keyaccounts.recyclebin.models import Deletion

# How a cell says yes and no (in the active language), and how a cell lists several.
BOOLEAN_LABELS = {True: _("Yes"), False: _("No")}
LIST_SEPARATOR = "; "

# What a column holds, when it is not read off the model field.
TEXT, NUMBER, DATE, DATETIME, BOOLEAN = "text", "number", "date", "datetime", "boolean"
CHOICE, USER, ACCOUNT, CONTACT, OBJECT = "choice", "user", "account", "contact", "object"
USERS, CONTACT_LIST = "users", "contacts"  # several, joined by LIST_SEPARATOR


@dataclass(frozen=True)
class Column:
    """One column of a record type's spreadsheet.

    `path`: attributes from the row, dot-separated; it names the model field the header
    and the kind of value come from. `label`: the header when the path is not a model
    field (or to say it better). `value`: a function of the row instead of the path.
    `kind`: what the value is, when no model field says it. `related`: what to select
    with the rows for `value` (the path's own relations are found by themselves).
    `xlsx_format`: how an XLSX cell shows the value (an Excel number format, e.g.
    "yyyy-mm" for a month held as its first day); the value stays the same.
    """

    path: str
    label: str | Promise | None = None
    kind: str | None = None
    value: Callable[[Any], Any] | None = None
    related: tuple[str, ...] = ()
    importable: bool = True
    xlsx_format: str | None = None


@dataclass(frozen=True)
class BoundColumn:
    """A column resolved against its model, ready to read rows."""

    column: Column
    field: models.Field | None
    kind: str
    # The relations to select (`select_related`) and prefetch to read it without a
    # query per row.
    select: tuple[str, ...] = ()
    prefetch: tuple[str, ...] = ()
    choices: dict = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.column.path

    @property
    def importable(self) -> bool:
        return self.column.importable

    def header(self) -> str:
        """The header in the active language."""
        if self.column.label is not None:
            return capfirst(str(self.column.label))
        return capfirst(str(self.field.verbose_name))


# The name beside an account's key (above). Its header is also what a file from another
# system calls the account column (客户名称): alone in a file, it names the account by
# name, which an import reads too.
ACCOUNT_NAME = Column("account.name", label=_("Account name"), importable=False)


def _field_chain(model, path: str) -> list[models.Field] | None:
    """The fields (and relations) `path` walks through from `model`, or None when a part
    is no model field (an annotation, a property)."""
    chain = []
    for part in path.split("."):
        if model is None:
            return None
        try:
            found = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        chain.append(found)
        model = found.related_model
    return chain


def _kind_of(model_field) -> str:
    if model_field.many_to_many:
        return USERS if model_field.related_model is User else CONTACT_LIST
    if model_field.is_relation:
        related = model_field.related_model
        if related is User:
            return USER
        if related is Account:
            return ACCOUNT
        if related is Contact:
            return CONTACT
        return OBJECT
    if model_field.choices:
        return CHOICE
    if isinstance(model_field, models.BooleanField):
        return BOOLEAN
    if isinstance(model_field, models.DateTimeField):
        return DATETIME
    if isinstance(model_field, models.DateField):
        return DATE
    if isinstance(model_field, models.DecimalField | models.IntegerField | models.FloatField):
        return NUMBER
    return TEXT


def bind(model, column: Column) -> BoundColumn:
    chain = _field_chain(model, column.path)
    model_field = chain[-1] if chain else None
    if model_field is None and (column.label is None or column.kind is None):
        raise ValueError(
            f"{model.__name__}.{column.path} is no model field: give the column a label and a kind"
        )
    kind = column.kind or _kind_of(model_field)
    select, prefetch = list(column.related), []
    if chain:
        names = [f.name for f in chain]
        # Every relation on the way, and the last field if it is itself a link.
        links = len(chain) if model_field.is_relation else len(chain) - 1
        if links and not model_field.many_to_many:
            select.append("__".join(names[:links]))
        elif model_field.many_to_many:
            prefetch.append("__".join(names))
    choices = dict(model_field.flatchoices) if kind == CHOICE and model_field else {}
    return BoundColumn(
        column=column,
        field=model_field,
        kind=kind,
        select=tuple(select),
        prefetch=tuple(prefetch),
        choices=choices,
    )


@dataclass(frozen=True)
class RecordColumns:
    """A record type's columns, in the order a spreadsheet shows them."""

    model: type[models.Model]
    columns: tuple[Column, ...]

    def bound(self) -> list[BoundColumn]:
        return [bind(self.model, column) for column in self.columns]

    def headers(self) -> list[str]:
        """The header row in the active language."""
        return [column.header() for column in self.bound()]

    def select_related(self) -> list[str]:
        return sorted({name for column in self.bound() for name in column.select})

    def prefetch_related(self) -> list[str]:
        return sorted({name for column in self.bound() for name in column.prefetch})


def header_names(column: BoundColumn) -> dict[str, str]:
    """The column's header in each language of the site: {"en": "Buying role",
    "zh-hans": "采购角色"}. What an import recognises a column by."""
    names = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names[code] = column.header()
    return names


# --- reading a row ---------------------------------------------------------------------


def _walk(row, path: str):
    value = row
    for part in path.split("."):
        # A missing one-to-one (an account not graded yet has no score) reads as None.
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def local_datetime(value: datetime.datetime) -> datetime.datetime:
    """An aware time as the site's local time without an offset (what a spreadsheet
    holds), to the second."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None, microsecond=0)


def reader(column: BoundColumn) -> Callable[[Any], Any]:
    """A function of a row giving the column's value: text, a number (int or Decimal), a
    date, a naive local datetime, or None for an empty cell. Call it in the language the
    file is written in: choices and yes/no are read in it."""
    kind, path = column.kind, column.path
    get = column.column.value or (lambda row: _walk(row, path))
    if kind == CHOICE:
        labels = {key: str(label) for key, label in column.choices.items()}
        return lambda row: _choice(get(row), labels)
    if kind == BOOLEAN:
        yes, no = str(BOOLEAN_LABELS[True]), str(BOOLEAN_LABELS[False])
        return lambda row: None if (value := get(row)) is None else (yes if value else no)
    if kind == USER:
        return lambda row: None if (user := get(row)) is None else user.get_username()
    if kind == ACCOUNT:
        return lambda row: None if (account := get(row)) is None else account_key(account)
    if kind == CONTACT:
        return lambda row: None if (contact := get(row)) is None else contact_key(contact)
    if kind == USERS:
        return lambda row: _joined(user.get_username() for user in get(row).all())
    if kind == CONTACT_LIST:
        return lambda row: _joined(contact_key(contact) for contact in get(row).all())
    if kind == DATETIME:
        return lambda row: None if (value := get(row)) is None else local_datetime(value)
    if kind == OBJECT:
        return lambda row: None if (value := get(row)) is None else str(value)
    return get


def account_key(account) -> str:
    """How a spreadsheet names an account: its external ID if it has one, else its name."""
    return account.external_id or account.name


def contact_key(contact) -> str:
    """How a spreadsheet names a contact: its external ID if it has one, else its name
    (an account often has two Zhang Weis; the import takes either)."""
    return contact.external_id or contact.name


def _choice(value, labels: dict):
    if value in (None, ""):
        return None
    return labels.get(value, value)


def _joined(values: Iterable[str]) -> str | None:
    # Sorted, so that the same people give the same cell whatever order they were added.
    text = LIST_SEPARATOR.join(sorted(values))
    return text or None


# --- the record types ------------------------------------------------------------------
# Each list page's columns first, in its order, then the rest of the record: what an
# import needs to create it again. Bookkeeping (version, created, updated) stays out.


def _purge_on(deletion: Deletion) -> datetime.date:
    return timezone.localdate(deletion.deleted_at) + datetime.timedelta(
        days=settings.RECYCLE_BIN_DAYS
    )


def _seen_parent(row):
    return row.parent if getattr(row, "parent_seen", False) else None


def _parent_name(row):
    return None if (parent := _seen_parent(row)) is None else parent.name


def _parent_external_id(row):
    return None if (parent := _seen_parent(row)) is None else parent.external_id


ACCOUNTS = RecordColumns(
    Account,
    (
        # The account list: grade, account, score, industry, region, status, owner and
        # the buying center (active contacts, a decider, a coach).
        Column("score.grade", label=_("Grade"), importable=False),
        Column("name"),
        Column("score.score", label=_("Score"), importable=False),
        Column("industry"),
        Column("region"),
        Column("status"),
        Column("owner"),
        Column("contact_count", label=_("Contacts"), kind=NUMBER, importable=False),
        Column("has_decider", label=_("Decider"), kind=BOOLEAN, importable=False),
        Column("has_coach", label=_("Coach"), kind=BOOLEAN, importable=False),
        Column("external_id"),
        Column("credit_code"),
        Column("website"),
        Column("address"),
        Column("employees"),
        Column("annual_revenue"),
        Column("annual_budget"),
        Column("growth_potential"),
        Column("credit_rating"),
        Column("debt_to_asset_ratio"),
        Column("net_profit_margin"),
        Column("return_on_assets"),
        Column("payment_cycle_days"),
        Column("inventory_cycle_days"),
        Column("customer_markets"),
        Column("logistics"),
        Column("category_purchases"),
        Column("our_share"),
        Column("purchase_cost_level"),
        Column("technology_content"),
        Column("policy_factors"),
        Column("expected_sales"),
        Column("expected_profit"),
        Column("cost_to_serve"),
        Column("notes"),
        Column("payment_terms_days"),
        Column("credit_limit"),
        # Group customers (集团客户): the parent company's name and external ID, written
        # only when the user sees it (`parent_seen`, annotated by the accounts listing);
        # the accounts import reads the parent from the first (name, ID or credit code).
        Column("parent", kind=TEXT, value=_parent_name),
        Column(
            "parent.external_id",
            label=_("Parent company's external ID"),
            kind=TEXT,
            value=_parent_external_id,
            importable=False,
        ),
    ),
)

CONTACTS = RecordColumns(
    Contact,
    (
        # The account page's contacts: name, title, buying role, attitude, reports to,
        # relationship owner; the account first, as a sheet of many accounts needs it.
        Column("account"),
        ACCOUNT_NAME,
        Column("name"),
        Column("title"),
        Column("buying_role"),
        Column("attitude"),
        Column("reports_to"),
        Column("relationship_owner"),
        Column("is_coach"),
        Column("is_active"),
        Column("left_on", importable=False),  # people move: set when they left (离职日期)
        Column("influence"),
        Column("department"),
        Column("phone"),
        Column("email"),
        Column("external_id"),
        Column("job_interests"),
        Column("personal_interests"),
        Column("personality"),
        Column("pressures"),
        Column("hobbies"),
        Column("notes"),
    ),
)

TEAM_MEMBERS = RecordColumns(
    AccountTeamMember,
    (
        # An account page's team, for many accounts: the account, the colleague (by
        # username), their role — the columns the team-member import reads.
        Column("account"),
        ACCOUNT_NAME,
        Column("user"),
        Column("role"),
    ),
)

RECYCLE_BIN = RecordColumns(
    Deletion,
    (
        # The recycle bin: what (type, name, what went along), who, when, until when.
        Column("model", label=_("Type"), kind=TEXT, value=lambda d: type_label(d.model)),
        Column("label"),
        Column("counts", kind=TEXT, value=lambda d: along_text(d.counts) or None),
        Column("deleted_by"),
        Column("deleted_at"),
        Column("purge_on", label=_("Removed for good"), kind=DATE, value=_purge_on),
    ),
)
