"""Reminders: the scan that finds what is due, and the email that goes with each one.

What is due lives in the database, never in a queue: `reminders_scan` reads it from the
visits and accounts every time it runs (Celery beat, `manage.py run_reminders`, the nudge
after a visit is saved), so a lost or repeated queue message changes nothing.

The scan
    Set-based: a few queries per kind of reminder, whatever the number of rows. Each
    kind reads the candidates that have no notification yet (NOT EXISTS, in pages of
    `READ_CHUNK` by primary key) and inserts them with INSERT ... ON CONFLICT DO NOTHING
    (`bulk_create(ignore_conflicts=True)`'s SQL). The unique constraint
    `one_reminder_per_kind_object_due_recipient` is the arbiter: two scans or two
    workers at the same time cannot make the same reminder (kind, object, due date,
    recipient) twice; the loser's insert waits for the winner's commit and then skips
    the row. Rows go in primary-key order, so concurrent scans never deadlock.

The email
    `notification_emails_send` sends one unsent notification at a time, in three steps.
    It claims it: SELECT ... FOR UPDATE SKIP LOCKED (a parallel sender takes the next
    one), on PostgreSQL a session advisory lock on the notification, and
    `email_claimed_at` set and committed. It sends the email outside any transaction.
    It marks it sent (`email_sent_at`), retrying the mark while the database does not
    answer until the claim would run out, and lets the lock go. While the sender's
    database session lives nobody else takes its email, however slow the mail server;
    when the session ends the lock goes and the next run or the redelivered task takes
    the email at once. A database restart is told apart by the claim's time (older than
    the server): the sender may be alive and retrying its mark, so that email waits
    until its claim is older than `claim_seconds()`. Guarantee: every notification's
    email is sent at least once (while its recipient is active, has an address and can
    still see the account; a failure is retried by later runs, at most
    `EMAIL_MAX_ATTEMPTS` times in all), and exactly once unless, between the mail server
    accepting the message and the mark, the sender dies (a SIGKILL, a machine lost),
    its database session ends while the server stays up (a network cut, a terminated
    session, a backend crash that makes PostgreSQL reinitialise, a failover), or the
    database stays away until the claim runs out. Then it is sent again, with the same
    `Message-ID` (`<notification-PK@keyaccounts>`), so a duplicate can be recognised
    downstream. SQLite (development) has no row or advisory locks: there each claim
    takes the database's write lock first, so senders take turns, and a claim is taken
    again once it is older than `claim_seconds()`.
"""

import datetime
import functools
import logging
import time
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.constants import OnConflict
from django.db.models.functions import TruncDate
from django.db.models.sql import InsertQuery
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.selectors import accounts_visible_to
from keyaccounts.locks import release_advisory_lock, try_advisory_lock

from .models import Notification, NotificationKind, Visit, VisitStatus
from .selectors import (  # noqa: F401 - the rhythm's home is selectors; re-exported here
    account_rhythm_days,
    accounts_with_lapsed_contact,
    rhythm_interval,
)

logger = logging.getLogger(__name__)

READ_CHUNK = 2000  # candidate rows read per query (keyset pages by primary key)
INSERT_CHUNK = 1000  # rows per INSERT at most (SQLite allows fewer: see _insert_new)
EMAIL_MAX_ATTEMPTS = 5
# A sender stops retrying the mark of a sent email this long before its claim would run
# out (settings.REMINDER_EMAIL_CLAIM_SECONDS): after that another sender may take it.
CLAIM_MARGIN_SECONDS = 10


def claim_seconds() -> int:
    """How old a claim must be before its email is taken again when its lock cannot say
    whether its sender lives (after a database restart; on SQLite, always)."""
    return settings.REMINDER_EMAIL_CLAIM_SECONDS


# --- the scan --------------------------------------------------------------------------


def reminders_scan(
    *, now: datetime.datetime | None = None, account_ids=None, visit_ids=None
) -> int:
    """Create every reminder that is due and does not exist yet; return how many were new.

    `now` defaults to the current time ("today" is its local date); `account_ids` limits
    the scan to those accounts (the nudge after a visit is saved); `visit_ids` to those
    visits' follow-ups and their accounts' contact rhythm (the nudge after an import).
    Safe to run twice or concurrently: see the module docstring.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    open_follow_ups = Visit.objects.filter(
        status=VisitStatus.DONE, followed_up_on__isnull=True, follow_up_due__isnull=False
    )
    if visit_ids is not None:
        visit_ids = list(visit_ids)
        open_follow_ups = open_follow_ups.filter(pk__in=visit_ids)
        accounts = set(Visit.objects.filter(pk__in=visit_ids).values_list("account_id", flat=True))
        account_ids = accounts if account_ids is None else accounts & set(account_ids)
    if account_ids is not None:
        open_follow_ups = open_follow_ups.filter(account_id__in=list(account_ids))
    escalate_on_or_before = today - datetime.timedelta(days=settings.FOLLOW_UP_ESCALATION_DAYS)
    created = 0
    created += _follow_up_reminders(
        NotificationKind.FOLLOW_UP_DUE,
        open_follow_ups.filter(
            follow_up_due__gte=today,
            follow_up_due__lte=today + datetime.timedelta(days=1),
            owner__is_active=True,
        ),
        recipient="owner",
    )
    created += _follow_up_reminders(
        NotificationKind.FOLLOW_UP_OVERDUE,
        open_follow_ups.filter(follow_up_due__lt=today, owner__is_active=True),
        recipient="owner",
    )
    created += _follow_up_reminders(
        NotificationKind.FOLLOW_UP_ESCALATION,
        open_follow_ups.filter(
            follow_up_due__lte=escalate_on_or_before,
            owner__sales_team__manager__is_active=True,
        ).exclude(owner__sales_team__manager=F("owner")),
        recipient="owner__sales_team__manager",
    )
    created += _contact_lapsed_reminders(now=now, account_ids=account_ids)
    for scan in SCANS:
        created += scan(now=now, today=today, account_ids=account_ids)
    return created


# --- reminders of other record types ----------------------------------------------------
# Complaints, account plans, reviews and the people-move warning live in apps above this
# one; each registers its scan and its kinds here from its AppConfig.ready(), so the one
# scan (beat, run_reminders, the nudges) and the one email sender serve them all, and no
# arrow runs from visits up to them. A scan inserts with `insert_pages` / `insert_new`
# against the same unique key (kind, object_key, due date, recipient): run twice, it
# adds nothing.

SCANS: list = []  # callables (*, now, today, account_ids) -> number of new notifications
KINDS: dict = {}  # kind -> (text(notification) -> str, path(notification) -> str)
PREPARE: dict = {}  # kind -> prepare(notifications): what its texts read, for a whole list


def register_scan(scan):
    """Add `scan(*, now, today, account_ids) -> int` to every reminder scan."""
    if scan not in SCANS:
        SCANS.append(scan)
    return scan


def register_kind(kind: str, *, text, path, prepare=None) -> None:
    """How a notification of `kind` reads (`text`) and where it points (`path`);
    `prepare(notifications)`, where a text reads more than the notification's row and
    its `select_related`: reads it for a list's notifications of that kind at once
    (`prepare_texts`), `text` reading it for one when it was not prepared."""
    KINDS[kind] = (text, path)
    if prepare is not None:
        PREPARE[kind] = prepare
    else:
        PREPARE.pop(kind, None)


def prepare_texts(notifications) -> None:
    """Read what the texts of `notifications` need beyond their rows: one query per kind
    that needs one (a list page's), never one per notification."""
    by_kind = defaultdict(list)
    for notification in notifications:
        if notification.kind in PREPARE:
            by_kind[notification.kind].append(notification)
    for kind, rows in by_kind.items():
        PREPARE[kind](rows)


def _follow_up_reminders(kind: str, visits, *, recipient: str) -> int:
    """One reminder of `kind` per visit in `visits`, to `recipient` (a path from the visit),
    due on the visit's follow-up date."""
    # The prefilter matches on the visit's key; the unique constraint on object_key. Both
    # are written together below, so they agree; the constraint has the last word.
    exists = Notification.objects.filter(
        kind=kind,
        visit=OuterRef("pk"),
        due_date=OuterRef("follow_up_due"),
        recipient=OuterRef(recipient),
    )
    rows = (
        visits.filter(~Exists(exists))
        .annotate(recipient_pk=F(recipient))
        .values_list("pk", "account_id", "recipient_pk", "follow_up_due")
    )
    return _insert_pages(
        rows,
        lambda pk, account_id, recipient_pk, due: Notification(
            kind=kind,
            object_key=f"visit:{pk}",
            due_date=due,
            recipient_id=recipient_pk,
            account_id=account_id,
            visit_id=pk,
        ),
    )


def _contact_lapsed_reminders(*, now: datetime.datetime, account_ids) -> int:
    """Accounts whose contact rhythm has lapsed (`accounts_with_lapsed_contact`, the rule
    "my week" shows too), to their active owner; due on the local date the rhythm ran
    out, so a new visit followed by a new lapse makes a new reminder."""
    accounts = Account.objects.filter(owner__is_active=True)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    exists = Notification.objects.filter(
        kind=NotificationKind.CONTACT_LAPSED,
        account=OuterRef("pk"),
        due_date=OuterRef("lapse_date"),
        recipient=OuterRef("owner"),
    )
    rows = (
        accounts_with_lapsed_contact(user=None, now=now, accounts=accounts)
        .annotate(lapse_date=TruncDate("lapses_at"))
        .filter(~Exists(exists))
        .values_list("pk", "owner_id", "lapse_date")
    )
    return _insert_pages(
        rows,
        lambda pk, owner_id, lapse_date: Notification(
            kind=NotificationKind.CONTACT_LAPSED,
            object_key=f"account:{pk}",
            due_date=lapse_date,
            recipient_id=owner_id,
            account_id=pk,
        ),
    )


def _insert_pages(rows, make) -> int:
    """Read `rows` (a values_list whose first column is the pk) in keyset pages and insert
    a Notification per row; one read and one insert per page of READ_CHUNK."""
    created, after = 0, None
    while True:
        page = rows.order_by("pk")
        if after is not None:
            page = page.filter(pk__gt=after)
        batch = list(page[:READ_CHUNK])
        if not batch:
            return created
        created += _insert_new([make(*row) for row in batch])
        if len(batch) < READ_CHUNK:
            return created
        after = batch[-1][0]


def _insert_new(notifications: list[Notification]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING (SQLite: INSERT OR IGNORE), the statement
    `bulk_create(ignore_conflicts=True)` runs, and return how many rows were really
    inserted: the database's own row count, exact even with a concurrent scan (which
    `bulk_create` does not report: it gives no ids when conflicts are ignored)."""
    if not notifications:
        return 0
    db = router.db_for_write(Notification)
    connection = connections[db]
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    size = max(1, min(INSERT_CHUNK, connection.ops.bulk_batch_size(fields, notifications)))
    inserted = 0
    for start in range(0, len(notifications), size):
        query = InsertQuery(Notification, on_conflict=OnConflict.IGNORE)
        query.insert_values(fields, notifications[start : start + size])
        with connection.cursor() as cursor:
            for sql, params in query.get_compiler(using=db).as_sql():
                cursor.execute(sql, params)
                inserted += max(cursor.rowcount, 0)
    return inserted


# --- the text ---------------------------------------------------------------------------


def _date(value: datetime.date) -> str:
    return _formatted_date(value, translation.get_language())


@functools.lru_cache(maxsize=4096)
def _formatted_date(value: datetime.date, language: str | None) -> str:
    # A list of reminders formats the same few dates again and again, and Django's
    # localized date format (translated month names) is a large part of its render time.
    return formats.date_format(value, "DATE_FORMAT")


def notification_text(notification: Notification) -> str:
    """The reminder as one sentence in the active language, for the list and the email.

    Reads `notification.account`, `.visit` and (escalations) `.visit.owner`: select them
    with `select_related("account", "visit__owner")` when rendering a list.
    """
    n = notification
    if n.kind in KINDS:
        return KINDS[n.kind][0](n)
    params = {"account": n.account.name, "due": _date(n.due_date)}
    if n.kind == NotificationKind.CONTACT_LAPSED:
        return (
            _(
                "No recorded contact with %(account)s within its contact rhythm: "
                "the next contact was due by %(due)s."
            )
            % params
        )
    visit = n.visit
    # The day and the time: two visits of one day at an account are two reminders.
    params["date"] = (
        f"{_date(timezone.localdate(visit.occurred_at))} "
        f"{timezone.localtime(visit.occurred_at):%H:%M}"
        if visit.occurred_at
        else ""
    )
    if n.kind == NotificationKind.FOLLOW_UP_DUE:
        return _("Follow up with %(account)s: visit on %(date)s, follow-up due %(due)s.") % params
    if n.kind == NotificationKind.FOLLOW_UP_ESCALATION:
        params["rep"] = str(visit.owner)
        return (
            _(
                "%(rep)s has not followed up with %(account)s: visit on %(date)s, "
                "follow-up was due %(due)s."
            )
            % params
        )
    return (
        _("Follow-up with %(account)s is overdue: visit on %(date)s, follow-up was due %(due)s.")
        % params
    )


def notification_path(notification: Notification) -> str:
    """Where the reminder points: the visit's page, else the account's."""
    if notification.kind in KINDS:
        return KINDS[notification.kind][1](notification)
    if notification.visit_id:
        try:
            return reverse("visits:detail", args=[notification.visit_id])
        except NoReverseMatch:  # the visit pages are not wired yet
            pass
    return reverse("accounts:detail", args=[notification.account_id])


def message_id(notification: Notification) -> str:
    return f"<notification-{notification.pk}@keyaccounts>"


def notification_email(notification: Notification) -> EmailMessage:
    """The email for a notification, in the recipient's language (theirs, else the
    site's), its link built from SITE_URL."""
    n = notification
    with translation.override(n.recipient.email_language):
        subject = _("%(kind)s: %(account)s") % {
            "kind": n.get_kind_display(),
            "account": n.account.name,
        }
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": n.recipient},
                notification_text(n),
                _("Open it in keyaccounts: %(url)s")
                % {"url": settings.SITE_URL.rstrip("/") + notification_path(n)},
                _("You receive this reminder because you are its recipient in keyaccounts."),
            ]
        )
    return EmailMessage(
        subject=" ".join(subject.split()),  # a header: never a line break from a name
        body=body + "\n",
        to=[n.recipient.email],
        headers={"Message-ID": message_id(n)},
    )


# --- sending ----------------------------------------------------------------------------


def notification_emails_send(*, limit: int = 200) -> int:
    """Send the email of up to `limit` unsent notifications, one at a time; return how
    many were sent. A failed one is recorded and left to the next run (not retried
    in this one), so it never blocks the others; see the module docstring."""
    sent = 0
    tried: set[int] = set()
    connection = get_connection(fail_silently=False)
    try:
        while len(tried) < limit:
            outcome = _send_next(connection, exclude=tried)
            if outcome is None:
                break
            pk, ok = outcome
            tried.add(pk)
            sent += ok
    finally:
        _close_quietly(connection)
    return sent


def _send_next(connection, *, exclude: set[int]) -> tuple[int, bool] | None:
    claimed = _claim_next(exclude=exclude)
    if claimed is None:
        return None
    notification, claim = claimed
    pk = notification.pk
    if claim is None:  # settled without an email (see _claim_next)
        return pk, False
    # The mark is retried until the claim would run out (then another sender may take the
    # email after a database restart), whatever the mail server took of that time.
    mark_until = time.monotonic() + claim_seconds() - CLAIM_MARGIN_SECONDS
    try:
        try:
            message = notification_email(notification)
            connection.open()
            if connection.send_messages([message]) != 1:
                raise RuntimeError("the email backend did not send the message")
        except Exception as exc:
            _close_quietly(connection)  # a broken SMTP session: the next message reconnects
            # Only while the claim is still this sender's: never undo another's.
            Notification.objects.filter(
                pk=pk, email_claimed_at=claim, email_sent_at__isnull=True
            ).update(
                email_attempts=F("email_attempts") + 1,
                email_error=f"{type(exc).__name__}: {exc}"[:2000],
                email_claimed_at=None,
            )
            logger.warning(
                "email for notification %s failed; a later run retries", pk, exc_info=True
            )
            return pk, False
        _mark_sent(pk, until=mark_until)
        return pk, True
    finally:
        _release_email_lock(pk)


def _claim_next(*, exclude: set[int]) -> tuple[Notification, datetime.datetime | None] | None:
    """The next unsent notification this sender may send, claimed (committed), with the
    claim's time; the time is None when the notification was settled without an email.
    None when there is nothing to send.

    On PostgreSQL the claim is also a session advisory lock on the notification, held
    until the email is marked sent or has failed: while the sender's database session
    lives, nobody else takes its email, however slow the mail server is. When the
    session ends — the sender died, or lost its connection (a network cut, a terminated
    session, a backend crash that makes PostgreSQL reinitialise, a failover) — the lock
    goes, and the email is taken again at once: a sender killed mid-batch loses nothing,
    but one that lost only its session while the server stayed up may send it twice.
    A server restart is told apart by the claim's time (older than the server): then
    the sender may be alive and retrying its mark, so that email waits until its claim
    is older than `claim_seconds()`. SQLite (development) has no such locks: there a
    claim is simply taken again after `claim_seconds()`."""
    alias = router.db_for_write(Notification)
    postgres = connections[alias].vendor == "postgresql"
    passed: set[int] = set()
    while True:
        locked = None  # the notification whose lock this pass took, released on failure
        try:
            with transaction.atomic(using=alias):
                _sqlite_write_lock()
                candidates = (
                    Notification.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("recipient", "account", "visit__owner")
                    .filter(
                        email_sent_at__isnull=True,
                        email_attempts__lt=EMAIL_MAX_ATTEMPTS,
                        recipient__is_active=True,
                    )
                    # Not about a visit in the recycle bin (its account's deletion takes
                    # the account out of the recipient's visible ones, below).
                    .filter(Q(visit__isnull=True) | Q(visit__deleted_at__isnull=True))
                    .exclude(recipient__email="")
                    .exclude(pk__in=exclude | passed)
                    .order_by("pk")
                )
                if postgres:
                    notification = candidates.first()
                    if notification is None:
                        return None
                    claim = _take_email_lock(notification)
                    if claim is None:  # another sender may still be at it
                        passed.add(notification.pk)
                        continue
                    locked = notification.pk
                else:
                    claim = timezone.now()
                    stale = claim - datetime.timedelta(seconds=claim_seconds())
                    notification = candidates.filter(
                        Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale)
                    ).first()
                    if notification is None:
                        return None
                visible = accounts_visible_to(notification.recipient)
                if not visible.filter(pk=notification.account_id).exists():
                    # The one visibility rule: no email about an account the recipient can
                    # no longer open (reassigned since); settled, never retried.
                    Notification.objects.filter(pk=notification.pk).update(
                        email_attempts=EMAIL_MAX_ATTEMPTS,
                        email_error="not sent: the recipient can no longer see this account",
                        email_claimed_at=None,
                    )
                    claim = None
                else:
                    Notification.objects.filter(pk=notification.pk).update(email_claimed_at=claim)
        except BaseException:
            # After the transaction, not in it: an aborted transaction refuses the unlock.
            if locked is not None:
                _release_email_lock(locked)
            raise
        if claim is None and locked is not None:
            _release_email_lock(locked)
        return notification, claim


def _email_lock(pk: int) -> str:
    return f"reminder-email:{pk}"


def _take_email_lock(notification: Notification) -> datetime.datetime | None:
    """This sender's claim time (the database's clock) if it may send the email, holding
    its advisory lock; None, holding nothing, if another sender may still be at it."""
    alias = router.db_for_write(Notification)
    if not try_advisory_lock(_email_lock(notification.pk), using=alias):
        return None  # a living sender holds it
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT now(), pg_postmaster_start_time()")
        now, server_started = cursor.fetchone()
    claimed = notification.email_claimed_at
    if (
        claimed is None
        or claimed >= server_started  # its sender's session ended with the server up: dead
        or claimed < now - datetime.timedelta(seconds=claim_seconds())
    ):
        return now
    _release_email_lock(notification.pk)  # claimed before a restart: its sender may be alive
    return None


def _release_email_lock(pk: int) -> None:
    alias = router.db_for_write(Notification)
    if connections[alias].vendor == "postgresql":  # SQLite: no lock was taken
        release_advisory_lock(_email_lock(pk), using=alias)


def _mark_sent(pk: int, *, until: float) -> None:
    """Record that the mail server took the email, trying again while the database does
    not answer, until `until` (time.monotonic(); at least once): the email is out, and an
    unmarked one would be sent again."""
    alias = router.db_for_write(Notification)
    pause = 0.2
    while True:
        try:
            Notification.objects.filter(pk=pk, email_sent_at__isnull=True).update(
                email_sent_at=timezone.now(), email_claimed_at=None
            )
            return
        except DatabaseError:
            database = connections[alias]
            # Inside a caller's transaction there is nothing to retry: it is lost anyway.
            if database.in_atomic_block or time.monotonic() + pause > until:
                logger.error(
                    "the email of notification %s was sent but the database did not "
                    "answer to record it; it may be sent again",
                    pk,
                )
                raise
            logger.warning(
                "the email of notification %s was sent; the database does not answer, "
                "recording it again in %.1f s",
                pk,
                pause,
                exc_info=True,
            )
            if database.connection is not None and not database.is_usable():
                _close_quietly(database)  # the next try opens a new connection
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _sqlite_write_lock() -> None:
    """SQLite has no row locks (select_for_update does nothing there), so two senders, say
    `make run`'s loop and a nudge in the web process, would both take the same row. A
    write first takes SQLite's one write lock for the transaction: they take turns."""
    if connections[router.db_for_write(Notification)].vendor == "sqlite":
        Notification.objects.filter(pk__lt=0).update(email_attempts=0)  # no row: the lock


def _close_quietly(connection) -> None:
    """Close an email or a database connection that may be broken already."""
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail too
        logger.debug("closing a connection failed", exc_info=True)


insert_pages = _insert_pages  # for the scans registered by other apps
insert_new = _insert_new
format_date = _date
