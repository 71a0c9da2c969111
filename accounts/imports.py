"""The import types of the account's own records: accounts, contacts (the buying
center) and account team members — their columns, how a row finds the record it is about
(keyaccounts/imports/kinds.py says how, for every type) and what it may do to it, by the
rules the services apply (`check_account_owner`, `check_account_matches`,
`check_contact_matches`, `check_team_member`). Registered from `AccountsConfig.ready()`."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.duplicates import (
    normalize_credit_code,
    normalize_email,
    normalize_name,
    normalize_phone,
    person_name_key,
)
from keyaccounts.imports.columns import ACCOUNT_ALIASES, model_columns
from keyaccounts.imports.kinds import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Kind,
    MatchTexts,
    Outcome,
    Row,
    RowFailed,
    _account_of,
    _adopt,
    _check_unique,
    _clean,
    _clean_fields,
    _copy,
    _new,
    _raw_text,
    _read_ids,
    export_fields,
    find_record,
    register,
)
from keyaccounts.imports.lookups import Planned, Records, chunks, new_ref, ref_of
from keyaccounts.imports.writing import differences


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
        from keyaccounts.exports.columns import ACCOUNTS

        return model_columns(
            self.model,
            [*export_fields(ACCOUNTS), "parent"],
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
        from keyaccounts.imports.values import CellError

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
        from keyaccounts.exports.columns import CONTACTS

        return model_columns(
            self.model,
            export_fields(CONTACTS),
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
        at: dict[tuple, Row] = {}  # (account id, name or external ID) → its row
        for row in rows:
            if row.get("account") is None:
                continue
            for key in ("external_id", "name"):  # a boss is named by either (the export:
                if row.get(key):  # by external ID when it has one, `contact_key`)
                    at.setdefault((row.get("account").pk, row.get(key)), row)
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
            "name": person_name_key(row.get("name") or ""),
        }
        kept = dict(zip(("account", "phone", "email", "name"), _contact_keys(stored), strict=True))
        return any(given[key] != kept[key] for key in given if key in row.mapped)

    def reads(self, ctx):
        from accounts.models import Contact

        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[Contact] = (accounts, ctx.records.external_ids, _read_ids(ctx.records))
        return reads

    def stored_for(self, ctx, row):
        account = row.get("account")
        records = getattr(ctx, "records", None)
        if account is None or records is None:
            return None
        if external_id := row.get("external_id"):
            stored, _held = records.external(external_id)
            return stored if stored is not None and stored.account_id == account.pk else None
        found = records.natural(account.pk, "name", row.get("name")) if row.get("name") else []
        return found[0] if len(found) == 1 else None

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
        ctx.claim(
            row, ("accounts.contact", ref_of(stored)), "external_id" if external_id else "name"
        )
        if external_id is None:
            fields.pop("external_id", None)
        contact = _copy(stored)
        for key, value in fields.items():
            setattr(contact, key, value)
        _clean(contact, stored.pk, contacts.holders, stored=stored)
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
        """`contact_duplicates` among the contacts as the file leaves them so far, then
        those in the recycle bin (to restore, or to ask whoever may)."""
        from accounts.selectors import bin_match, contacts_alike

        refs = [other_ref for other_ref in contacts.alike(_alike_keys(contact)) if other_ref != ref]
        # Those known only by their phone number and email address, read whole at once.
        contacts.prefetch_pks(other_ref for other_ref in refs if isinstance(other_ref, int))
        others = [(contacts.records[other_ref], other_ref) for other_ref in refs]
        others.sort(key=lambda pair: (pair[0].name, pair[0].pk is None, pair[0].pk or 0))
        stand_in = {id(other): Planned(other_ref, other) for other, other_ref in others}
        keys = {
            "phone": contact.phone,
            "email": contact.email,
            "name": contact.name,
            "external_id": contact.external_id,
        }
        binned = contacts.binned.get(contact.account_id, [])
        return [
            *(
                (stand_in[id(other)] if other.pk is None else other, match)
                for other, match in contacts_alike([other for other, _ref in others], **keys)
            ),
            # Those in the recycle bin, to restore or to ask for (`contacts_in_bin_alike`).
            *((other, bin_match(other)) for other, _match in contacts_alike(binned, **keys)),
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
    return (
        contact.account_id,
        normalize_phone(contact.phone),
        normalize_email(contact.email),
        person_name_key(contact.name),
    )


def _alike_keys(contact) -> set:
    """What two contacts of an account share when they are likely the same person, or
    two people a file naming one could not tell apart (`contacts_alike`)."""
    keys = set()
    if name := person_name_key(contact.name):
        keys.add(("name", contact.account_id, name))
    if phone := normalize_phone(contact.phone):
        keys.add(("phone", contact.account_id, phone))
    if email := normalize_email(contact.email):
        keys.add(("email", contact.account_id, email))
    return keys


def _binned_contacts(by, account_ids) -> dict[int, list]:
    """The contacts of `account_ids` in the recycle bin, by account, each with whether
    `by` may restore it: what `accounts.selectors.contacts_in_bin_alike` compares a new
    contact with (`binned_contacts`). One query per chunk of accounts."""
    from accounts.selectors import binned_contacts

    found: dict[int, list] = {}
    for chunk in chunks(account_ids):
        for contact in binned_contacts(chunk, user=by).order_by("name", "pk"):
            found.setdefault(contact.account_id, []).append(contact)
    return found


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
        alike_fields=("account_id", "phone", "email", "name", "external_id"),
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
    alike_accounts = alike(records) if callable(alike) else accounts if alike else set()
    if alike_accounts:
        records.prefetch_alike(alike_accounts)
        records.binned = _binned_contacts(ctx.by, alike_accounts)
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
                "account": ACCOUNT_ALIASES,
                "user": ["成员", "团队成员", "用户名", "Member", "Username", "Colleague"],
                "role": ["团队角色", "角色", "Team role"],
            },
        )

    def example(self, user):
        return {"account": "ERP-0001", "user": user.username, "role": "presales"}

    def gather(self, ctx, rows):
        from accounts.models import AccountTeamMember
        from keyaccounts.imports.lookups import chunks

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


def register_kinds() -> None:
    register(AccountKind(), ContactKind(), TeamMemberKind())
