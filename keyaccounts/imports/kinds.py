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

import decimal
import functools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.duplicates import (
    normalize_credit_code,
    normalize_email,
    normalize_name,
    normalize_phone,
)

from .columns import Column, HeaderIndex, model_columns
from .lookups import Planned, Records, new_ref
from .writing import differences

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


def export_fields(name: str) -> list[str]:
    """The importable fields of an export's columns (keyaccounts.exports.columns), in
    their order: what the export writes is what the import reads back."""
    from keyaccounts.exports import columns

    record = getattr(columns, name)
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


def _clean(record, ref, holders) -> None:
    """`full_clean` of a record checked in memory: the fields and `clean()`, then the
    unique values against `holders` (every record's, the file's own included)."""
    _clean_fields(record)
    _check_unique(record, ref, holders)


def _clean_fields(record) -> None:
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
    record.full_clean(
        exclude=[*_related_names(model), *known, *again],
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
    return record


class AccountKind(Kind):
    key = "accounts"
    label = gettext_lazy("Accounts")
    key_groups = (("external_id", "credit_code", "name"),)
    # `parent`: group customers (集团客户), resolved when its row is checked, so that a
    # parent company created by a row above is found (`_parent`).
    special = frozenset({"owner", "parent"})

    @property
    def model(self):
        from accounts.models import Account

        return Account

    def make_columns(self):
        return model_columns(
            self.model,
            [*export_fields("ACCOUNTS"), "parent"],
            aliases={
                "external_id": ["ID", "编号", "客户编号", "ERP ID"],
                "parent": ["集团/上级客户", "上级客户", "集团客户", "Parent company", "Group"],
                "name": [
                    "客户名称",
                    "客户",
                    "公司名称",
                    "单位名称",
                    "企业名称",
                    "Account",
                    "Account name",
                    "Company",
                    "Customer",
                ],
                "credit_code": ["信用代码", "社会信用代码", "统一信用代码", "USCC", "credit code"],
                "industry": ["所属行业"],
                "owner": ["客户经理", "销售", "销售负责人", "Sales rep", "Account owner"],
                "region": ["地区", "省份", "城市"],
                "employees": ["员工数", "人数"],
                "payment_terms_days": ["账期", "付款期限(天)", "账期(天)", "Payment terms"],
                "credit_limit": ["信用额度", "授信额度"],
            },  # fmt: skip
            owner={"required": False},
            parent={
                "kind": "text",
                "help": gettext_lazy(
                    "the parent company's external ID, credit code or exact name; empty: none"
                ),
            },
        )

    def example(self, user):
        return {
            "external_id": "ERP-0001",
            "name": _("Example Industrial Co., Ltd."),
            "credit_code": "91110000802100433B",
            "industry": "manufacturing",
            "region": _("East China"),
            "status": "developing",
            "owner": user.username,
            "employees": 1200,
            "annual_revenue": 56000,
        }

    def prepare(self, ctx, rows):
        keys = {
            key: {_raw_text(row, key) for row in rows} - {""}
            for key in ("external_id", "name", "credit_code")
        }
        ctx.identifiers = set().union(*keys.values())
        ctx.identifiers |= {normalize_name(name) for name in keys["name"]}
        ctx.identifiers |= {normalize_credit_code(code) for code in keys["credit_code"]}
        ctx.accounts.prefetch(
            external_ids=keys["external_id"],
            names=keys["name"],
            codes=keys["credit_code"],
            for_accounts=True,
        )
        # The parent companies the rows name, found like any account column.
        parents = {_raw_text(row, "parent") for row in rows if "parent" in row.mapped} - {""}
        if parents:
            ctx.identifiers |= parents
            ctx.accounts.prefetch(external_ids=parents, names=parents, codes=parents)

    def order(self, rows):
        """A row whose parent company is another row of the file is checked after it
        (any depth), so that a group comes in from one file in any order."""
        named = {}
        for row in rows:
            for key in ("external_id", "credit_code", "name"):
                if text := _raw_text(row, key):
                    named.setdefault(text, row)
        depth: dict[int, int] = {}

        def depth_of(row, seen=()) -> int:
            if row.number not in depth:
                above = named.get(_raw_text(row, "parent")) if "parent" in row.mapped else None
                if above is None or above is row or above.number in seen:
                    depth[row.number] = 0
                else:
                    depth[row.number] = depth_of(above, (*seen, row.number)) + 1
            return depth[row.number]

        return sorted(rows, key=depth_of)

    def gather(self, ctx, rows):
        """Which stored parent companies the user sees (one query): one they cannot see
        is written as an empty cell by the export, and kept by an empty cell."""
        from accounts.selectors import accounts_visible_to

        ids = {a.parent_id for a in ctx.accounts.records.values() if a.parent_id is not None}
        ctx.parents_seen = set(
            accounts_visible_to(ctx.by).filter(pk__in=ids).values_list("pk", flat=True)
            if ids
            else ()
        )

    def check_row(self, ctx, row):
        from accounts.models import Account
        from accounts.services import check_account_owner

        external_id, name = row.get("external_id"), row.get("name")
        code = normalize_credit_code(row.get("credit_code")) or None
        index = ctx.accounts
        ref = matched_by = None
        if external_id:
            ref, matched_by = index.by_external_id.get(external_id), "external_id"
            if ref is None and external_id in index.hidden_external_ids:
                raise RowFailed(
                    "external_id",
                    _("No account you can see has this external ID."),
                    _("the external ID of one of your accounts, or a new one"),
                )
        if ref is None and code:
            ref, matched_by = index.by_credit_code.get(code), "credit_code"
            if ref is None and code in index.hidden_credit_codes:
                raise RowFailed(
                    "credit_code",
                    _("No account you can see has this unified social credit code."),
                    _("the credit code of one of your accounts, or a new one"),
                )
        if ref is None and name:
            refs = index.by_name.get(name, [])
            if len(refs) > 1:
                raise RowFailed(
                    "name",
                    _("%(count)s accounts you can see are named “%(name)s”.")
                    % {"count": len(refs), "name": name},
                    _("the account's external ID or credit code in the row"),
                )
            ref, matched_by = (refs[0] if refs else None), "name"
        owner = row.get("owner")
        fields = self.fields(row)
        facts = {"manager": ctx.manager, "assignable": ctx.assignable}
        if ref is None:
            if not name:
                raise RowFailed(
                    "name",
                    _("No account matches this row, and a new one needs a name."),
                    _("the account's name"),
                )
            owner = owner or ctx.by
            check_account_owner(by=ctx.by, owner=owner, **facts)
            account = _new(Account, owner=owner, **fields)
            self._parent(ctx, row, account, None)
            ref = new_ref(row)
            self._clean(ctx, account, ref, check_duplicates=True)
            ctx.claim(row, ("accounts.account", ref), matched_by or "name")
            ctx.plan.create(account)
            index.add(ref, account)
            return Outcome(CREATE, account)
        stored = index.records[ref]
        ctx.claim(row, ("accounts.account", ref), matched_by)
        if external_id and stored.external_id and stored.external_id != external_id:
            raise RowFailed(
                "external_id",
                _("The account found by its %(key)s has the external ID “%(stored)s”.")
                % {"key": self.column(matched_by).label, "stored": stored.external_id},
                _("its external ID, “%(stored)s”, or an empty cell")
                % {"stored": stored.external_id},
            )
        if owner is not None:
            check_account_owner(by=ctx.by, owner=owner, account=stored, **facts)
            fields["owner"] = owner
        if external_id is None:
            fields.pop("external_id", None)  # a blank cell keeps the account's key
        account = _copy(stored)
        for key, value in fields.items():
            setattr(account, key, value)
        self._parent(ctx, row, account, stored)
        renamed = (normalize_name(account.name), normalize_credit_code(account.credit_code) or None)
        self._clean(
            ctx, account, ref, check_duplicates=renamed != (stored.name_key, stored.credit_code)
        )
        changed = differences(account, stored)
        if not changed:
            return Outcome(UNCHANGED, stored)
        before = _copy(stored)
        _adopt(stored, account)
        ctx.plan.update(stored, before, changed)
        index.add(ref, stored)
        return Outcome(UPDATE, stored)

    def _parent(self, ctx, row, account, stored) -> None:
        """The row's parent company on `account`, as `accounts.groups.check_parent`
        allows it: one the user sees (a row above may create it), never the account
        itself or one of its subsidiaries at any depth (RowFailed with the reason). An
        empty cell clears it, except a parent the user cannot see (kept)."""
        from .values import CellError

        if "parent" not in row.mapped:
            return
        text = row.get("parent")
        if not text:
            if stored is not None and stored.parent_id not in (None, *ctx.parents_seen):
                return
            account.parent = None
            return
        try:
            parent = ctx.accounts.find(text)
        except CellError as exc:
            raise RowFailed("parent", exc.message, exc.expected) from None
        if stored is not None and parent.pk == stored.pk:
            raise RowFailed(
                "parent",
                _("A company cannot be its own parent company."),
                _("another account, or an empty cell"),
            )
        if stored is not None and stored.pk in self._above(ctx, parent):
            raise RowFailed(
                "parent",
                _(
                    "%(parent)s is a subsidiary of %(account)s: a company cannot belong to "
                    "its own subsidiary."
                )
                % {"parent": parent.name, "account": stored.name},
                _("a company above this one, or an empty cell"),
            )
        account.parent = parent

    def _above(self, ctx, account) -> list:
        """The ids of the companies above `account`: as the file leaves them (the
        accounts it checked), then as stored (`accounts.groups.ancestor_ids`)."""
        from accounts.groups import ancestor_ids
        from accounts.models import Account

        field = Account._meta.get_field("parent")
        ids, current = [], account
        while current is not None and len(ids) < 10_000:
            if (
                field.is_cached(current)
                and current.parent is not None
                and current.parent.pk is None
            ):
                current = current.parent  # created by a row above
                continue
            if current.parent_id is None or current.parent_id in ids:
                break
            ids.append(current.parent_id)
            above = ctx.accounts.records.get(current.parent_id)
            if above is None:
                ids += ancestor_ids(current.parent_id)
                break
            current = above
        return ids

    def _clean(self, ctx, account, ref, *, check_duplicates: bool) -> None:
        """`account_create` / `account_update`'s checks (`_full_clean_account`), in memory:
        the fields, then likely duplicates, then the unique values."""
        from accounts.services import check_account_matches

        _clean_fields(account)
        account.set_keys()
        if check_duplicates:
            check_account_matches(
                ctx.accounts.duplicates(account, ref),
                visible=ctx.accounts.visible_alike,
                confirm_duplicate=ctx.confirm_duplicates,
            )
        _check_unique(account, ref, ctx.accounts.holders)


class ContactKind(Kind):
    key = "contacts"
    label = gettext_lazy("Contacts")
    key_groups = (("account",), ("external_id", "name"))
    special = frozenset({"account", "reports_to"})

    @property
    def model(self):
        from accounts.models import Contact

        return Contact

    def make_columns(self):
        return model_columns(
            self.model,
            export_fields("CONTACTS"),
            aliases={
                "account": [
                    "客户名称",
                    "公司",
                    "公司名称",
                    "单位",
                    "Company",
                    "Customer",
                    "Account name",
                ],
                "name": ["联系人", "联系人姓名", "姓名", "Contact", "Contact name"],
                "title": ["职位", "Job title", "Position"],
                "phone": ["手机", "手机号", "电话号码", "联系电话", "Mobile", "Tel"],
                "email": ["邮件", "电子邮箱", "电子邮件", "E-mail", "Mail"],
                "buying_role": ["角色", "Role"],
                "is_coach": ["Coach", "教练", "内线"],
                "attitude": ["态度", "Attitude"],
                "reports_to": ["上级", "汇报对象", "Boss"],
                "is_active": ["在职", "Active"],
            },  # fmt: skip
            is_active={"required": False},
        )

    def example(self, user):
        return {
            "account": "ERP-0001",
            "external_id": "C-0001",
            "name": _("Wang Jianguo"),
            "title": _("Chief engineer"),
            "department": _("Technology"),
            "phone": "138 0013 8000",
            "email": "wang@example.com",
            "buying_role": "evaluator",
            "is_coach": False,
            "influence": "high",
            "attitude": "supporter",
            "is_active": True,
        }

    def order(self, rows):
        """A contact whose boss is another row of the file comes after the boss, so the
        boss exists when the contact is saved. A loop is reported, not followed."""
        at: dict[tuple, Row] = {}
        for row in rows:
            if row.get("account") is not None and row.get("name"):
                at.setdefault((row.get("account").pk, row.get("name")), row)
        ordered, placed, visiting = [], set(), set()

        def place(row: Row) -> None:
            if id(row) in placed:
                return
            if id(row) in visiting:
                row.problems.append(
                    (
                        "reports_to",
                        _("The reporting lines of the file make a loop through this row."),
                        _("a boss who does not (through others) report to this contact"),
                    )
                )
                return
            visiting.add(id(row))
            boss = row.get("reports_to")
            if row.get("account") is not None and boss:
                boss_row = at.get((row.get("account").pk, boss))
                if boss_row is not None and boss_row is not row:
                    place(boss_row)
            visiting.discard(id(row))
            placed.add(id(row))
            ordered.append(row)

        for row in rows:
            place(row)
        return ordered

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No contact you can see has this external ID."),
            gettext_lazy("the external ID of a contact of your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The contact with this external ID is a contact of %(account)s."),
            gettext_lazy("the contact's own account"),
        ),
        several=(
            gettext_lazy("%(account)s has several contacts named “%(name)s”."),
            gettext_lazy("the contact's external ID in the row"),
        ),
        other_id=(
            gettext_lazy(
                "The contact “%(name)s” of this account has the external ID “%(stored)s”."
            ),
            gettext_lazy("its external ID, or an empty cell"),
        ),
    )

    def gather(self, ctx, rows):
        bosses = {row.get("reports_to") for row in rows}
        ids = {row.get("external_id") for row in rows} | bosses

        def names(records):  # a boss by name; a row's contact by name unless found by ID
            return {row.get("name") for row in records.unfound(rows)} | bosses

        def alike(records):  # the accounts of the rows `check_row` checks for duplicates
            if ctx.confirm_duplicates:
                return set()  # the rows' duplicates are confirmed: none is looked for
            return {
                row.get("account").pk
                for row in rows
                if row.get("account") is not None and self._checks_alike(records, row)
            }

        ctx.records = contact_records(ctx, rows, ids, names=names, alike=alike)

    @staticmethod
    def _checks_alike(records, row) -> bool:
        """Whether `check_row` may look for the row's likely duplicates: a new contact,
        or one whose account, phone number or email address the row may change (its
        check compares `_contact_keys`). Those found by external ID with the same keys
        given, or none, are not compared with the other contacts of their account."""
        stored, _held = records.external(row.get("external_id") or "")
        if stored is None:
            return True  # found by name, or new: checked (or refused) as a new one may be
        given = {
            "account": row.get("account").pk if row.get("account") is not None else None,
            "phone": normalize_phone(row.get("phone") or ""),
            "email": normalize_email(row.get("email") or ""),
        }
        kept = dict(zip(("account", "phone", "email"), _contact_keys(stored), strict=True))
        return any(given[key] != kept[key] for key in given if key in row.mapped)

    def reads(self, ctx):
        from accounts.models import Contact

        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[Contact] = (accounts, ctx.records.external_ids, _read_ids(ctx.records))
        return reads

    def check_row(self, ctx, row):
        from accounts.models import Contact
        from accounts.services import check_contact_matches

        account = _account_of(row)
        external_id, name = row.get("external_id"), row.get("name")
        contacts = ctx.records
        stored = find_record(row, account, contacts, key="name", value=name, texts=self.TEXTS)
        fields = self.fields(row)
        if "reports_to" in row.mapped:
            fields["reports_to"] = self._boss(ctx, row, account)
        if stored is None:
            contact = _new(Contact, account=account, **fields)
            ref = new_ref(row)
            _clean(contact, ref, contacts.holders)
            if not ctx.confirm_duplicates:
                check_contact_matches(self._alike(contacts, contact, ref))
            ctx.claim(row, ("accounts.contact", ref), "name")
            ctx.plan.create(contact)
            contacts.add(ref, contact)
            return Outcome(CREATE, contact, label=f"{contact.name} · {account}")
        ctx.claim(row, ("accounts.contact", stored.pk), "external_id" if external_id else "name")
        if external_id is None:
            fields.pop("external_id", None)
        contact = _copy(stored)
        for key, value in fields.items():
            setattr(contact, key, value)
        _clean(contact, stored.pk, contacts.holders)
        if not ctx.confirm_duplicates and _contact_keys(contact) != _contact_keys(stored):
            check_contact_matches(self._alike(contacts, contact, stored.pk))
        changed = differences(contact, stored)
        if not changed:
            return Outcome(UNCHANGED, stored, label=f"{stored.name} · {account}")
        before = _copy(stored)
        _adopt(stored, contact)
        ctx.plan.update(stored, before, changed)
        contacts.add(stored.pk, stored)
        return Outcome(UPDATE, stored, label=f"{stored.name} · {account}")

    def _alike(self, contacts, contact, ref) -> list:
        """`contact_duplicates` among the contacts as the file leaves them so far."""
        from accounts.selectors import contacts_alike

        refs = [other_ref for other_ref in contacts.alike(_alike_keys(contact)) if other_ref != ref]
        # Those known only by their phone number and email address, read whole at once.
        contacts.prefetch_pks(other_ref for other_ref in refs if isinstance(other_ref, int))
        others = [(contacts.records[other_ref], other_ref) for other_ref in refs]
        others.sort(key=lambda pair: (pair[0].name, pair[0].pk is None, pair[0].pk or 0))
        stand_in = {id(other): Planned(other_ref, other) for other, other_ref in others}
        return [
            (stand_in[id(other)] if other.pk is None else other, match)
            for other, match in contacts_alike(
                [other for other, _ref in others], phone=contact.phone, email=contact.email
            )
        ]

    def _boss(self, ctx, row, account):
        boss = row.get("reports_to")
        if not boss:
            return None
        by_id, _held = ctx.records.external(boss)
        if by_id is not None and by_id.account_id == account.pk:
            return by_id
        found = ctx.records.natural(account.pk, "name", boss)
        if len(found) > 1:
            raise RowFailed(
                "reports_to",
                _("%(account)s has several contacts named “%(name)s”.")
                % {"account": account, "name": boss},
                _("the boss's external ID"),
            )
        if not found:
            raise RowFailed(
                "reports_to",
                _("%(account)s has no contact “%(name)s”.") % {"account": account, "name": boss},
                _(
                    "the name or external ID of a contact of the same account, in the database "
                    "or in this file"
                ),  # fmt: skip
            )
        return found[0]


def _contact_keys(contact) -> tuple:
    return contact.account_id, normalize_phone(contact.phone), normalize_email(contact.email)


def _alike_keys(contact) -> set:
    """What two contacts of an account share when they are likely the same person."""
    keys = set()
    if phone := normalize_phone(contact.phone):
        keys.add(("phone", contact.account_id, phone))
    if email := normalize_email(contact.email):
        keys.add(("email", contact.account_id, email))
    return keys


def contact_records(ctx, rows, external_ids: set, *, names: set, alike: bool = False) -> Records:
    """The contacts the rows may name: those the user sees with `external_ids`, those of
    the rows' accounts named one of `names`, and the bosses above them, each linked to
    its boss in memory (a reporting line is walked without a query). `alike`: every
    other live contact of the rows' accounts too, by phone number and email address
    only (the duplicate check's; read in full when a row's contact is like one).
    `names` may be a function of the contacts read by external ID that gives the names
    (a row whose external ID finds its contact is not looked up by its name), `alike`
    one that gives the accounts whose other contacts to index."""
    from accounts.models import Contact
    from accounts.selectors import contacts_visible_to

    records = Records(
        Contact,
        contacts_visible_to(ctx.by),
        natural=("name",),
        alike=_alike_keys,
        alike_fields=("account_id", "phone", "email"),
    )
    accounts = {row.get("account").pk for row in rows if row.get("account") is not None}
    records.prefetch(external_ids=external_ids)
    if callable(names):
        names = names(records)
    names = sorted({name for name in names if name})
    records.prefetch(external_ids=(), natural=dict.fromkeys(accounts, names) if names else None)
    # Up the reporting lines of those read (a contact's check walks its whole line).
    while True:
        bosses = {
            contact.reports_to_id
            for contact in records.records.values()
            if contact.reports_to_id is not None and contact.reports_to_id not in records.records
        }
        if not bosses or not records.prefetch_pks(bosses):
            break
    if callable(alike):
        records.prefetch_alike(alike(records))
    elif alike:
        records.prefetch_alike(accounts)
    account_of = ctx.accounts.records
    for contact in records.records.values():
        if contact.reports_to_id in records.records:
            contact.reports_to = records.records[contact.reports_to_id]
        if contact.account_id in account_of:
            contact.account = account_of[contact.account_id]
    return records


class TeamMemberKind(Kind):
    key = "team"
    label = gettext_lazy("Account team members")
    key_groups = (("account",), ("user",), ("role",))

    @property
    def model(self):
        from accounts.models import AccountTeamMember

        return AccountTeamMember

    def make_columns(self):
        return model_columns(
            self.model,
            ["account", "user", "role"],
            aliases={
                "account": ["客户名称", "Company", "Customer"],
                "user": ["成员", "团队成员", "用户名", "Member", "Username", "Colleague"],
                "role": ["团队角色", "角色", "Team role"],
            },
        )

    def example(self, user):
        return {"account": "ERP-0001", "user": user.username, "role": "presales"}

    def gather(self, ctx, rows):
        from accounts.models import AccountTeamMember

        from .lookups import chunks

        ctx.members = {}
        accounts = {row.get("account").pk for row in rows if row.get("account") is not None}
        for chunk in chunks(accounts):
            for member in AccountTeamMember.objects.filter(account_id__in=chunk):
                ctx.members[(member.account_id, member.user_id)] = member

    def check_row(self, ctx, row):
        from accounts.models import AccountTeamMember
        from accounts.services import check_team_member

        account, user, role = _account_of(row), row.get("user"), row.get("role")
        if user is None or not role:
            raise RowFailed(
                "user" if user is None else "role",
                _("A team member needs a user and a role."),
                _("a username and one of the roles"),
            )
        stored = ctx.members.get((account.pk, user.pk))
        ctx.claim(row, ("team", account.pk, user.pk), "user")
        check_team_member(account=account, by=ctx.by, user=user, manager=ctx.manager)
        label = f"{account} · {user}"
        if stored is None:
            member = AccountTeamMember(account=account, user=user, role=role)
            ctx.plan.part(member)
            ctx.members[(account.pk, user.pk)] = member
            return Outcome(CREATE, member, label=label, link=account)
        if stored.role == role:
            return Outcome(UNCHANGED, stored, label=label, link=account)
        before = _copy(stored)
        stored.role = role
        ctx.plan.part(stored, before, ["role"])
        return Outcome(UPDATE, stored, label=label, link=account)


class OpportunityKind(Kind):
    key = "opportunities"
    label = gettext_lazy("Opportunities")
    key_groups = (("account",), ("external_id", "name"))
    special = frozenset({"account", "owner", "stage", "probability_is_custom"})

    @property
    def model(self):
        from opportunities.models import Opportunity

        return Opportunity

    def make_columns(self):
        return model_columns(
            self.model,
            export_fields("DEALS"),
            aliases={
                "account": ["客户名称", "Company", "Customer"],
                "name": [
                    "商机",
                    "商机名称",
                    "项目名称",
                    "项目",
                    "Opportunity",
                    "Deal",
                    "Deal name",
                ],
                "amount": ["商机金额", "预计金额", "Value"],
                "discount_percent": ["折扣", "折扣(%)", "折扣率", "Discount", "Discount %"],
                "stage": ["销售阶段", "Sales stage"],
                "expected_close_date": ["预计成交", "成交日期", "Close date"],
                "owner": ["销售", "Sales rep"],
            },  # fmt: skip
            owner={"required": False},
            stage={"required": False},
            probability={"required": False},
            discount_percent={"required": False},
        )

    def example(self, user):
        from opportunities.services import first_open_stage

        stage = first_open_stage()
        return {
            "account": "ERP-0001",
            "external_id": "D-0001",
            "name": _("Production line upgrade 2026"),
            "kind": "expansion",
            "owner": user.username,
            "amount": 1250000,
            "currency": "CNY",
            "expected_close_date": "2026-06-30",
            "stage": str(stage) if stage else "",
        }

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No opportunity you can see has this external ID."),
            gettext_lazy("the external ID of a deal at your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The opportunity with this external ID is at %(account)s."),
            gettext_lazy("the deal's own account"),
        ),
        several=(
            gettext_lazy("%(account)s has several opportunities named “%(name)s”."),
            gettext_lazy("the deal's external ID in the row"),
        ),
        other_id=(
            gettext_lazy(
                "The opportunity “%(name)s” at this account has the external ID “%(stored)s”."
            ),
            gettext_lazy("its external ID, or an empty cell"),
        ),
    )

    def gather(self, ctx, rows):
        from opportunities.models import CriterionCheck, ExitCriterion, Opportunity
        from opportunities.selectors import opportunities_visible_to

        from .lookups import chunks

        ctx.records = Records(
            Opportunity,
            opportunities_visible_to(ctx.by).select_related("stage"),
            natural=("name",),
        )
        # The deals the rows name: by external ID, or by name at their accounts (not
        # every deal of those accounts: a row's check needs only those it may mean).
        ctx.records.prefetch(external_ids={row.get("external_id") for row in rows})
        unfound = ctx.records.unfound(rows)
        names = sorted({row.get("name") for row in unfound} - {None, ""})
        accounts = {row.get("account").pk for row in unfound if row.get("account")}
        ctx.records.prefetch(
            external_ids=(), natural=dict.fromkeys(accounts, names) if names else None
        )
        # What a stage move checks, read once: the exit criteria, those ticked per deal.
        ctx.criteria = list(
            ExitCriterion.objects.select_related("stage").order_by("stage__order", "order", "pk")
        )
        ctx.ticked = {}
        for chunk in chunks(ctx.records.records):
            for deal_id, criterion_id in CriterionCheck.objects.filter(
                opportunity_id__in=chunk
            ).values_list("opportunity_id", "criterion_id"):
                ctx.ticked.setdefault(deal_id, set()).add(criterion_id)
        _gather_closing_gate(ctx, rows)
        stages = {stage.pk: stage for stage in ctx.stages.stages}
        for deal in ctx.records.records.values():  # linked in memory: no query per deal
            if deal.stage_id in stages:
                deal.stage = stages[deal.stage_id]
            if deal.account_id in ctx.accounts.records:
                deal.account = ctx.accounts.records[deal.account_id]

    def reads(self, ctx):
        from opportunities.models import Opportunity

        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[Opportunity] = (accounts, ctx.records.external_ids, _read_ids(ctx.records))
        return reads

    def check_row(self, ctx, row):
        """The rules of `opportunity_create` and `opportunity_update` with its stage move
        (`opportunity_build`, `opportunity_set_fields`, `criteria_missing`,
        `opportunity_move_prepare`), in memory; the deal and its `StageChange` go into
        the plan."""
        from opportunities.models import Opportunity, StageChange
        from opportunities.services import (
            criteria_missing,
            opportunity_build,
            opportunity_move_prepare,
            opportunity_open,
            opportunity_set_fields,
        )

        account = _account_of(row)
        external_id, name = row.get("external_id"), row.get("name")
        deals = ctx.records
        stored = find_record(row, account, deals, key="name", value=name, texts=self.TEXTS)
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        stage, owner = row.get("stage"), row.get("owner")
        if row.get("probability_is_custom") is False:
            # Not set by hand: the probability follows the stage (the service's rule).
            fields.pop("probability", None)
            if stored is not None:
                fields["probability"] = (stage or stored.stage).default_probability
        if stored is None:
            if not name:
                raise RowFailed("name", _("A new opportunity needs a name."), _("its name"))
            _check_owner_allowed(ctx, "owner", owner, ctx.by.pk)
            stage = stage or next((s for s in ctx.stages.stages if not s.is_closed), None)
            _check_closing_gate(ctx, None, account, stage)
            if stage is None:  # no stages at all: the service's own refusal
                opportunity_build(by=ctx.by, account=account, owner=owner, **fields)
            deal = opportunity_open(
                _new(Opportunity, account=account, owner=owner or ctx.by, stage=stage), fields
            )
            ref = new_ref(row)
            deal._import_ref = ref
            _clean(deal, ref, deals.holders)
            ctx.claim(row, ("opportunities.opportunity", ref), "name")
            change = _new(StageChange, opportunity=deal, to_stage=deal.stage, changed_by=ctx.by)
            ctx.plan.create(deal, rows=[change])
            deals.add(ref, deal)
            return Outcome(CREATE, deal, label=f"{deal} · {account}")
        ref = stored.pk if stored.pk is not None else stored._import_ref
        ctx.claim(row, ("opportunities.opportunity", ref), "external_id" if external_id else "name")
        _check_owner_allowed(ctx, "owner", owner, stored.owner_id)
        if owner is not None:
            fields["owner"] = owner
        deal = _copy(stored)
        opportunity_set_fields(deal, fields)
        moved_from = None
        if stage is not None and stage.pk != deal.stage_id:
            _check_closing_gate(ctx, stored.pk, account, stage)
            moved_from = deal.stage
            missing = criteria_missing(
                deal.stage, stage, ctx.criteria, ctx.ticked.get(deal.pk, set())
            )
            opportunity_move_prepare(deal, stage, missing=missing)
        _clean(deal, ref, deals.holders)
        changed = differences(deal, stored)
        if not changed:
            return Outcome(UNCHANGED, stored, label=f"{stored} · {account}")
        before = _copy(stored)
        _adopt(stored, deal)
        moves = []
        if moved_from is not None:
            moves = [
                _new(
                    StageChange,
                    opportunity=stored,
                    from_stage=moved_from,
                    to_stage=stage,
                    changed_by=ctx.by,
                )  # fmt: skip
            ]
        ctx.plan.update(stored, before, changed, rows=moves)
        deals.add(ref, stored)
        return Outcome(UPDATE, stored, label=f"{stored} · {account}")


def _gather_closing_gate(ctx, rows) -> None:
    """What the approval gate of closing moves (opportunities/gates.py) needs: the closing
    stages now (of the stages read already), the rest when a row first moves a deal to
    one (`_read_closing_gate`): most files move none, and a file of 500 deals whose
    amounts changed spent a fifth of its checks reading the accounts' money for nothing."""
    from opportunities.gates import closing_stage_ids

    ctx.closing_ids = closing_stage_ids(ctx.stages.stages)
    ctx.gate_rows = rows
    ctx.gate_reasons = None


def _read_closing_gate(ctx) -> None:
    """What the gate needs, read once for the file: the flagged accounts among the rows',
    the deals' approved moves."""
    from opportunities.gates import account_gate_reasons, unspent_approvals

    rows = ctx.gate_rows
    accounts = {row.get("account").pk: row.get("account") for row in rows if row.get("account")}
    ctx.gate_reasons = account_gate_reasons(accounts.values())
    ctx.approved = set()
    deal_ids = [pk for pk in ctx.records.records if isinstance(pk, int)]
    if ctx.gate_reasons and deal_ids:
        ctx.approved = set(
            unspent_approvals()
            .filter(opportunity_id__in=deal_ids)
            .values_list("opportunity_id", "to_stage_id")
        )


def _check_closing_gate(ctx, deal_id, account, stage) -> None:
    """A move (or a new deal) to a closing stage at a flagged account needs a manager's
    approval first, given on the deal's page: an import cannot give it."""
    if stage is None or stage.pk not in ctx.closing_ids:
        return
    if ctx.gate_reasons is None:
        _read_closing_gate(ctx)
    reason = ctx.gate_reasons.get(account.pk)
    if reason and (deal_id, stage.pk) not in ctx.approved:
        raise RowFailed(
            "stage",
            reason,
            _("an earlier stage, or a manager's approval first (on the deal's page)"),
        )


class VisitKind(Kind):
    key = "visits"
    label = gettext_lazy("Visits")
    key_groups = (("account",), ("external_id", "occurred_at", "planned_at"))
    special = frozenset({"account", "owner", "contacts", "attendees"})

    @property
    def model(self):
        from visits.models import Visit

        return Visit

    def make_columns(self):
        return model_columns(
            self.model,
            export_fields("VISITS"),
            aliases={
                "account": ["客户名称", "Company", "Customer"],
                "occurred_at": [
                    "拜访日期",
                    "实际拜访时间",
                    "Visit date",
                    "Date",
                    "日期",
                    "Visited on",
                ],
                "planned_at": ["计划拜访时间", "计划日期", "Planned date", "Planned"],
                "contacts": ["联系人", "客户联系人", "Contacts", "Met"],
                "attendees": ["陪同人员", "Attendees"],
                "method": ["拜访方式", "Visit method"],
                "owner": ["拜访人", "销售", "Rep"],
            },  # fmt: skip
            owner={"required": False},
            status={"required": False},
        )

    def example(self, user):
        return {
            "account": "ERP-0001",
            "external_id": "V-0001",
            "status": "done",
            "occurred_at": "2025-03-18 10:00",
            "owner": user.username,
            "contacts": _("Wang Jianguo"),
            "method": "in_person",
            "purpose": _("Present the upgrade proposal"),
            "customer_attitude": "supporter",
            "next_steps": _("Send the quotation by Friday"),
        }

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No visit you can see has this external ID."),
            gettext_lazy("the external ID of a visit at your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The visit with this external ID was at %(account)s."),
            gettext_lazy("the visit's own account"),
        ),
        several=(
            gettext_lazy("%(account)s has several visits at this time."),
            gettext_lazy("the visit's external ID in the row"),
        ),
        other_id=None,  # another system's visit at the same time: a visit of its own
    )

    def gather(self, ctx, rows):
        from visits.models import Visit
        from visits.selectors import visits_visible_to

        from .lookups import chunks

        ctx.records = Records(
            Visit, visits_visible_to(ctx.by), natural=("occurred_at", "planned_at")
        )
        ctx.records.prefetch(external_ids={row.get("external_id") for row in rows})
        times = {}
        for row in ctx.records.unfound(rows):
            if row.get("account") is not None:
                at = times.setdefault(row.get("account").pk, set())
                at |= {row.get("occurred_at"), row.get("planned_at")} - {None}
        ctx.records.prefetch(external_ids=(), natural=times)
        # Linked to their accounts in memory: a visit's name (its outcome's label) is
        # its account's, read once for the file, not once per visit.
        for visit in ctx.records.records.values():
            if visit.account_id in ctx.accounts.records:
                visit.account = ctx.accounts.records[visit.account_id]
        given = [contact for row in rows for contact in row.get("contacts", [])]
        names = {name for name in given if isinstance(name, str)}
        ctx.contacts = contact_records(ctx, rows, names, names=names)
        # Contacts given as such (a bulk job's items name them by id), read again here.
        ctx.contacts.prefetch_pks({c.pk for c in given if not isinstance(c, str)})
        # Who was met and who went, of the visits found: what a row leaves as it is.
        ctx.people = {}
        contacts_of = {}
        for name in ("contacts", "attendees"):
            through = Visit._meta.get_field(name).remote_field.through
            other = Visit._meta.get_field(name).m2m_reverse_field_name()
            # As `visit.contacts` reads them: a contact in the recycle bin is left out
            # (and its link kept by the write: `writing._set_people`).
            live = {"contact__deleted_at__isnull": True} if name == "contacts" else {}
            for chunk in chunks(ctx.records.records):
                for visit_id, other_id in through.objects.filter(
                    visit_id__in=chunk, **live
                ).values_list("visit_id", f"{other}_id"):
                    ctx.people.setdefault((visit_id, name), []).append(other_id)
                    if name == "contacts":
                        contacts_of[other_id] = None
        missing = [pk for pk in contacts_of if pk not in ctx.contacts.records]
        from accounts.models import Contact

        for chunk in chunks(missing):
            for contact in Contact.all_objects.filter(pk__in=chunk):
                ctx.contacts.records[contact.pk] = contact

    def reads(self, ctx):
        from accounts.models import Contact
        from visits.models import Visit

        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[Contact] = (accounts, set(), _read_ids(ctx.contacts))
        reads[Visit] = (accounts, ctx.records.external_ids, _read_ids(ctx.records))
        return reads

    def check_row(self, ctx, row):
        from visits.models import VisitStatus
        from visits.services import visit_apply

        account = _account_of(row)
        external_id = row.get("external_id")
        occurred, planned = row.get("occurred_at"), row.get("planned_at")
        key = "occurred_at" if occurred else "planned_at"
        visits = ctx.records
        stored = find_record(
            row, account, visits, key=key, value=occurred or planned, texts=self.TEXTS
        )
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        if "status" not in fields and stored is None:
            fields["status"] = VisitStatus.DONE if occurred else VisitStatus.PLANNED
        owner = row.get("owner")
        _check_owner_allowed(ctx, "owner", owner, stored.owner_id if stored else ctx.by.pk)
        follower = row.get("followed_up_by")
        _check_owner_allowed(
            ctx,
            "followed_up_by",
            follower,
            (stored and stored.followed_up_by_id) or ctx.by.pk,
        )
        if owner is not None:
            fields["owner"] = owner
        contacts = self._contacts(ctx, row, account, stored)
        if "attendees" in row.mapped:
            attendees = row.get("attendees", [])
        else:
            attendees = [ctx.users.by_pk[pk] for pk in self._people(ctx, stored, "attendees")]
        if stored is not None:
            ctx.claim(row, ("visits.visit", stored.pk), "external_id" if external_id else key)
        ref = stored.pk if stored is not None else new_ref(row)
        visit = visit_apply(
            visit=_copy(stored) if stored is not None else None, by=ctx.by,
            account=account, contacts=contacts, attendees=attendees, now=ctx.now,
            zone=ctx.zone, **fields,
        )  # fmt: skip
        _clean(visit, ref, visits.holders)
        people = {
            "contacts": [contact.pk for contact in contacts],
            "attendees": [user.pk for user in attendees],
        }
        if stored is None:
            ctx.claim(row, ("visits.visit", ref), "occurred_at")
            ctx.plan.create(visit, people=people)
            visits.add(ref, visit)
            return Outcome(CREATE, visit)
        same_people = all(
            set(people[name]) == set(self._people(ctx, stored, name)) for name in people
        )
        changed = differences(visit, stored)
        if not changed and same_people:
            return Outcome(UNCHANGED, stored)
        before = _copy(stored)
        _adopt(stored, visit)
        ctx.plan.update(stored, before, changed, people=None if same_people else people)
        visits.add(stored.pk, stored)
        return Outcome(UPDATE, stored)

    def _people(self, ctx, visit, name: str) -> list[int]:
        return ctx.people.get((visit.pk, name), []) if visit is not None else []

    def _contacts(self, ctx, row, account, visit) -> list:
        if "contacts" not in row.mapped:
            return [ctx.contacts.records[pk] for pk in self._people(ctx, visit, "contacts")]
        found = []
        for name in row.get("contacts", []):
            if not isinstance(name, str):  # a contact given as such, read in `gather`
                contact = ctx.contacts.records.get(name.pk)
                if contact is None or contact.account_id != account.pk:
                    raise RowFailed(
                        "contacts",
                        _("%(account)s has no contact “%(name)s”.")
                        % {"account": account, "name": name.name},
                        _("contacts of the visit's account"),
                    )
                found.append(contact)
                continue
            by_id, _held = ctx.contacts.external(name)
            matches = [by_id] if by_id is not None and by_id.account_id == account.pk else []
            matches += [
                contact
                for contact in ctx.contacts.natural(account.pk, "name", name)
                if contact not in matches
            ]
            if len(matches) != 1:
                raise RowFailed(
                    "contacts",
                    (
                        _("%(account)s has no contact “%(name)s”.")
                        if not matches
                        else _("%(account)s has several contacts named “%(name)s”.")
                    )
                    % {"account": account, "name": name},
                    _("names (or external IDs) of the account's contacts, separated by ;"),
                )
            found.append(matches[0])
        return found


class MonthlySalesKind(Kind):
    """Monthly sales and receivables: checked and written by `scoring.sales`, the same
    code as the sales page, as one batch (the rows are upserted, not saved one by one)."""

    key = "monthly_sales"
    label = gettext_lazy("Monthly sales and receivables")
    key_groups = (("account",), ("month",), ("sales",))

    @property
    def model(self):
        from scoring.models import MonthlySales

        return MonthlySales

    def allowed(self, user) -> bool:
        from accounts.selectors import is_manager

        # As on the sales page: managers import the figures.
        return bool(user.is_active) and is_manager(user)

    def make_columns(self):
        return model_columns(
            self.model,
            ["account", "month", "sales", "receivables"],
            aliases={
                "account": ["客户名称", "Company", "Customer"],
                "month": ["月", "年月", "Period"],
                "sales": ["销售额", "销售收入", "Sales"],
                "receivables": ["应收账款", "应收", "Receivables"],
            },
            account={"kind": "text"},
            month={"kind": "month"},
            receivables={"required": False},
        )

    def example(self, user):
        return {"account": "ERP-0001", "month": "2025-03", "sales": 128000, "receivables": 35000}

    def prepare(self, ctx, rows):
        pass


KINDS = {
    kind.key: kind
    for kind in (
        AccountKind(),
        ContactKind(),
        TeamMemberKind(),
        OpportunityKind(),
        VisitKind(),
        MonthlySalesKind(),
    )
}


# Other names of a type: the exports' names (export_records deals, team-members, …).
KIND_ALIASES = {"deals": "opportunities", "team-members": "team", "monthly-sales": "monthly_sales"}


def kind_named(name: str) -> Kind | None:
    return KINDS.get(KIND_ALIASES.get(name, name))


def kinds_for(user) -> list[Kind]:
    """The import types `user` may use."""
    return [kind for kind in KINDS.values() if kind.allowed(user)]
