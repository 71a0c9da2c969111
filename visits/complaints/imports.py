"""Complaints from a spreadsheet (keyaccounts.imports): the `complaints` import type.

Columns are the export's importable ones (visits.complaints.exports.COMPLAINTS). A row
finds its complaint by external ID, else by its account and time received; a new one
gets its deadlines from the service level of the account's grade, counted from receipt,
as `complaint_create` gives them. A complaint handled before (status closed, with its
resolution and who confirmed) is recorded closed; otherwise the status changes only in
the app (answer, resolve, close, reopen), never by a file. Registered from
ComplaintsConfig.ready().
"""

import copy

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
    _clean,
    _raw_text,
    find_record,
)
from keyaccounts.imports.lookups import Records, new_ref, ref_of
from keyaccounts.imports.writing import differences

from .models import ComplaintStatus

EDITABLE = ("channel", "severity", "subject", "description", "received_at", "follow_up")


class ComplaintKind(Kind):
    key = "complaints"
    label = gettext_lazy("Complaints")
    key_groups = (("account",), ("subject", "external_id"))
    special = frozenset(
        {"account", "contact", "assignee", "status", "response", "resolution", "confirmation_note"}
    )

    @property
    def model(self):
        from .models import Complaint

        return Complaint

    def make_columns(self):
        return model_columns(
            self.model,
            _export_fields(),
            aliases={
                "account": ACCOUNT_ALIASES,
                "subject": ["投诉主题", "主题", "Title"],
                "description": ["投诉内容", "事情经过", "Complaint", "Details"],
                "received_at": ["投诉时间", "收到时间", "Received on", "Date", "日期"],
                "channel": ["投诉渠道", "渠道", "Channel"],
                "severity": ["严重程度", "级别", "Severity"],
                "contact": ["投诉人", "联系人", "Contact"],
                "assignee": ["负责人", "处理人", "Assigned to", "Owner"],
                "status": ["状态", "Status"],
            },
            received_at={"required": False},
            assignee={"required": False},
            status={"required": False},
        )

    def example(self, user):
        return {
            "account": "ERP-0001",
            "external_id": "C-0001",
            "subject": _("Delivery three days late"),
            "severity": "high",
            "channel": "phone",
            "received_at": "2025-03-18 10:00",
            "contact": _("Wang Jianguo"),
            "assignee": user.username,
            "description": _("The spare parts arrived on Thursday instead of Monday."),
        }

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No complaint you can see has this external ID."),
            gettext_lazy("the external ID of a complaint at your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The complaint with this external ID is of %(account)s."),
            gettext_lazy("the complaint's own account"),
        ),
        several=(
            gettext_lazy("%(account)s has several complaints received at this time."),
            gettext_lazy("the complaint's external ID in the row"),
        ),
        other_id=None,  # another system's complaint at the same time: one of its own
    )

    def gather(self, ctx, rows):
        from accounts.models import Account, AccountTeamMember

        from .models import Complaint
        from .selectors import complaints_visible_to

        times = {}
        for row in rows:
            if row.get("account") is not None and row.get("received_at") is not None:
                times.setdefault(row.get("account").pk, set()).add(row.get("received_at"))
        ctx.records = Records(Complaint, complaints_visible_to(ctx.by), natural=("received_at",))
        ctx.records.prefetch(external_ids={row.get("external_id") for row in rows}, natural=times)
        names = {_raw_text(row, "contact") for row in rows} - {""}
        ctx.contacts = contact_records(ctx, rows, names, names=names)
        accounts = {row.get("account").pk for row in rows if row.get("account") is not None}
        accounts |= {record.account_id for record in ctx.records.records.values()}
        ctx.grades = dict(
            Account.all_objects.filter(pk__in=accounts).values_list("pk", "score__grade")
        )
        ctx.handlers = set(
            AccountTeamMember.objects.filter(account_id__in=accounts).values_list(
                "account_id", "user_id"
            )
        )

    def reads(self, ctx):
        from accounts.models import Contact

        from .models import Complaint

        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[Contact] = (accounts, set())
        reads[Complaint] = (accounts, ctx.records.external_ids)
        return reads

    def check_row(self, ctx, row):
        from .services import set_deadlines

        account = _account_of(row)
        external_id = row.get("external_id")
        received = row.get("received_at")
        stored = find_record(
            row, account, ctx.records, key="received_at", value=received, texts=self.TEXTS
        )
        complaint = copy.copy(stored) if stored is not None else None
        if complaint is None:
            complaint = self.model(
                account=account, recorded_by=ctx.by, assignee=account.owner,
                received_at=received or ctx.now,
            )  # fmt: skip
        complaint.account = account
        fields = {k: v for k, v in self.fields(row).items() if k in (*EDITABLE, "external_id")}
        if external_id is None:
            fields.pop("external_id", None)
        if fields.get("received_at") is None:
            fields.pop("received_at", None)
        for name, value in fields.items():
            setattr(complaint, name, value)
        if "contact" in row.mapped:
            complaint.contact = self._contact(ctx, row, account)
        assignee = row.get("assignee")
        if assignee is not None and assignee.pk != complaint.assignee_id:
            on_team = assignee.pk == account.owner_id or (account.pk, assignee.pk) in ctx.handlers
            if not on_team or not assignee.is_active:
                raise RowFailed(
                    "assignee",
                    _("%(user)s is not on the account team of %(account)s.")
                    % {"user": assignee, "account": account},
                    _("the account's owner or a member of its team"),
                )
            complaint.assignee = assignee
        if received is not None and complaint.received_at > ctx.now:
            raise RowFailed(
                "received_at", _("A complaint cannot be received in the future."), _("a past time")
            )
        if stored is None or (
            complaint.received_at != stored.received_at and not stored.reopened_count
        ):
            set_deadlines(complaint, start=complaint.received_at, grade=ctx.grades.get(account.pk))
        self._status(ctx, row, complaint, stored)
        if stored is not None:
            ctx.claim(
                row,
                ("complaints.complaint", ref_of(stored)),
                "external_id" if external_id else "received_at",
            )
        ref = ref_of(stored) if stored is not None else new_ref(row)
        _clean(complaint, ref, ctx.records.holders)
        if stored is None:
            ctx.claim(row, ("complaints.complaint", ref), "received_at")
            ctx.plan.create(complaint)
            ctx.records.add(ref, complaint)
            return Outcome(CREATE, complaint)
        changed = differences(complaint, stored)
        if not changed:
            return Outcome(UNCHANGED, stored)
        before = copy.copy(stored)
        stored.__dict__.update(complaint.__dict__)
        ctx.plan.update(stored, before, changed)
        ctx.records.add(ref_of(stored), stored)
        return Outcome(UPDATE, stored)

    def _status(self, ctx, row, complaint, stored) -> None:
        """A new complaint is open, or closed when the file says it was handled before
        (its resolution and who confirmed); a stored one keeps its status."""
        status = row.get("status")
        if status is None or (stored is not None and status == stored.status):
            return
        if stored is not None:
            raise RowFailed(
                "status",
                _("The status of a recorded complaint changes in the app, not by a file."),
                _("the complaint's current status, or an empty cell"),
            )
        if status == ComplaintStatus.OPEN:
            return
        if status != ComplaintStatus.CLOSED:
            raise RowFailed(
                "status",
                _("A complaint comes in open, or closed when it was handled before."),
                _("open or closed"),
            )
        complaint.resolution = (row.get("resolution") or "").strip()
        complaint.confirmation_note = (row.get("confirmation_note") or "").strip()
        if not complaint.resolution:
            raise RowFailed(
                "resolution",
                _("A closed complaint needs its resolution."),
                _("how it was resolved"),
            )
        if not complaint.confirmation_note:
            raise RowFailed(
                "confirmation_note",
                _("A complaint is closed only when the customer confirms: say who did."),
                _("who at the customer confirmed, and how"),
            )
        complaint.response = (row.get("response") or "").strip()
        at = complaint.received_at
        complaint.status = ComplaintStatus.CLOSED
        complaint.responded_at = complaint.resolved_at = at
        complaint.confirmed_at = complaint.closed_at = at
        complaint.responded_by = complaint.resolved_by = complaint.closed_by = ctx.by
        complaint.resolution_working_days = 0

    def _contact(self, ctx, row, account):
        name = _raw_text(row, "contact")
        if not name:
            return None
        by_id, _held = ctx.contacts.external(name)
        matches = [by_id] if by_id is not None and by_id.account_id == account.pk else []
        matches += [
            contact
            for contact in ctx.contacts.natural(account.pk, "name", name)
            if contact not in matches
        ]
        if len(matches) != 1:
            raise RowFailed(
                "contact",
                (
                    _("%(account)s has no contact “%(name)s”.")
                    if not matches
                    else _("%(account)s has several contacts named “%(name)s”.")
                )
                % {"account": account, "name": name},
                _("the name (or external ID) of one of the account's contacts"),
            )
        return matches[0]


def _export_fields() -> list[str]:
    """The importable columns of the export, as they come back (the status and the
    texts of a closed complaint included)."""
    from .exports import COMPLAINTS

    return [column.path for column in COMPLAINTS.columns if column.importable]


def complaints_imported(sender, account_ids, record_ids=(), **kwargs) -> None:
    """Complaints written by an import: their accounts' reminder scan, once committed."""
    from keyaccounts.tasks import enqueue_on_commit
    from visits.tasks import reminders_for_account

    for account_id in sorted(account_ids):
        enqueue_on_commit(reminders_for_account, account_id)


def register() -> None:
    from keyaccounts.imports.kinds import KINDS
    from keyaccounts.imports.writing import records_imported

    from .models import Complaint

    KINDS.setdefault(ComplaintKind.key, ComplaintKind())
    records_imported.connect(complaints_imported, sender=Complaint, weak=False)
