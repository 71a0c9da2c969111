"""Writes of complaints: one function per action, keyword-only, refusals as ApplicationError.

Who may: anyone who sees the account records a complaint, answers, resolves, closes
(with the customer's confirmation) and reopens it; the owner, the assignee or a manager
assigns it; who recorded it, the owner or a manager moves it to the recycle bin. A
transition that does not fit the status is refused with what the status is and what
it needs.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, AccountTeamMember, Contact, User
from accounts.selectors import accounts_visible_to, is_manager
from accounts.services import check_restorer
from keyaccounts.exceptions import ApplicationError
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import record_restore, soft_delete
from keyaccounts.tasks import enqueue_on_commit
from keyaccounts.text import join_words
from keyaccounts.workdays import add_working_days, working_days_between

from .models import Complaint, ComplaintStatus

# What a create or an update may set directly (status and its dates move by actions).
EDITABLE_FIELDS = (
    "contact",
    "channel",
    "severity",
    "subject",
    "description",
    "received_at",
    "follow_up",
    "external_id",
)


# --- rules ------------------------------------------------------------------------------


def _check_visible(*, by: User, account: Account) -> None:
    if not accounts_visible_to(by).filter(pk=account.pk).exists():
        raise ApplicationError(
            _("You cannot record complaints for this account."), code="not_found"
        )


def check_assignee(*, account: Account, assignee: User | None) -> None:
    """The assignee is the account's owner or on its team, and active (ValidationError)."""
    if assignee is None:
        raise ValidationError({"assignee": _("Choose who handles the complaint.")})
    if not assignee.is_active:
        raise ValidationError(
            {
                "assignee": _("%(user)s is no longer active: choose someone else.")
                % {"user": assignee}
            }
        )
    on_team = (
        assignee.pk == account.owner_id
        or AccountTeamMember.objects.filter(account=account, user=assignee).exists()
    )
    if not on_team:
        raise ValidationError(
            {
                "assignee": _(
                    "%(user)s is not on the account team of %(account)s: choose the owner or "
                    "a team member."
                )
                % {"user": assignee, "account": account.name}
            }
        )


def check_contact(*, account: Account, contact: Contact | None, field: str = "contact") -> None:
    if contact is None:
        return
    if contact.account_id != account.pk or contact.is_deleted:
        raise ValidationError(
            {field: _("Choose a contact of %(account)s.") % {"account": account.name}}
        )


def can_assign(user: User, complaint: Complaint) -> bool:
    return user.pk in (complaint.account.owner_id, complaint.assignee_id) or is_manager(user)


def can_delete(user: User, complaint: Complaint) -> bool:
    return user.pk in (complaint.account.owner_id, complaint.recorded_by_id) or is_manager(user)


def _account_grade(account: Account) -> str | None:
    """The account's grade (its score row, may be missing: ungraded)."""
    return (
        Account.all_objects.filter(pk=account.pk).values_list("score__grade", flat=True).first()
        or None
    )


_READ = object()


def set_deadlines(complaint: Complaint, *, start: datetime.datetime, grade=_READ) -> None:
    """`respond_by` / `resolve_by`: the service level of the account's grade (the active
    service policy) in working days from `start`; keeps which grade and version gave them.
    `grade`: the account's, when the caller read it already (an import: one query)."""
    from accounts.policy import current_policy

    policy = current_policy()
    if grade is _READ:
        grade = _account_grade(complaint.account)
    respond_days, resolve_days = policy.service_levels(grade)
    complaint.service_grade = grade or ""
    complaint.policy_version = policy.version
    complaint.respond_days = respond_days
    complaint.resolve_days = resolve_days
    complaint.respond_by = add_working_days(start, respond_days)
    complaint.resolve_by = add_working_days(start, resolve_days)


def _refuse_status(complaint: Complaint, needs: str) -> ApplicationError:
    return ApplicationError(
        _("This complaint is %(status)s: %(needs)s")
        % {"status": complaint.get_status_display().lower(), "needs": needs},
        code="invalid_status",
    )


def _nudge_scan(account_id: int) -> None:
    from visits.tasks import reminders_for_account

    enqueue_on_commit(reminders_for_account, account_id)


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


# --- actions ----------------------------------------------------------------------------


@transaction.atomic
def complaint_create(
    *,
    by: User,
    account: Account,
    subject: str,
    assignee: User | None = None,
    received_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    status: str = ComplaintStatus.OPEN,
    **fields,
) -> Complaint:
    """Record a complaint: assigned to `assignee` (default: the account's owner), its
    deadlines from the service level of the account's grade, counted from receipt.

    `status=closed` records a historical complaint handled before (an import): it needs
    what closing needs (the resolution and the customer's confirmation)."""
    now = now or timezone.now()
    _check_visible(by=by, account=account)
    unknown = (
        set(fields)
        - set(EDITABLE_FIELDS)
        - {
            "response",
            "resolution",
            "confirmation_note",
            "confirmed_by_contact",
        }
    )
    if unknown:
        raise ValueError(f"complaint_create() got unexpected fields: {sorted(unknown)}")
    complaint = Complaint(
        account=account,
        recorded_by=by,
        subject=subject,
        received_at=received_at or now,
        assignee=assignee if assignee is not None else account.owner,
        **fields,
    )
    check_assignee(account=account, assignee=complaint.assignee)
    check_contact(account=account, contact=complaint.contact)
    if complaint.received_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"received_at": _("A complaint cannot be received in the future.")})
    set_deadlines(complaint, start=complaint.received_at)
    if status == ComplaintStatus.CLOSED:
        _close_historical(complaint, by=by, now=now)
    elif status != ComplaintStatus.OPEN:
        raise ValidationError(
            {"status": _("A new complaint is open, or closed when recorded after the fact.")}
        )
    complaint.full_clean()
    complaint.save()
    _nudge_scan(account.pk)
    return complaint


def _close_historical(complaint: Complaint, *, by: User, now: datetime.datetime) -> None:
    _require_text(
        complaint.resolution,
        "resolution",
        _("Say how it was resolved: a closed complaint has a resolution."),
    )
    check_contact(
        account=complaint.account,
        contact=complaint.confirmed_by_contact,
        field="confirmed_by_contact",
    )
    if complaint.confirmed_by_contact is None and not complaint.confirmation_note.strip():
        raise ValidationError(
            {
                "confirmation_note": _(
                    "A complaint is closed only when the customer confirms: name the contact "
                    "or say who confirmed."
                )
            }
        )
    complaint.status = ComplaintStatus.CLOSED
    complaint.responded_at = complaint.resolved_at = complaint.received_at
    complaint.confirmed_at = complaint.closed_at = complaint.received_at
    complaint.responded_by = complaint.resolved_by = complaint.closed_by = by
    complaint.resolution_working_days = Decimal("0")


@transaction.atomic
def complaint_update(
    *,
    by: User,
    complaint: Complaint,
    expected_version: int | None = None,
    assignee: User | None = None,
    **fields,
) -> Complaint:
    """Change what was recorded (contact, channel, severity, subject, what happened, when
    received, follow-up notes). A corrected receipt time moves the deadlines while the
    complaint was never reopened. `assignee` goes through `complaint_assign`'s rule."""
    _check_visible(by=by, account=complaint.account)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These are changed by the complaint's actions, not by an edit: %(fields)s")
            % {"fields": join_words(sorted(unknown))},
            code="invalid",
        )
    received_before = complaint.received_at
    for name, value in fields.items():
        setattr(complaint, name, value)
    if assignee is not None and assignee.pk != complaint.assignee_id:
        if not can_assign(by, complaint):
            raise ApplicationError(
                _("Only the account's owner, the assignee or a manager can reassign a complaint."),
                code="permission_denied",
            )
        check_assignee(account=complaint.account, assignee=assignee)
        complaint.assignee = assignee
    check_contact(account=complaint.account, contact=complaint.contact)
    if complaint.received_at != received_before and not complaint.reopened_count:
        set_deadlines(complaint, start=complaint.received_at)
    complaint.full_clean()
    complaint.save(expected_version=expected_version)
    if complaint.saved_changes:
        _nudge_scan(complaint.account_id)
    return complaint


@transaction.atomic
def complaint_assign(
    *, by: User, complaint: Complaint, assignee: User, expected_version: int | None = None
) -> Complaint:
    """Hand the complaint to someone else on the account team (owner, assignee or manager)."""
    _check_visible(by=by, account=complaint.account)
    if not can_assign(by, complaint):
        raise ApplicationError(
            _("Only the account's owner, the assignee or a manager can reassign a complaint."),
            code="permission_denied",
        )
    if complaint.status == ComplaintStatus.CLOSED:
        raise _refuse_status(complaint, _("reopen it before handing it to someone else."))
    check_assignee(account=complaint.account, assignee=assignee)
    complaint.assignee = assignee
    complaint.save(expected_version=expected_version)
    if complaint.saved_changes:
        _nudge_scan(complaint.account_id)
    return complaint


@transaction.atomic
def complaint_respond(
    *,
    by: User,
    complaint: Complaint,
    response: str,
    now: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Answer the customer: open → answered."""
    _check_visible(by=by, account=complaint.account)
    if complaint.status != ComplaintStatus.OPEN:
        raise _refuse_status(complaint, _("only an open complaint is answered."))
    complaint.response = _require_text(
        response, "response", _("Write the answer given to the customer.")
    )
    complaint.responded_at = now or timezone.now()
    complaint.responded_by = by
    complaint.status = ComplaintStatus.ANSWERED
    complaint.full_clean()
    complaint.save(expected_version=expected_version)
    return complaint


@transaction.atomic
def complaint_resolve(
    *,
    by: User,
    complaint: Complaint,
    resolution: str,
    now: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Record the resolution: open or answered → resolved (resolving an open one answers
    it too). Then the customer confirms, and it is closed."""
    _check_visible(by=by, account=complaint.account)
    if complaint.status not in (ComplaintStatus.OPEN, ComplaintStatus.ANSWERED):
        raise _refuse_status(complaint, _("only an open or answered complaint is resolved."))
    now = now or timezone.now()
    complaint.resolution = _require_text(
        resolution, "resolution", _("Say what was done to resolve it.")
    )
    if complaint.responded_at is None:
        complaint.responded_at, complaint.responded_by = now, by
    complaint.resolved_at, complaint.resolved_by = now, by
    days = max(working_days_between(complaint.clock_started_at, now), 0)
    complaint.resolution_working_days = Decimal(str(round(days, 2)))
    complaint.status = ComplaintStatus.RESOLVED
    complaint.full_clean()
    complaint.save(expected_version=expected_version)
    return complaint


@transaction.atomic
def complaint_close(
    *,
    by: User,
    complaint: Complaint,
    confirmed_by_contact: Contact | None = None,
    confirmation_note: str = "",
    confirmed_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Close a resolved complaint once the customer confirms: a contact of the account
    who confirmed, or a note of who confirmed and how."""
    _check_visible(by=by, account=complaint.account)
    if complaint.status != ComplaintStatus.RESOLVED:
        raise _refuse_status(
            complaint, _("only a resolved complaint is closed, once the customer confirms.")
        )
    now = now or timezone.now()
    check_contact(
        account=complaint.account, contact=confirmed_by_contact, field="confirmed_by_contact"
    )
    note = (confirmation_note or "").strip()
    if confirmed_by_contact is None and not note:
        raise ValidationError(
            {
                "confirmed_by_contact": _(
                    "A complaint is closed only when the customer confirms: choose the contact "
                    "who confirmed, or say who did in the note."
                )
            }
        )
    confirmed_at = confirmed_at or now
    if confirmed_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"confirmed_at": _("The confirmation cannot be in the future.")})
    if complaint.resolved_at and confirmed_at < complaint.resolved_at:
        raise ValidationError(
            {"confirmed_at": _("The customer cannot confirm before the complaint was resolved.")}
        )
    complaint.confirmed_by_contact = confirmed_by_contact
    complaint.confirmation_note = note
    complaint.confirmed_at = confirmed_at
    complaint.closed_at, complaint.closed_by = now, by
    complaint.status = ComplaintStatus.CLOSED
    complaint.full_clean()
    complaint.save(expected_version=expected_version)
    return complaint


@transaction.atomic
def complaint_reopen(
    *,
    by: User,
    complaint: Complaint,
    reason: str,
    now: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Reopen a resolved or closed complaint (the customer is not satisfied after all):
    open again, with new deadlines from now; the earlier answer, resolution and
    confirmation stay in the history."""
    _check_visible(by=by, account=complaint.account)
    if complaint.status not in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
        raise _refuse_status(complaint, _("only a resolved or closed complaint is reopened."))
    now = now or timezone.now()
    complaint.reopen_reason = _require_text(
        reason, "reason", _("Say why the complaint is reopened.")
    )
    complaint.status = ComplaintStatus.OPEN
    complaint.reopened_at = now
    complaint.reopened_count += 1
    for field in ("response", "resolution", "confirmation_note"):
        setattr(complaint, field, "")
    for field in (
        "responded_at",
        "responded_by",
        "resolved_at",
        "resolved_by",
        "resolution_working_days",
        "confirmed_at",
        "confirmed_by_contact",
        "closed_at",
        "closed_by",
    ):
        setattr(complaint, field, None)
    set_deadlines(complaint, start=now)
    complaint.full_clean()
    complaint.save(expected_version=expected_version)
    _nudge_scan(complaint.account_id)
    return complaint


@transaction.atomic
def complaint_delete(
    *, by: User, complaint: Complaint, expected_version: int | None = None
) -> Deletion:
    """Move a complaint to the recycle bin (who recorded it, the owner or a manager)."""
    complaint_delete_check(by=by, complaint=complaint)
    return soft_delete(root=complaint, by=by, expected_version=expected_version)


def complaint_delete_check(*, by: User, complaint: Complaint) -> None:
    if not can_delete(by, complaint):
        raise ApplicationError(
            _("Only who recorded it, the account's owner or a manager can delete this complaint."),
            code="permission_denied",
        )


def complaint_restore(*, by: User, complaint: Complaint) -> list:
    check_restorer(by=by, record=complaint)
    return record_restore(record=complaint, by=by)
