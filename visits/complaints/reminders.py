"""Service-level breaches of complaints, found by the one reminder scan (visits.reminders).

Not answered by `respond_by` → COMPLAINT_RESPONSE_BREACH to the assignee and
COMPLAINT_ESCALATION to the manager of the assignee's sales team (else of the owner's);
not resolved by `resolve_by` → COMPLAINT_RESOLUTION_BREACH and an escalation likewise.
Each is due on the deadline's local date, so a breach is notified exactly once (the
unique key kind, object, due date, recipient; a second scan adds nothing) and the new
deadline of a reopened complaint, once breached, is a new breach. The response and the
resolution of one complaint are two objects — `complaint:<pk>` and
`complaint:<pk>:resolution` — so their escalations never merge, even when both
deadlines fall on the same day.
"""

from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate
from django.urls import reverse
from django.utils.translation import gettext as _

from visits.models import Notification, NotificationKind
from visits.reminders import _date, insert_pages

from .models import Complaint
from .selectors import resolution_breached, response_breached

RESOLUTION_SUFFIX = ":resolution"

# The manager who hears of a breach: of the assignee's sales team, else of the owner's.
MANAGER = Coalesce(F("assignee__sales_team__manager"), F("account__owner__sales_team__manager"))


def _object_key(suffix: str):
    return Concat(
        Value("complaint:"), Cast("pk", CharField()), Value(suffix), output_field=CharField()
    )


def _scan_kind(complaints, *, kind: str, deadline: str, suffix: str, recipient) -> int:
    complaints = complaints.annotate(
        recipient_pk=recipient,
        due=TruncDate(deadline),
        key=_object_key(suffix),
    ).filter(recipient_pk__isnull=False)
    exists = Notification.objects.filter(
        kind=kind,
        object_key=OuterRef("key"),
        due_date=OuterRef("due"),
        recipient=OuterRef("recipient_pk"),
    )
    rows = complaints.filter(~Exists(exists)).values_list("pk", "account_id", "recipient_pk", "due")
    return insert_pages(
        rows,
        lambda pk, account_id, recipient_pk, due: Notification(
            kind=kind,
            object_key=f"complaint:{pk}{suffix}",
            due_date=due,
            recipient_id=recipient_pk,
            account_id=account_id,
        ),
    )


def complaint_breaches_scan(*, now, today, account_ids) -> int:
    """Insert the breach notifications and escalations not made yet; return how many."""
    complaints = Complaint.objects.filter(account__deleted_at__isnull=True)
    if account_ids is not None:
        complaints = complaints.filter(account_id__in=list(account_ids))
    created = 0
    for breached, deadline, suffix, kind in (
        (
            response_breached(now),
            "respond_by",
            "",
            NotificationKind.COMPLAINT_RESPONSE_BREACH,
        ),
        (
            resolution_breached(now),
            "resolve_by",
            RESOLUTION_SUFFIX,
            NotificationKind.COMPLAINT_RESOLUTION_BREACH,
        ),
    ):
        late = complaints.filter(breached)
        created += _scan_kind(
            late.filter(assignee__is_active=True),
            kind=kind,
            deadline=deadline,
            suffix=suffix,
            recipient=F("assignee"),
        )
        managers = late.annotate(manager_pk=MANAGER).filter(
            Q(assignee__sales_team__manager__is_active=True)
            | Q(
                assignee__sales_team__manager__isnull=True,
                account__owner__sales_team__manager__is_active=True,
            )
        )
        created += _scan_kind(
            managers.exclude(manager_pk=F("assignee")),
            kind=NotificationKind.COMPLAINT_ESCALATION,
            deadline=deadline,
            suffix=suffix,
            recipient=F("manager_pk"),
        )
    return created


# --- how they read ----------------------------------------------------------------------


def _complaint_pk(notification: Notification) -> int | None:
    key = notification.object_key.removeprefix("complaint:").removesuffix(RESOLUTION_SUFFIX)
    return int(key) if key.isdigit() else None


def complaint_notification_path(notification: Notification) -> str:
    pk = _complaint_pk(notification)
    if pk is None:
        return reverse("accounts:detail", args=[notification.account_id])
    return reverse("complaints:detail", args=[pk])


def complaint_notification_text(notification: Notification) -> str:
    n = notification
    params = {"account": n.account.name, "due": _date(n.due_date)}
    resolution = n.object_key.endswith(RESOLUTION_SUFFIX)
    if n.kind == NotificationKind.COMPLAINT_RESPONSE_BREACH:
        return (
            _("A complaint of %(account)s was not answered in time: the answer was due %(due)s.")
            % params
        )
    if n.kind == NotificationKind.COMPLAINT_RESOLUTION_BREACH:
        return (
            _("A complaint of %(account)s was not resolved in time: it was due %(due)s.") % params
        )
    if resolution:
        return (
            _(
                "Escalated to you: a complaint of %(account)s was not resolved by its service "
                "level (due %(due)s)."
            )
            % params
        )
    return (
        _(
            "Escalated to you: a complaint of %(account)s was not answered by its service "
            "level (due %(due)s)."
        )
        % params
    )


def register() -> None:
    from visits.reminders import register_kind, register_scan

    register_scan(complaint_breaches_scan)
    for kind in (
        NotificationKind.COMPLAINT_RESPONSE_BREACH,
        NotificationKind.COMPLAINT_RESOLUTION_BREACH,
        NotificationKind.COMPLAINT_ESCALATION,
    ):
        register_kind(kind, text=complaint_notification_text, path=complaint_notification_path)
