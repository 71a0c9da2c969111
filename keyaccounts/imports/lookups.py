"""What the rows of a file refer to, read once per file before any row is checked.

An import checks every row in memory (`kinds`), so everything a row's check asks the
database — which account a name means, whether a credit code is taken, which contacts
an account has — is read here for all rows at once, in IN-lists of `CHUNK` keys, and
kept up to date as rows are checked: a record a row creates or changes is found by the
later rows as if it had been saved (a contact reporting to a boss created three rows
above, a second row naming the same account). A record the import creates has no id
yet: it is known by a reference `("new", row number)` until it is written.
"""

import datetime
from types import SimpleNamespace

from django.db.models import DateTimeField, Q
from django.db.models.functions import TruncSecond
from django.db.models.lookups import In
from django.utils.translation import gettext as _

from accounts.duplicates import normalize_credit_code, normalize_name

CHUNK = 1000  # keys per IN (…) list


def chunks(values) -> list[list]:
    values = sorted(v for v in set(values) if v not in (None, ""))
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def _zipped(lookups: dict[str, list[list]]) -> list[Q]:
    """`field__in=chunk` conditions ORed across fields, the n-th chunk of each field with
    the others' n-th: as many queries as the longest list has chunks."""
    parts = []
    for number in range(max((len(c) for c in lookups.values()), default=0)):
        part = Q()
        for field, field_chunks in lookups.items():
            if number < len(field_chunks):
                part |= Q(**{f"{field}__in": field_chunks[number]})
        parts.append(part)
    return parts


def _to_the_second(value):
    """A time as an export writes it and a file gives it back: to the second. A record
    written through the API or by the app's own clock holds its microseconds; its row in
    an export is still that record."""
    if isinstance(value, datetime.datetime) and value.microsecond:
        return value.replace(microsecond=0)
    return value


def _natural_match(model, name: str, values: list) -> Q:
    """The records whose natural key `name` is among `values`: a time to the second."""
    if isinstance(model._meta.get_field(name), DateTimeField):
        return Q(In(TruncSecond(name, tzinfo=datetime.UTC), values))
    return Q(**{f"{name}__in": values})


def new_ref(row) -> tuple:
    """The reference of the record a row creates, until it is written."""
    return ("new", row.number)


def ref_of(record):
    """The reference a row found `record` by: its id, or, for one an earlier row of the
    file creates (`Records.add`), that row's `new_ref` — what `Context.claim` compares."""
    return record.pk if record.pk is not None else record._import_ref


class Planned:
    """A record the import is about to create, where a rule expects a saved one (a
    possible duplicate named in a refusal): its reference for an id, no page yet."""

    def __init__(self, ref, record):
        self.pk = ref
        self.name = record.name
        self.credit_code = getattr(record, "credit_code", None)

    def get_absolute_url(self) -> str:
        return ""


class Holders:
    """Who holds each unique value (external ID, credit code) of a model, the recycle bin
    included: the database's values for the keys of the file, then the file's own.
    `taken(record, ref)` names the fields whose value another record holds."""

    def __init__(self, fields: tuple[str, ...]):
        self.fields = fields
        self.held: dict[tuple, tuple] = {}  # (field, value) → (ref, changed by the file)
        self._values: dict = {}  # ref → {field: value} as registered

    def load(self, ref, record, *, in_file: bool = False) -> None:
        for name in self.fields:
            value = getattr(record, name)
            if value:
                self.held[(name, value)] = (ref, in_file)
        self._values[ref] = {name: getattr(record, name) for name in self.fields}

    def load_values(self, ref, values: dict) -> None:
        for name, value in values.items():
            if value:
                self.held.setdefault((name, value), (ref, False))
        self._values.setdefault(ref, values)

    def update(self, ref, record) -> None:
        """`record` (known as `ref`) now holds its values; the ones it had are free."""
        for name, value in self._values.get(ref, {}).items():
            if value and self.held.get((name, value), (None,))[0] == ref:
                del self.held[(name, value)]
        self.load(ref, record, in_file=True)

    def taken(self, record, ref) -> list[tuple[str, bool]]:
        """(field, whether the holder's value comes from this file) for every unique
        value of `record` another record holds."""
        found = []
        for name in self.fields:
            value = getattr(record, name)
            holder = self.held.get((name, value)) if value else None
            if holder is not None and holder[0] != ref:
                found.append((name, holder[1]))
        return found


class Accounts:
    """The accounts the importing user may see, by external ID, credit code and exact
    name, looked up for all rows at once (their whole rows: a row's record or its
    account); accounts the import creates or changes join in as rows are checked.

    For an accounts import (`prefetch(..., for_accounts=True)`) also what its checks
    need: the keys held by accounts the user cannot see ("no account you can see has
    this external ID"), the unique values held anywhere (the recycle bin included) and
    the likely duplicates of the file's names and credit codes among all live accounts,
    with whether the user sees them."""

    def __init__(self, by):
        self.by = by
        self.records: dict = {}  # ref → Account (visible; the file's new ones too)
        self.by_external_id: dict[str, object] = {}
        self.by_credit_code: dict[str, object] = {}
        self.by_name: dict[str, list] = {}
        self.hidden_external_ids: set[str] = set()
        self.hidden_credit_codes: set[str] = set()
        self.holders = Holders(("external_id", "credit_code"))
        # Likely duplicates: name key / credit code → refs of live accounts; what a ref
        # is (Account, or Planned for a new one) and whether the user sees it.
        self.alike_names: dict[str, set] = {}
        self.alike_codes: dict[str, set] = {}
        self.alike: dict = {}
        self.visible_alike: set = set()
        # name key → accounts in the recycle bin the user may restore (a new one like
        # them is refused as `accounts.services` refuses it, IN_RECYCLE_BIN).
        self.binned_names: dict[str, list] = {}
        self._keys: dict = {}  # ref → (name, external_id, code) it is registered under
        self._alike_keys: dict = {}  # ref → (name_key, code)

    def prefetch(self, *, external_ids=(), names=(), codes=(), for_accounts: bool = False) -> None:
        """Read the visible accounts with these external IDs, exact names or credit codes
        (an account column may hold any of them: the same texts in all three)."""
        from accounts.models import Account
        from accounts.selectors import accounts_visible_to

        visible = accounts_visible_to(self.by)
        codes = {c for c in (normalize_credit_code(i) for i in codes if i) if len(c) == 18}
        # One query per CHUNK keys of each kind, the kinds ORed (an account named by its
        # external ID and its name comes once); unsorted (the model sorts by name).
        lookups = {
            "external_id": chunks(external_ids),
            "name": chunks(names),
            # unique: one found already needs no second look
            "credit_code": chunks(set(codes) - set(self.by_credit_code)),
        }
        for part in _zipped(lookups):
            for account in visible.filter(part).order_by():
                if account.pk not in self.records:
                    self._register(account.pk, account)
        if not for_accounts:
            return
        keys = {normalize_name(name) for name in names if name} - {""}
        found = {}  # pk → values, every account (the bin included) sharing a key
        fields = (
            *("pk", "name", "name_key", "external_id", "credit_code", "deleted_at"),
            *("deletion_id", "merged_into_id"),
        )
        held = {"external_id": chunks(external_ids), "credit_code": chunks(codes)}
        # The bin's accounts by name too: those the user may restore are named
        # (`_prefetch_binned`).
        for part in _zipped({**held, "name_key": chunks(keys)}):
            rows = Account.all_objects.filter(part).order_by().values(*fields)
            found.update((row["pk"], row) for row in rows)
        # Those registered above are visible; only the others are asked about.
        seen = {pk for pk in found if pk in self.records}
        for chunk in chunks(pk for pk in found if pk not in seen):
            seen.update(visible.filter(pk__in=chunk).values_list("pk", flat=True))
        for pk, row in found.items():
            self.holders.load_values(
                pk, {"external_id": row["external_id"], "credit_code": row["credit_code"]}
            )
            if pk not in seen:
                if row["external_id"]:
                    self.hidden_external_ids.add(row["external_id"])
                if row["credit_code"]:
                    self.hidden_credit_codes.add(row["credit_code"])
            if row["deleted_at"] is None:
                record = self.records.get(pk) or Account(
                    pk=pk, name=row["name"], credit_code=row["credit_code"]
                )
                self._register_alike(pk, record, row["name_key"], row["credit_code"])
                if pk in seen:
                    self.visible_alike.add(pk)
        self._prefetch_binned([row for row in found.values() if row["deleted_at"] is not None])

    def _prefetch_binned(self, rows) -> None:
        """Of the accounts in the recycle bin sharing a name key with the file, those
        the user may restore (`accounts.selectors.account_duplicates_in_bin`'s rule)."""
        from accounts.models import Account
        from keyaccounts.recyclebin.selectors import deletions_visible_to

        rows = [row for row in rows if row["merged_into_id"] is None and row["name_key"]]
        restorable = set()
        for chunk in chunks({row["deletion_id"] for row in rows} - {None}):
            restorable.update(
                deletions_visible_to(self.by).filter(pk__in=chunk).values_list("pk", flat=True)
            )
        for row in rows:
            if row["deletion_id"] in restorable:
                record = Account(pk=row["pk"], name=row["name"], name_key=row["name_key"])
                self.binned_names.setdefault(row["name_key"], []).append(record)

    def register_read(self, accounts) -> None:
        """Accounts the user sees, read by the caller (a bulk job's items name theirs by
        id: the serializer read them): kept as if read here."""
        for account in accounts:
            if account.pk not in self.records:
                self._register(account.pk, account)

    def _register(self, ref, account) -> None:
        self.records[ref] = account
        if account.external_id:
            self.by_external_id[account.external_id] = ref
        if account.credit_code:
            self.by_credit_code[account.credit_code] = ref
        refs = self.by_name.setdefault(account.name, [])
        if ref not in refs:
            refs.append(ref)
        self._keys[ref] = (account.name, account.external_id, account.credit_code)

    def _register_alike(self, ref, record, name_key: str, code: str | None) -> None:
        self.alike[ref] = record
        if name_key:
            self.alike_names.setdefault(name_key, set()).add(ref)
        if code:
            self.alike_codes.setdefault(code, set()).add(ref)
        self._alike_keys[ref] = (name_key, code)

    def add(self, ref, account) -> None:
        """An account the import creates or changes (checked, not written yet): later
        rows find it by its keys, and no longer by the keys it had before."""
        name, external_id, code = self._keys.get(ref, (None, None, None))
        if name is not None and ref in self.by_name.get(name, []):
            self.by_name[name].remove(ref)
        if external_id and self.by_external_id.get(external_id) == ref:
            del self.by_external_id[external_id]
        if code and self.by_credit_code.get(code) == ref:
            del self.by_credit_code[code]
        self._register(ref, account)
        self.holders.update(ref, account)
        name_key, code = self._alike_keys.get(ref, (None, None))
        self.alike_names.get(name_key, set()).discard(ref)
        self.alike_codes.get(code, set()).discard(ref)
        record = account if account.pk is not None else Planned(ref, account)
        self._register_alike(ref, record, account.name_key, account.credit_code)
        self.visible_alike.add(ref)  # an account one imports is one's own or one's team's

    def duplicates(self, account, ref) -> list[tuple]:
        """The likely duplicates of `account` among live accounts, as
        `accounts.selectors.account_duplicates` finds them (the same normalised name or
        credit code, itself left out, by name), each with what matched; then those in the
        recycle bin the user may restore, as `account_duplicates_in_bin` finds them."""
        code = normalize_credit_code(account.credit_code)
        refs = set()
        if account.name_key:
            refs |= self.alike_names.get(account.name_key, set())
        if code:
            refs |= self.alike_codes.get(code, set())
        refs.discard(ref)
        found = sorted(
            (self.alike[r] for r in refs),
            key=lambda other: (other.name, isinstance(other, Planned), str(other.pk)),
        )
        from accounts.services import IN_RECYCLE_BIN

        binned = sorted(
            (o for o in self.binned_names.get(account.name_key, []) if o.pk != ref),
            key=lambda other: (other.name, other.pk),
        )
        return [
            *(
                (other, "credit_code" if code and other.credit_code == code else "name")
                for other in found
            ),
            *((other, IN_RECYCLE_BIN) for other in binned),
        ]

    def find(self, identifier: str):
        """The account a row names (external ID, credit code, or exact name), or
        CellError."""
        from .values import CellError

        ref = self.by_external_id.get(identifier)
        if ref is None:
            ref = self.by_credit_code.get(normalize_credit_code(identifier))
        if ref is None:
            refs = self.by_name.get(identifier, [])
            if len(refs) > 1:
                raise CellError(
                    _("%(count)s accounts you can see are named “%(name)s”.")
                    % {"count": len(refs), "name": identifier},
                    _("the account's external ID or credit code"),
                )
            ref = refs[0] if refs else None
        if ref is None:
            raise CellError(
                _("No account you can see has the external ID, credit code or name “%(value)s”.")
                % {"value": identifier},
                _("one of your accounts: import the accounts first, or correct the name"),
            )
        return self.records[ref]


class _UsersById(dict):
    """Users by id; one that is not here yet is read (a person a stored record already
    names, such as a visit's attendee from another team, which a row leaves as it is)."""

    def __missing__(self, pk):
        from accounts.models import User

        user = self[pk] = User.objects.get(pk=pk)
        return user


class Users:
    """The people `by` may name, by username, email address or full name (case ignored):
    `accounts.selectors.users_pickable_by(by)`, the people of their own sales teams (a
    superuser: anyone active), as the forms' and the API's people pickers. Anyone else —
    another team's person, someone who left, a name nobody has — gets the same message,
    so a file never confirms who exists."""

    def __init__(self, by):
        from accounts.selectors import users_pickable_by

        self.index: dict[str, list] = {}
        self.by_pk = _UsersById()
        for user in users_pickable_by(by):
            self.by_pk[user.pk] = user
            keys = {user.username, user.email, user.get_full_name()}
            keys |= {f"{user.first_name} {user.last_name}", f"{user.last_name}{user.first_name}"}
            keys |= {f"{user.last_name} {user.first_name}"}
            for key in keys:
                key = key.strip().casefold()
                if key:
                    self.index.setdefault(key, []).append(user)

    def find(self, text: str):
        from .values import CellError

        found = self.index.get(text.strip().casefold(), [])
        exact = [user for user in found if user.username.casefold() == text.strip().casefold()]
        found = exact or list({user.pk: user for user in found}.values())
        if not found:
            raise CellError(
                _("Nobody of your sales teams has the username, email address or name “%(value)s”.")
                % {"value": text},
                _("the username, email address or full name of one of the people of your teams"),
            )
        if len(found) > 1:
            raise CellError(
                _("%(count)s people are called “%(value)s”.")
                % {"count": len(found), "value": text},
                _("their username or email address"),
            )
        return found[0]


class Records:
    """The records of one type (contacts, visits, deals) a file's rows may be about,
    read for all rows at once: those the user sees with the file's external IDs, the
    external IDs held by any record (the recycle bin included), and the live records of
    the accounts the rows name, kept up to date as rows are checked.
    `natural(account_id, field, value)`: the records of an account whose natural key (a
    contact's or a deal's name, a visit's time) is `value`; `alike(keys)`: the records
    sharing one of the `keys` that `alike_keys(record)` gives (a contact's phone)."""

    def __init__(self, model, visible, *, natural: tuple[str, ...], alike=None, alike_fields=()):
        self.model = model
        self.visible = visible  # the visibility selector's queryset of the model
        self.natural_fields = natural
        self.alike_keys = alike
        self.alike_fields = alike_fields  # what `alike` reads of a record (`prefetch_alike`)
        self.records: dict = {}  # ref → record
        self.by_external_id: dict[str, object] = {}  # visible, live
        self.external_ids: set[str] = set()  # the external IDs asked for
        self.holders = Holders(("external_id",))
        self._natural: dict[tuple, list] = {}  # (account id, field, value) → refs
        self._alike: dict = {}  # alike key → refs
        self._keys: dict = {}  # ref → (external_id, natural keys, alike keys)
        # account id → its records in the recycle bin (each with `restorable`: the user
        # may restore it), that a new one like them is checked against (a contact's:
        # `accounts.imports`).
        self.binned: dict[int, list] = {}

    def prefetch(self, *, external_ids, account_ids=(), natural: dict | None = None) -> None:
        """Read every live record of `account_ids` — or, with `natural` ({account id:
        natural key values}), only those of its accounts whose natural key is among the
        values (the visits at the file's times, not every visit of the accounts) — and
        the visible records with `external_ids` not among them. By id: the models sort by
        their account's name, a join the lookups do not need. A row whose external ID
        finds its record is not looked up by its natural key (`kinds.find_record`):
        the contacts', visits' and deals' gathers read the external IDs first, in a call
        of their own, and then the natural keys of the rows not found (`unfound`)."""
        external_ids = {i for i in external_ids if i}
        self.external_ids |= external_ids
        for chunk in chunks(account_ids):
            for record in self.model.objects.filter(account_id__in=chunk).order_by("pk"):
                self._register(record.pk, record)
        for chunk in chunks(natural or {}):
            values = sorted(
                {_to_the_second(value) for account_id in chunk for value in natural[account_id]}
            )
            for start in range(0, len(values), CHUNK):
                match = Q()
                for name in self.natural_fields:
                    match |= _natural_match(self.model, name, values[start : start + CHUNK])
                for record in self.model.objects.filter(match, account_id__in=chunk).order_by("pk"):
                    if record.pk not in self.records:
                        self._register(record.pk, record)
        for chunk in chunks(external_ids):
            for pk, external_id in self.model.all_objects.filter(external_id__in=chunk).values_list(
                "pk", "external_id"
            ):
                self.holders.load_values(pk, {"external_id": external_id})
        # The records of the accounts read above are visible (those accounts are).
        for chunk in chunks(external_ids - set(self.by_external_id)):
            for record in self.visible.filter(external_id__in=chunk).order_by("pk"):
                if record.pk not in self.records:
                    self._register(record.pk, record)

    def unfound(self, rows) -> list:
        """The rows whose external ID finds no visible record read (`prefetch`): those
        a natural key may find."""
        return [row for row in rows if row.get("external_id") not in self.by_external_id]

    def prefetch_alike(self, account_ids) -> None:
        """Index, by what `alike` compares, every live record of `account_ids` not read
        in full: only the `alike_fields` of each are read (a contact's phone number and
        email address, not its whole row), and a record is read in full when a row's
        check meets it (`prefetch_pks`). The duplicate check needs all of an account's records;
        a row's other checks need only those it names."""
        for chunk in chunks(account_ids):
            rows = self.model.objects.filter(account_id__in=chunk).order_by()
            for pk, *values in rows.values_list("pk", *self.alike_fields):
                if pk in self.records:
                    continue
                stand_in = SimpleNamespace(
                    pk=pk, **dict(zip(self.alike_fields, values, strict=True))
                )
                for key in self.alike_keys(stand_in):
                    found = self._alike.setdefault(key, [])
                    if pk not in found:
                        found.append(pk)

    def prefetch_pks(self, pks) -> list:
        """Read in full the records the user sees with these ids not read yet (a boss, a
        contact like a row's, one a bulk item names); returns them."""
        read = []
        for chunk in chunks(set(pks) - set(self.records)):
            for record in self.visible.filter(pk__in=chunk).order_by("pk"):
                self._register(record.pk, record)
                read.append(record)
        return read

    def _register(self, ref, record, *, in_file: bool = False) -> None:
        self.records[ref] = record
        if record.external_id:
            self.by_external_id[record.external_id] = ref
        natural = [
            (record.account_id, name, _to_the_second(getattr(record, name)))
            for name in self.natural_fields
            if getattr(record, name) not in (None, "")
        ]
        alike = self.alike_keys(record) if self.alike_keys else set()
        for key, index in [(key, self._natural) for key in natural] + [
            (key, self._alike) for key in alike
        ]:
            found = index.setdefault(key, [])
            if ref not in found:
                found.append(ref)
        self._keys[ref] = (record.external_id, natural, alike)
        if not in_file:
            self.holders.load(ref, record)

    def add(self, ref, record) -> None:
        """A record the import creates or changes: later rows find it as it will be."""
        external_id, natural, alike = self._keys.get(ref, (None, (), ()))
        if external_id and self.by_external_id.get(external_id) == ref:
            del self.by_external_id[external_id]
        for key, index in [(key, self._natural) for key in natural] + [
            (key, self._alike) for key in alike
        ]:
            found = index.get(key, [])
            if ref in found:
                found.remove(ref)
        if record.pk is None:
            record._import_ref = ref  # `ref_of`: a later row naming it claims the same
        self.holders.update(ref, record)
        self._register(ref, record, in_file=True)

    def external(self, external_id: str):
        """(the visible live record with this external ID or None, whether any record
        holds it)."""
        ref = self.by_external_id.get(external_id)
        held = ("external_id", external_id) in self.holders.held
        return (self.records[ref] if ref is not None else None), held

    def natural(self, account_id: int, field: str, value) -> list:
        """The records of `account_id` whose `field` is `value` (a time: to the second)."""
        key = (account_id, field, _to_the_second(value))
        return [self.records[ref] for ref in self._natural.get(key, [])]

    def alike(self, keys) -> list:
        """The refs of the records sharing one of `keys`, each once."""
        found = []
        for key in keys:
            found += [ref for ref in self._alike.get(key, []) if ref not in found]
        return found
