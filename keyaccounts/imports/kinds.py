"""The record types an import brings in: their columns, how a row finds the record it
is about, and the service that writes it.

A row finds its record by the other system's key first (`external_id`), then by the
unified social credit code (accounts), then by the natural key: an account's exact
name; a contact's or a deal's account and name; a visit's account and time; a team
member's account and user; a month's account and month. Found, the row updates it;
not found, it creates one. Only records the importing user may see are found, through
the visibility selectors, and every write goes through the service a form uses — so an
import can do exactly what that user could do in the forms, and no more: a rep cannot
reach another team's account by naming its external ID (the row is an error: not found).
"""

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.duplicates import normalize_credit_code

from .columns import Column, HeaderIndex, model_columns

CREATE, UPDATE, UNCHANGED, DUPLICATE, ERROR = (
    "create",
    "update",
    "unchanged",
    "duplicate",
    "error",
)
CHUNK = 500  # keys per IN (…) list


class RowFailed(Exception):
    """The row cannot be imported; `key` names the column at fault ("" for the row)."""

    def __init__(self, key: str, message: str, expected: str = ""):
        super().__init__(message)
        self.key = key
        self.message = message
        self.expected = expected


class Outcome:
    def __init__(self, status: str, record=None, label: str = "", url: str = ""):
        self.status = status
        self.record = record
        self.label = label or (str(record) if record is not None else "")
        self.url = url


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
        """Look up, in a few queries, what the rows refer to (before any is imported)."""
        ctx.accounts.prefetch({_raw_text(row, "account") for row in rows})

    def order(self, rows: list[Row]) -> list[Row]:
        return rows

    def import_row(self, ctx, row: Row) -> Outcome:
        raise NotImplementedError

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


def _check_owner_allowed(ctx, key: str, owner, current) -> None:
    """Only a manager puts someone else's name on a record (owner, logged by, followed up
    by), as the forms allow: a member of a team they manage. `current`: the name already
    there (the importing user's own for a new record), which is always fine."""
    from accounts.selectors import assignable_owners, can_reassign

    if owner is None or owner.pk == current.pk:
        return
    if can_reassign(ctx.by) and assignable_owners(ctx.by).filter(pk=owner.pk).exists():
        return
    raise RowFailed(
        key,
        _("Only a manager can name someone else here, and only a member of their teams."),
        _("your own username, or (managers) a member of the teams you manage"),
    )


class AccountKind(Kind):
    key = "accounts"
    label = gettext_lazy("Accounts")
    key_groups = (("external_id", "credit_code", "name"),)
    special = frozenset({"owner"})

    @property
    def model(self):
        from accounts.models import Account

        return Account

    def columns(self):
        return model_columns(
            self.model,
            export_fields("ACCOUNTS"),
            aliases={
                "external_id": ["ID", "编号", "客户编号", "ERP ID"],
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
            },  # fmt: skip
            owner={"required": False},
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
        identifiers = {
            _raw_text(row, key) for row in rows for key in ("external_id", "credit_code", "name")
        }
        ctx.accounts.prefetch(identifiers, with_hidden=True)

    def import_row(self, ctx, row):
        from accounts.models import Account
        from accounts.services import account_create, account_update

        external_id, name = row.get("external_id"), row.get("name")
        code = normalize_credit_code(row.get("credit_code")) or None
        index = ctx.accounts
        pk = matched_by = None
        if external_id:
            pk, matched_by = index.by_external_id.get(external_id), "external_id"
            if pk is None and external_id in index.hidden_external_ids:
                raise RowFailed(
                    "external_id",
                    _("No account you can see has this external ID."),
                    _("the external ID of one of your accounts, or a new one"),
                )
        if pk is None and code:
            pk, matched_by = index.by_credit_code.get(code), "credit_code"
            if pk is None and code in index.hidden_credit_codes:
                raise RowFailed(
                    "credit_code",
                    _("No account you can see has this unified social credit code."),
                    _("the credit code of one of your accounts, or a new one"),
                )
        if pk is None and name:
            pks = index.by_name.get(name, [])
            if len(pks) > 1:
                raise RowFailed(
                    "name",
                    _("%(count)s accounts you can see are named “%(name)s”.")
                    % {"count": len(pks), "name": name},
                    _("the account's external ID or credit code in the row"),
                )
            pk, matched_by = (pks[0] if pks else None), "name"
        owner = row.get("owner")
        fields = self.fields(row)
        if pk is None:
            if not name:
                raise RowFailed(
                    "name",
                    _("No account matches this row, and a new one needs a name."),
                    _("the account's name"),
                )
            account = account_create(
                by=ctx.by, owner=owner, confirm_duplicate=ctx.confirm_duplicates, **fields
            )
            index.add(account)
            ctx.claim(row, account, matched_by or "name")
            return Outcome(CREATE, account)
        account = Account.objects.get(pk=pk)
        ctx.claim(row, account, matched_by)
        if external_id and account.external_id and account.external_id != external_id:
            raise RowFailed(
                "external_id",
                _("The account found by its %(key)s has the external ID “%(stored)s”.")
                % {"key": self.column(matched_by).label, "stored": account.external_id},
                _("its external ID, “%(stored)s”, or an empty cell")
                % {"stored": account.external_id},
            )
        if owner is not None:
            fields["owner"] = owner
        if external_id is None:
            fields.pop("external_id", None)  # a blank cell keeps the account's key
        account = account_update(
            account=account, by=ctx.by, confirm_duplicate=ctx.confirm_duplicates, **fields
        )
        index.add(account)
        return Outcome(UPDATE if account.saved_changes else UNCHANGED, account)


class ContactKind(Kind):
    key = "contacts"
    label = gettext_lazy("Contacts")
    key_groups = (("account",), ("external_id", "name"))
    special = frozenset({"account", "reports_to"})

    @property
    def model(self):
        from accounts.models import Contact

        return Contact

    def columns(self):
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

    def import_row(self, ctx, row):
        from accounts.models import Contact
        from accounts.selectors import contacts_visible_to
        from accounts.services import contact_create, contact_update

        account = _account_of(row)
        external_id, name = row.get("external_id"), row.get("name")
        contact = None
        if external_id:
            contact = contacts_visible_to(ctx.by).filter(external_id=external_id).first()
            if contact is None and Contact.all_objects.filter(external_id=external_id).exists():
                raise RowFailed(
                    "external_id",
                    _("No contact you can see has this external ID."),
                    _("the external ID of a contact of your accounts, or a new one"),
                )
            if contact is not None and contact.account_id != account.pk:
                raise RowFailed(
                    "account",
                    _("The contact with this external ID is a contact of %(account)s.")
                    % {"account": contact.account},
                    _("the contact's own account"),
                )
        if contact is None and name:
            matches = list(Contact.objects.filter(account=account, name=name)[:2])
            if len(matches) > 1:
                raise RowFailed(
                    "name",
                    _("%(account)s has several contacts named “%(name)s”.")
                    % {"account": account, "name": name},
                    _("the contact's external ID in the row"),
                )
            contact = matches[0] if matches else None
            if (
                contact is not None
                and external_id
                and contact.external_id
                not in (
                    None,
                    external_id,
                )
            ):
                raise RowFailed(
                    "external_id",
                    _("The contact “%(name)s” of this account has the external ID “%(stored)s”.")
                    % {"name": name, "stored": contact.external_id},
                    _("its external ID, or an empty cell"),
                )
        fields = self.fields(row)
        if "reports_to" in row.mapped:
            fields["reports_to"] = self._boss(row, account)
        if contact is None:
            contact = contact_create(
                account=account, by=ctx.by, confirm_duplicate=ctx.confirm_duplicates, **fields
            )
            ctx.claim(row, contact, "name")
            return Outcome(CREATE, contact, label=f"{contact.name} · {account}")
        ctx.claim(row, contact, "external_id" if external_id else "name")
        if external_id is None:
            fields.pop("external_id", None)
        contact = contact_update(
            contact=contact, by=ctx.by, confirm_duplicate=ctx.confirm_duplicates, **fields
        )
        status = UPDATE if contact.saved_changes else UNCHANGED
        return Outcome(status, contact, label=f"{contact.name} · {account}")

    def _boss(self, row, account):
        from accounts.models import Contact

        boss = row.get("reports_to")
        if not boss:
            return None
        found = list(
            Contact.objects.filter(account=account)
            .filter(Q(external_id=boss) | Q(name=boss))
            .order_by("-external_id")[:2]
        )
        exact = [contact for contact in found if contact.external_id == boss]
        if exact:
            return exact[0]
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


class TeamMemberKind(Kind):
    key = "team"
    label = gettext_lazy("Account team members")
    key_groups = (("account",), ("user",), ("role",))

    @property
    def model(self):
        from accounts.models import AccountTeamMember

        return AccountTeamMember

    def columns(self):
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

    def import_row(self, ctx, row):
        from accounts.models import AccountTeamMember
        from accounts.services import team_member_set

        account, user, role = _account_of(row), row.get("user"), row.get("role")
        if user is None or not role:
            raise RowFailed(
                "user" if user is None else "role",
                _("A team member needs a user and a role."),
                _("a username and one of the roles"),
            )
        before = AccountTeamMember.objects.filter(account=account, user=user).first()
        ctx.claim(row, ("team", account.pk, user.pk), "user")
        member = team_member_set(account=account, by=ctx.by, user=user, role=role)
        if before is None:
            status = CREATE
        else:
            status = UNCHANGED if before.role == member.role else UPDATE
        return Outcome(
            status,
            member,
            label=f"{account} · {user}",
            url=account.get_absolute_url(),
        )


class OpportunityKind(Kind):
    key = "opportunities"
    label = gettext_lazy("Opportunities")
    key_groups = (("account",), ("external_id", "name"))
    special = frozenset({"account", "owner", "stage", "probability_is_custom"})

    @property
    def model(self):
        from opportunities.models import Opportunity

        return Opportunity

    def columns(self):
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
                "stage": ["销售阶段", "Sales stage"],
                "expected_close_date": ["预计成交", "成交日期", "Close date"],
                "owner": ["销售", "Sales rep"],
            },  # fmt: skip
            owner={"required": False},
            stage={"required": False},
            probability={"required": False},
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

    def import_row(self, ctx, row):
        from opportunities.models import Opportunity
        from opportunities.selectors import opportunities_visible_to
        from opportunities.services import opportunity_create, opportunity_update

        account = _account_of(row)
        external_id, name = row.get("external_id"), row.get("name")
        deal = None
        if external_id:
            deal = opportunities_visible_to(ctx.by).filter(external_id=external_id).first()
            if deal is None and Opportunity.all_objects.filter(external_id=external_id).exists():
                raise RowFailed(
                    "external_id",
                    _("No opportunity you can see has this external ID."),
                    _("the external ID of a deal at your accounts, or a new one"),
                )
            if deal is not None and deal.account_id != account.pk:
                raise RowFailed(
                    "account",
                    _("The opportunity with this external ID is at %(account)s.")
                    % {"account": deal.account},
                    _("the deal's own account"),
                )
        if deal is None and name:
            matches = list(Opportunity.objects.filter(account=account, name=name)[:2])
            if len(matches) > 1:
                raise RowFailed(
                    "name",
                    _("%(account)s has several opportunities named “%(name)s”.")
                    % {"account": account, "name": name},
                    _("the deal's external ID in the row"),
                )
            deal = matches[0] if matches else None
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        stage, owner = row.get("stage"), row.get("owner")
        if row.get("probability_is_custom") is False:
            # Not set by hand: the probability follows the stage (the service's rule).
            fields.pop("probability", None)
            if deal is not None:
                fields["probability"] = (stage or deal.stage).default_probability
        if deal is None:
            if not name:
                raise RowFailed("name", _("A new opportunity needs a name."), _("its name"))
            _check_owner_allowed(ctx, "owner", owner, ctx.by)
            deal = opportunity_create(
                by=ctx.by, account=account, stage=stage, owner=owner, **fields
            )
            ctx.claim(row, deal, "name")
            return Outcome(CREATE, deal, label=f"{deal} · {account}")
        ctx.claim(row, deal, "external_id" if external_id else "name")
        _check_owner_allowed(ctx, "owner", owner, deal.owner)
        if owner is not None:
            fields["owner"] = owner
        if stage is not None:
            fields["stage"] = stage
        deal = opportunity_update(opportunity=deal, by=ctx.by, **fields)
        status = UPDATE if getattr(deal, "saved_changes", True) else UNCHANGED
        return Outcome(status, deal, label=f"{deal} · {account}")


class VisitKind(Kind):
    key = "visits"
    label = gettext_lazy("Visits")
    key_groups = (("account",), ("external_id", "occurred_at", "planned_at"))
    special = frozenset({"account", "owner", "contacts", "attendees"})

    @property
    def model(self):
        from visits.models import Visit

        return Visit

    def columns(self):
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

    def import_row(self, ctx, row):
        from visits.models import Visit, VisitStatus
        from visits.selectors import visits_visible_to
        from visits.services import visit_save

        account = _account_of(row)
        external_id = row.get("external_id")
        occurred, planned = row.get("occurred_at"), row.get("planned_at")
        visit = None
        if external_id:
            visit = visits_visible_to(ctx.by).filter(external_id=external_id).first()
            if visit is None and Visit.all_objects.filter(external_id=external_id).exists():
                raise RowFailed(
                    "external_id",
                    _("No visit you can see has this external ID."),
                    _("the external ID of a visit at your accounts, or a new one"),
                )
            if visit is not None and visit.account_id != account.pk:
                raise RowFailed(
                    "account",
                    _("The visit with this external ID was at %(account)s.")
                    % {"account": visit.account},
                    _("the visit's own account"),
                )
        if visit is None and (occurred or planned):
            at_time = Q(occurred_at=occurred) if occurred else Q(planned_at=planned)
            matches = list(Visit.objects.filter(at_time, account=account)[:2])
            if len(matches) > 1:
                raise RowFailed(
                    "occurred_at" if occurred else "planned_at",
                    _("%(account)s has several visits at this time.") % {"account": account},
                    _("the visit's external ID in the row"),
                )
            visit = matches[0] if matches else None
            if visit is not None and external_id and visit.external_id not in (None, external_id):
                visit = None  # another system's visit at the same time: a visit of its own
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        if "status" not in fields and visit is None:
            fields["status"] = VisitStatus.DONE if occurred else VisitStatus.PLANNED
        owner = row.get("owner")
        _check_owner_allowed(ctx, "owner", owner, visit.owner if visit else ctx.by)
        follower = row.get("followed_up_by")
        _check_owner_allowed(
            ctx, "followed_up_by", follower, (visit and visit.followed_up_by) or ctx.by
        )
        if owner is not None:
            fields["owner"] = owner
        contacts = self._contacts(row, account, visit)
        attendees = (
            row.get("attendees", [])
            if "attendees" in row.mapped
            else (list(visit.attendees.all()) if visit else [])
        )
        if visit is not None:
            ctx.claim(row, visit, "external_id" if external_id else "occurred_at")
        saved = visit_save(
            by=ctx.by,
            account=account,
            visit=visit,
            contacts=contacts,
            attendees=attendees,
            **fields,
        )
        if visit is None:
            ctx.claim(row, saved, "occurred_at")
            return Outcome(CREATE, saved)
        return Outcome(UPDATE if saved.saved_changes else UNCHANGED, saved)

    def _contacts(self, row, account, visit) -> list:
        from accounts.models import Contact

        if "contacts" not in row.mapped:
            return list(visit.contacts.all()) if visit else []
        found = []
        for name in row.get("contacts", []):
            matches = list(
                Contact.objects.filter(account=account).filter(Q(external_id=name) | Q(name=name))[
                    :2
                ]
            )
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

    def columns(self):
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


# Other names of a type: the exports call opportunities "deals" (export_records deals).
KIND_ALIASES = {"deals": "opportunities"}


def kind_named(name: str) -> Kind | None:
    return KINDS.get(KIND_ALIASES.get(name, name))


def kinds_for(user) -> list[Kind]:
    """The import types `user` may use."""
    return [kind for kind in KINDS.values() if kind.allowed(user)]


# --- what the rows refer to -----------------------------------------------------------------


class Accounts:
    """The accounts the importing user may see, by external ID, credit code and exact
    name, looked up for all rows at once; accounts the import creates join in."""

    def __init__(self, by):
        self.by = by
        self.by_external_id: dict[str, int] = {}
        self.by_credit_code: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        self.hidden_external_ids: set[str] = set()
        self.hidden_credit_codes: set[str] = set()
        self._keys: dict[int, tuple] = {}  # pk → the keys it is registered under
        self._cache: dict = {}

    def prefetch(self, identifiers: set[str], *, with_hidden: bool = False) -> None:
        from accounts.models import Account
        from accounts.selectors import accounts_visible_to

        identifiers = sorted(i for i in identifiers if i)
        visible = accounts_visible_to(self.by)
        for start in range(0, len(identifiers), CHUNK):
            chunk = identifiers[start : start + CHUNK]
            codes = [c for c in {normalize_credit_code(i) for i in chunk} if len(c) == 18]
            match = Q(external_id__in=chunk) | Q(name__in=chunk) | Q(credit_code__in=codes)
            for pk, name, external_id, code in visible.filter(match).values_list(
                "pk", "name", "external_id", "credit_code"
            ):
                self._register(pk, name, external_id, code)
            if with_hidden:
                hidden = Account.all_objects.filter(
                    Q(external_id__in=chunk) | Q(credit_code__in=codes)
                ).exclude(pk__in=visible.values("pk"))
                for external_id, code in hidden.values_list("external_id", "credit_code"):
                    if external_id:
                        self.hidden_external_ids.add(external_id)
                    if code:
                        self.hidden_credit_codes.add(code)

    def _register(self, pk, name, external_id, code) -> None:
        if external_id:
            self.by_external_id[external_id] = pk
        if code:
            self.by_credit_code[code] = pk
        pks = self.by_name.setdefault(name, [])
        if pk not in pks:
            pks.append(pk)
        self._keys[pk] = (name, external_id, code)

    def add(self, account) -> None:
        """An account the import created or changed: later rows find it by its keys,
        and no longer by keys it had before."""
        name, external_id, code = self._keys.get(account.pk, (None, None, None))
        if name is not None and account.pk in self.by_name.get(name, []):
            self.by_name[name].remove(account.pk)
        if external_id and self.by_external_id.get(external_id) == account.pk:
            del self.by_external_id[external_id]
        if code and self.by_credit_code.get(code) == account.pk:
            del self.by_credit_code[code]
        self._register(account.pk, account.name, account.external_id, account.credit_code)
        self._cache.pop(account.pk, None)

    def find(self, identifier: str):
        """The account a row names (external ID, credit code, or exact name), or
        CellError."""
        from accounts.models import Account

        from .values import CellError

        pk = self.by_external_id.get(identifier)
        if pk is None:
            pk = self.by_credit_code.get(normalize_credit_code(identifier))
        if pk is None:
            pks = self.by_name.get(identifier, [])
            if len(pks) > 1:
                raise CellError(
                    _("%(count)s accounts you can see are named “%(name)s”.")
                    % {"count": len(pks), "name": identifier},
                    _("the account's external ID or credit code"),
                )
            pk = pks[0] if pks else None
        if pk is None:
            raise CellError(
                _("No account you can see has the external ID, credit code or name “%(value)s”.")
                % {"value": identifier},
                _("one of your accounts: import the accounts first, or correct the name"),
            )
        if pk not in self._cache:
            if len(self._cache) > 2000:
                self._cache.clear()
            self._cache[pk] = Account.objects.select_related("owner").get(pk=pk)
        return self._cache[pk]


class Users:
    """Our people by username, email address or full name (case ignored)."""

    def __init__(self):
        from accounts.models import User

        self.index: dict[str, list] = {}
        for user in User.objects.all():
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
                _("No user has the username, email address or name “%(value)s”.") % {"value": text},
                _("the username, email address or full name of one of our people"),
            )
        if len(found) > 1:
            raise CellError(
                _("%(count)s people are called “%(value)s”.")
                % {"count": len(found), "value": text},
                _("their username or email address"),
            )
        user = found[0]
        if not user.is_active:
            raise CellError(
                _("%(user)s can no longer log in.") % {"user": user},
                _("an active user"),
            )
        return user


class Stages:
    """Sales stages by key, English or Chinese name."""

    def __init__(self):
        from opportunities.models import Stage

        from .values import normalize

        self.stages = list(Stage.objects.order_by("order"))
        self.index = {}
        for stage in self.stages:
            for name in (stage.key, stage.name, stage.name_zh):
                if name:
                    self.index.setdefault(normalize(name), stage)

    def find(self, text: str):
        from .values import CellError, normalize

        stage = self.index.get(normalize(text))
        if stage is None:
            raise CellError(
                _("“%(value)s” is not a sales stage.") % {"value": text},
                _("one of: %(stages)s") % {"stages": ", ".join(str(s) for s in self.stages)},
            )
        return stage
