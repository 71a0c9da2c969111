"""Writes for visits, follow-ups and development records. Pages, API and imports call these."""

import datetime

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, User
from accounts.selectors import accounts_visible_to, is_manager
from accounts.services import check_restorer
from keyaccounts.events import records_left_accounts
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.history.bulk import people_into_latest_entry
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import record_restore, soft_delete
from keyaccounts.tasks import enqueue_on_commit
from keyaccounts.text import join_words

from .models import (
    ENDS_BEFORE_START,
    FOLLOW_UP_DAYS,
    DevelopmentRecord,
    DevelopmentResult,
    Notification,
    NotificationKind,
    Visit,
    VisitStatus,
)

FOLLOW_UP_KINDS = [
    NotificationKind.FOLLOW_UP_DUE,
    NotificationKind.FOLLOW_UP_OVERDUE,
    NotificationKind.FOLLOW_UP_ESCALATION,
]


def default_follow_up_due(occurred_at: datetime.datetime, zone=None) -> datetime.date:
    """A week after the visit's local day (`zone`: the current time zone when None)."""
    return timezone.localdate(occurred_at, zone) + datetime.timedelta(days=FOLLOW_UP_DAYS)


def foreign_contacts(contacts, account: Account) -> str | None:
    """What is wrong with `contacts` met at a visit of `account`: those of another
    account named (the service's rule, the admin's form too), or None."""
    foreign = [c for c in contacts if c.account_id != account.pk]
    if not foreign:
        return None
    return _(
        "%(names)s is not a contact of %(account)s. Choose people from this account's "
        "buying center."
    ) % {"names": join_words(c.name for c in foreign), "account": account.name}


def RECORDED_IN_THE_FUTURE() -> str:  # noqa: N802 - a message, in the active language
    return _("A recorded visit cannot be in the future. Plan it instead, or correct the date.")


def recorded_in_the_future(occurred_at: datetime.datetime, now: datetime.datetime) -> bool:
    """A recorded visit's time past now (five minutes' grace for a phone's clock)."""
    return occurred_at > now + datetime.timedelta(minutes=5)


def planned_in_the_past(planned_at: datetime.datetime, now: datetime.datetime, zone) -> bool:
    """A plan's time before today (the day, not the hour: a plan for this morning made
    at noon, or sent by the phone's outbox later, is still today's)."""
    return timezone.localdate(planned_at, zone) < timezone.localdate(now, zone)


def PLANNED_IN_THE_PAST() -> str:  # noqa: N802 - a message, read in the request's language
    return _(
        "A visit is planned for today or later. If it took place, record it instead; "
        "otherwise correct the date."
    )


def _check_visit(
    visit: Visit,
    contacts,
    attendees,
    now: datetime.datetime,
    zone,
    *,
    stored_due=None,
    stored_planned=None,
) -> None:
    """The rules of visits. `stored_due`: the follow-up due date as stored, left as it is
    (one a week past the visit, written before the rule was checked, stays);
    `stored_planned`: the planned time as stored, which may have passed (only a new or
    changed plan must be from today on)."""
    errors = {}
    foreign = foreign_contacts(contacts, visit.account)
    if foreign:
        errors["contacts"] = foreign
    inactive = [u for u in attendees if not u.is_active]
    if inactive:
        errors["attendees"] = _("%(names)s can no longer log in and cannot attend.") % {
            "names": ", ".join(str(u) for u in inactive)
        }
    if visit.status == VisitStatus.DONE:
        if visit.occurred_at is None:
            errors["occurred_at"] = _("Give the date and time the visit took place.")
        elif recorded_in_the_future(visit.occurred_at, now):
            errors["occurred_at"] = RECORDED_IN_THE_FUTURE()
        elif visit.follow_up_due:
            day = timezone.localdate(visit.occurred_at, zone)
            latest = day + datetime.timedelta(days=FOLLOW_UP_DAYS)
            if visit.follow_up_due < day:
                errors["follow_up_due"] = _("The follow-up cannot be due before the visit.")
            elif visit.follow_up_due > latest and visit.follow_up_due != stored_due:
                # The seeds' rule: follow up within one week after the visit; a later
                # date would keep the visit from ever being overdue.
                errors["follow_up_due"] = _(
                    "Follow up within a week of the visit: by %(date)s at the latest."
                ) % {"date": latest.isoformat()}
    if visit.status == VisitStatus.PLANNED and visit.planned_at is None:
        errors["planned_at"] = _("Give the date and time the visit is planned for.")
    elif (
        visit.status == VisitStatus.PLANNED
        and visit.planned_at != stored_planned
        and planned_in_the_past(visit.planned_at, now, zone)
    ):
        # Listed nowhere (my week and the planned list start from today and two weeks
        # back): a plan nobody would see again.
        errors["planned_at"] = PLANNED_IN_THE_PAST()
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def visit_save(
    *,
    by: User,
    account: Account,
    visit: Visit | None = None,
    contacts=(),
    attendees=(),
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> Visit:
    """Plan, record or change a visit.

    A recorded visit (status done) gets its follow-up due date, by default one week
    after the visit. Contacts must belong to the visit's account. Who was met and who
    went are part of the visit: changing only them is a new version too, and a save
    that changes nothing at all writes nothing (same version, no history entry, no
    reminder scan).
    """
    now = now or timezone.now()
    if not accounts_visible_to(by).filter(pk=account.pk).exists():
        raise ApplicationError(_("You cannot log visits for this account."), code="not_found")
    contacts, attendees = list(contacts), list(attendees)
    left = visit.account_id if visit is not None and visit.pk is not None else None
    visit = visit_apply(
        visit=visit, by=by, account=account, contacts=contacts, attendees=attendees, now=now,
        **fields,
    )  # fmt: skip
    visit.full_clean(exclude=["contacts", "attendees"])
    if visit.pk is None:
        visit.save()
        # Who was met and who went belong to its "created" entry: no entry per add.
        if _set_people(visit, contacts=contacts, attendees=attendees):
            people_into_latest_entry(visit)
    else:
        people_changed = _set_people(visit, contacts=contacts, attendees=attendees)
        visit.save(expected_version=expected_version, touch=people_changed)
        if not visit.saved_changes:
            return visit
        if left != visit.account_id:  # moved: the account it left adds it up no more
            records_left_accounts.send(sender=Visit, account_ids={left})
    from .tasks import reminders_for_account

    enqueue_on_commit(reminders_for_account, account.pk)
    return visit


def visit_apply(
    *,
    visit: Visit | None,
    by: User,
    account: Account,
    contacts: list,
    attendees: list,
    now: datetime.datetime,
    zone=None,
    **fields,
) -> Visit:
    """`visit` (a new one logged by `by` when None) with `fields` set as `visit_save`
    sets them — the follow-up due one week after a recorded visit unless chosen — and
    checked against the rules of visits (ValidationError), before the field checks of
    `full_clean`. Nothing is saved: `visit_save` saves; an import checks many first.
    `zone`: the current time zone, read once by a caller that applies many."""
    zone = zone or timezone.get_current_timezone()
    if visit is None:
        visit = Visit(owner=by)
    stored_due = visit.follow_up_due if visit.pk is not None else None
    stored_planned = visit.planned_at if visit.pk is not None else None
    # A follow-up left at its default moves with the visit when the visit's date is corrected.
    default_due = default_follow_up_due(visit.occurred_at, zone) if visit.occurred_at else None
    visit.account = account
    for name, value in fields.items():
        setattr(visit, name, value)
    if visit.status == VisitStatus.DONE and visit.occurred_at:
        moved = visit.follow_up_due == default_due and visit.followed_up_on is None
        if not visit.follow_up_due or moved:
            visit.follow_up_due = default_follow_up_due(visit.occurred_at, zone)
    _check_visit(
        visit, contacts, attendees, now, zone, stored_due=stored_due, stored_planned=stored_planned
    )
    return visit


IMPORTED_VISITS_PER_SCAN = 1000  # visit ids per nudge after an import


def visits_imported(sender, account_ids, record_ids=(), **kwargs) -> None:
    """An import wrote visits set-based (`keyaccounts.imports.writing.records_imported`:
    no `visit_save`): once they commit, the reminder scan runs for those visits and
    their accounts only, as after a saved visit — one nudge per
    `IMPORTED_VISITS_PER_SCAN` visits, never a scan of every account."""
    from .tasks import reminders_for_visits

    ids = sorted(record_ids)
    for start in range(0, len(ids), IMPORTED_VISITS_PER_SCAN):
        enqueue_on_commit(reminders_for_visits, ids[start : start + IMPORTED_VISITS_PER_SCAN])


def _set_people(visit: Visit, *, contacts: list, attendees: list) -> bool:
    """Set who was met and who went; True if that changed anything.

    Set before the visit is saved, without history entries of their own: the save
    then writes the visit's one history entry for the edit, with the people as they
    are now (simple-history would otherwise add an entry per add and per removal)."""
    changed = False
    for relation, people in ((visit.contacts, contacts), (visit.attendees, attendees)):
        wanted = {person.pk for person in people}
        if set(relation.values_list("pk", flat=True)) != wanted:
            changed = True
            visit.skip_history_when_saving = True
            try:
                relation.set(people)
            finally:
                del visit.skip_history_when_saving
    return changed


def check_followable(visit: Visit) -> None:
    """Only a visit that took place is followed up: said before anything else of the
    follow-up is read (a planned visit's follow-up is refused, whatever its text)."""
    if visit.status != VisitStatus.DONE:
        raise ApplicationError(_("Only a visit that took place can be followed up."))


@transaction.atomic
def follow_up_log(
    *,
    visit: Visit,
    by: User,
    followed_up_on: datetime.date,
    method: str,
    feedback: str,
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> Visit:
    """Log the follow-up of a recorded visit; it closes the follow-up and its reminders.
    A follow-up logged already is not logged again (`protected`); with
    `expected_version`, a visit saved since that version is refused."""
    today = today or timezone.localdate()
    check_followable(visit)
    # Read again under a lock: two follow-ups at once (the page and a phone's outbox)
    # log one, and refuse the other.
    stored = Visit.objects.select_for_update().filter(pk=visit.pk)
    if stored.values_list("followed_up_on", flat=True).first() is not None:
        raise ApplicationError(
            _("The follow-up of this visit was logged already."), code="protected"
        )
    errors = {}
    if followed_up_on > today:
        errors["followed_up_on"] = _("The follow-up date cannot be in the future.")
    elif followed_up_on < timezone.localdate(visit.occurred_at):
        errors["followed_up_on"] = _("The follow-up cannot be before the visit.")
    if not (feedback or "").strip():
        errors["follow_up_feedback"] = _("Write down what the customer said.")
    if errors:
        raise ValidationError(errors)
    visit.followed_up_on = followed_up_on
    visit.follow_up_method = method
    visit.follow_up_feedback = feedback
    visit.followed_up_by = by
    visit.full_clean(exclude=["contacts", "attendees"])
    visit.save(expected_version=expected_version)
    # The reminders about this follow-up are settled: they leave everyone's unread count.
    Notification.objects.filter(visit=visit, kind__in=FOLLOW_UP_KINDS, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return visit


@transaction.atomic
def visit_cancel(*, visit: Visit, by: User) -> Visit:
    if visit.status != VisitStatus.PLANNED:
        raise ApplicationError(_("Only a planned visit can be cancelled."))
    visit.status = VisitStatus.CANCELLED
    visit.save()
    return visit


# --- development records ----------------------------------------------------------------


def reviewed_by_a_director(record: DevelopmentRecord) -> bool:
    """True when no one on the preparer's team stands above them: they manage it
    themselves, or it has no manager (or one who can no longer log in), or they are on
    no team. Then a superuser (the
    sales director) reviews the record, so that it never waits for nobody."""
    team = record.prepared_by.sales_team
    if team is None or team.manager_id in (None, record.prepared_by_id):
        return True
    return not team.manager.is_active  # a manager who left reviews nothing


def can_review(user: User, record: DevelopmentRecord) -> bool:
    """The manager of the preparing rep's sales team reviews the record; a record of a
    manager of their own team (or of someone on no team) a superuser does. Never the
    preparer."""
    if user.pk == record.prepared_by_id:
        return False
    if reviewed_by_a_director(record):
        return user.is_superuser
    return record.prepared_by.sales_team.manager_id == user.pk


@transaction.atomic
def development_record_save(
    *,
    by: User,
    account: Account,
    record: DevelopmentRecord | None = None,
    expected_version: int | None = None,
    today: datetime.date | None = None,
    **fields,
) -> DevelopmentRecord:
    """Create or change a development record. A reviewed record is locked."""
    today = today or timezone.localdate()
    if not accounts_visible_to(by).filter(pk=account.pk).exists():
        raise ApplicationError(_("You cannot keep records for this account."), code="not_found")
    if record is None:
        record = DevelopmentRecord(prepared_by=by, prepared_on=today)
    elif record.reviewed_on is not None:
        # Sending a reviewed record back as it is (a sync client's echo) changes nothing
        # and is no error; any real change is refused.
        record.account = account
        for name, value in fields.items():
            setattr(record, name, value)
        if record.unchanged_against_stored(router.db_for_write(DevelopmentRecord, instance=record)):
            # What `save` does for a write that changes nothing: no write, `saved_changes`
            # False (the bulk answer's "unchanged"), VersionConflict on another version.
            record._keep_as_stored(record._stored_version, expected_version)
            return record
        raise ApplicationError(
            _("This record was reviewed on %(date)s and can no longer be changed.")
            % {"date": record.reviewed_on},
            code="protected",
        )
    record.account = account
    stored_days = (record.started_on, record.closed_on) if record.pk else (None, None)
    for name, value in fields.items():
        setattr(record, name, value)
    errors = {}
    if record.result != DevelopmentResult.IN_PROGRESS:
        if not record.closed_on:
            record.closed_on = today
        if not (record.summary or "").strip():
            errors["summary"] = _("Say why the development succeeded or failed.")
    if record.closed_on and record.started_on and record.closed_on < record.started_on:
        errors["closed_on"] = ENDS_BEFORE_START
    # A record tells what happened: its days are past, as a recorded visit's are (a day
    # kept as stored is not asked again: one saved before the rule stays editable).
    if record.started_on and record.started_on != stored_days[0] and record.started_on > today:
        errors["started_on"] = _(
            "The development cannot start in the future (today is %(today)s): give the day "
            "it started."
        ) % {"today": today.isoformat()}
    if record.closed_on and record.closed_on != stored_days[1] and record.closed_on > today:
        errors.setdefault(
            "closed_on",
            _(
                "The development cannot end in the future (today is %(today)s): give the day "
                "it ended, or keep it in progress."
            )
            % {"today": today.isoformat()},
        )
    if errors:
        raise ValidationError(errors)
    record.full_clean()
    record.save(expected_version=expected_version)
    return record


REVIEW_COMMENT_MAX = 2000


def normalized_comment(text: str | None) -> str:
    """A comment as kept: line breaks as one character (a browser sends two), no
    surrounding spaces."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


@transaction.atomic
def development_record_review(
    *,
    record: DevelopmentRecord,
    by: User,
    comment: str = "",
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> DevelopmentRecord:
    """Mark `record` reviewed by `by` (the manager of the preparing rep's team), with
    their `comment` to the rep (optional). A reviewed record is locked for good. With
    `expected_version`, a record changed since (read under a row lock) is refused."""
    if not can_review(by, record):
        raise ApplicationError(
            (
                _("Only an administrator (the sales director) can review this record of %(rep)s.")
                if reviewed_by_a_director(record)
                else _("Only the manager of %(rep)s's sales team can review this record.")
            )
            % {"rep": record.prepared_by},
            code="permission_denied",
        )
    stored = DevelopmentRecord.objects.select_for_update().filter(pk=record.pk).first()
    if stored is None:
        raise ApplicationError(_("This record is in the recycle bin."), code="not_found")
    if expected_version is not None and stored.version != expected_version:
        raise VersionConflict(
            _("This record was changed by someone else since you opened it."),
            current_version=stored.version,
        )
    given, record = record, stored
    if record.reviewed_on is not None:
        raise ApplicationError(_("This record was already reviewed."), code="protected")
    comment = normalized_comment(comment)
    if len(comment) > REVIEW_COMMENT_MAX:
        raise ValidationError(
            {
                "comment": _("Keep the comment to %(max)d characters; it has %(n)d.")
                % {"max": REVIEW_COMMENT_MAX, "n": len(comment)}
            }
        )
    record.reviewed_by = by
    record.reviewed_on = today or timezone.localdate()
    record.review_comment = comment
    record.save(update_fields=["reviewed_by", "reviewed_on", "review_comment"])
    for name in ("reviewed_by", "reviewed_on", "review_comment", "version", "updated_at"):
        setattr(given, name, getattr(record, name))  # the caller's copy is reviewed too
    return record


# --- notifications ----------------------------------------------------------------------


def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    if notification.recipient_id != by.pk:
        raise ApplicationError(_("This notification is not yours."), code="not_found")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of `user` read; returns how many there were."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def visit_delete(*, visit: Visit, by: User, expected_version: int | None = None) -> Deletion:
    """Move a visit to the recycle bin. Sync clients get a tombstone."""
    deletion = soft_delete(root=visit, by=by, expected_version=expected_version)
    from .tasks import reminders_for_account

    enqueue_on_commit(reminders_for_account, visit.account_id)
    return deletion


def visit_restore(*, visit: Visit, by: User) -> list:
    """Bring a visit back; refused while its account is in the recycle bin."""
    check_restorer(by=by, record=visit)
    return record_restore(record=visit, by=by)


@transaction.atomic
def development_record_delete(
    *, record: DevelopmentRecord, by: User, expected_version: int | None = None
) -> Deletion:
    """Move an unreviewed development record to the recycle bin; a reviewed one is kept
    for good (it is the manager's signed-off account of the effort)."""
    development_record_delete_check(record=record, by=by)
    return soft_delete(root=record, by=by, expected_version=expected_version)


def development_record_delete_check(*, record: DevelopmentRecord, by: User) -> None:
    """Raise the ApplicationError `development_record_delete` would: a reviewed record
    is never deleted, and only who prepared it or a manager deletes one."""
    if record.reviewed_on is not None:
        raise ApplicationError(
            _("A reviewed development record is kept for good: it cannot be deleted."),
            code="protected",
        )
    if by.pk != record.prepared_by_id and not is_manager(by):
        raise ApplicationError(
            _("Only who prepared it, or a manager, can delete this record."),
            code="permission_denied",
        )


def development_record_restore(*, record: DevelopmentRecord, by: User) -> list:
    check_restorer(by=by, record=record)
    return record_restore(record=record, by=by)
