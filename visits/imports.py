"""The visits' import type: columns, finding a visit by the other system's key or by its
account and time, and the rules of `visit_apply`. Registered from `VisitsConfig.ready()`."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports import contact_records
from keyaccounts.imports.columns import ACCOUNT_ALIASES, model_columns
from keyaccounts.imports.kinds import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Kind,
    MatchTexts,
    Outcome,
    RowFailed,
    _account_of,
    _adopt,
    _check_owner_allowed,
    _clean,
    _copy,
    _read_ids,
    export_fields,
    find_record,
    register,
)
from keyaccounts.imports.lookups import Records, new_ref, ref_of
from keyaccounts.imports.writing import differences


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
        from .exports import VISITS

        return model_columns(
            self.model,
            export_fields(VISITS),
            aliases={
                "account": ACCOUNT_ALIASES,
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
        from keyaccounts.imports.lookups import chunks
        from visits.models import Visit
        from visits.selectors import visits_visible_to

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
            ctx.claim(row, ("visits.visit", ref_of(stored)), "external_id" if external_id else key)
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


def register_kinds() -> None:
    register(VisitKind())
