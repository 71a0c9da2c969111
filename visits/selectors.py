"""Reads for visits, follow-ups and development records, scoped by the one visibility rule."""

import datetime

from django.db import connections, router
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.db.models.lookups import Exact
from django.utils import timezone

from accounts.models import Account, AccountStatus, Contact, User
from accounts.policy import current_policy
from accounts.selectors import (
    accounts_visible_to,
    of_visible_accounts,
    users_managed_by,
    visible_account_ids,
)
from keyaccounts import statements
from keyaccounts.paging import COUNT_LIMIT, bounded_counts, bounded_counts_statement, counts_of
from keyaccounts.prefetch import listed

from .models import (
    DevelopmentRecord,
    DevelopmentResult,
    Notification,
    PlannedAttendance,
    Visit,
    VisitStatus,
)

# The lists' orders, each ending in the id and read from an index that matches (the
# models' Meta.indexes), so that their pages go by keyset (keyaccounts.paging). A visit
# in an account's timeline always has a date: a planned one its plan, a recorded one
# when it took place (the models' check constraints; cancelled visits are left out).
TIMELINE_ORDER = (Coalesce("occurred_at", "planned_at").desc(), "-pk")
RECORD_ORDER = ("-prepared_on", "-pk")
NOTIFICATION_ORDER = ("-created_at", "-pk")
FOLLOW_UP_ORDER = ("follow_up_due", "pk")


def visits_visible_to(user, *, deleted: bool = False) -> QuerySet[Visit]:
    rows = Visit.all_objects if deleted else Visit.objects
    return of_visible_accounts(rows, user, deleted=deleted)


def development_records_visible_to(user, *, deleted: bool = False) -> QuerySet[DevelopmentRecord]:
    rows = DevelopmentRecord.all_objects if deleted else DevelopmentRecord.objects
    return of_visible_accounts(rows, user, deleted=deleted)


def with_people(*, attendees: bool = False) -> list[Prefetch]:
    """What a list of visits prefetches to show who was there (`Visit.contacts_met`, with
    `attendees`: `Visit.attendee_list`): the contacts' names, our attendees, as plain
    lists (`keyaccounts.prefetch.listed`: Django's own prefetch builds a queryset per
    visit, a third of my week's time)."""
    people = [listed(Visit, "contacts", Contact.objects.only("pk", "name"))]
    if attendees:
        people.append(listed(Visit, "attendees", User.objects.all()))
    return people


def account_timeline(*, account) -> QuerySet[Visit]:
    """The account's visits, newest first, ready for a list (constant queries)."""
    return timeline_of(account.visits.all())


def timeline_of(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    """`visits` (an account's) as its timeline: the cancelled left out, newest first,
    each with its owner and its people."""
    return (
        visits.exclude(status=VisitStatus.CANCELLED)
        .select_related("owner")
        .prefetch_related(*with_people(attendees=True))
        .order_by(*TIMELINE_ORDER)
    )


def open_follow_ups(*, user, today: datetime.date) -> QuerySet[Visit]:
    """Recorded visits of `user` whose follow-up is not logged yet, soonest due first."""
    return (
        Visit.objects.filter(owner=user, status=VisitStatus.DONE, followed_up_on__isnull=True)
        .filter(account_id__in=visible_account_ids(user))
        .select_related("account")
        .prefetch_related(*with_people())
        .order_by(*FOLLOW_UP_ORDER)
    )


# My week's follow-up groups by due date, in the page's order: before today, today or
# tomorrow, the rest of the week (up to a week from today: a visit recorded today is
# due then), and later. Each is (its first due day, its last) in days from today.
FOLLOW_UP_GROUPS = {
    "overdue": (None, -1),
    "soon": (0, 1),
    "week": (2, 7),
    "later": (8, None),
}


def follow_up_group(name: str, *, today: datetime.date) -> Q:
    """The follow-ups of one of `FOLLOW_UP_GROUPS` (a follow-up never given a due date
    counts as later)."""
    first, last = FOLLOW_UP_GROUPS[name]
    match = Q()
    if first is not None:
        match &= Q(follow_up_due__gte=today + datetime.timedelta(days=first))
    if last is not None:
        match &= Q(follow_up_due__lte=today + datetime.timedelta(days=last))
    if last is None:
        match |= Q(follow_up_due__isnull=True)
    return match


# My week counts each group's follow-ups up to this many (more: "more than 1,000"), so a
# rep with thousands overdue costs the page what a rep with a thousand does.
FOLLOW_UP_COUNT_LIMIT = COUNT_LIMIT


def follow_up_counts(*, user, today: datetime.date) -> dict[str, int]:
    """How many of `user`'s open follow-ups each group of `FOLLOW_UP_GROUPS` has, each
    counted up to `FOLLOW_UP_COUNT_LIMIT` + 1 (a count above the limit means "more
    than" it). One statement of one bounded count per group, each a range of the
    owner's open follow-ups (visit_owner_follow_up_idx), never anyone else's."""

    def groups(person) -> dict:
        rows = open_follow_ups(user=person, today=today).order_by().prefetch_related(None)
        return {name: rows.filter(follow_up_group(name, today=today)) for name in FOLLOW_UP_GROUPS}

    if not user.is_active:
        return bounded_counts(groups(user), limit=FOLLOW_UP_COUNT_LIMIT)
    # Compiled once a day per process (keyaccounts/statements.py): only the person's id
    # differs, and compiling the four counts cost three times what running them does.
    using = router.db_for_read(Visit)

    def build(pk):
        person = User(pk=pk, is_superuser=user.is_superuser, is_active=True)
        return bounded_counts_statement(groups(person), FOLLOW_UP_COUNT_LIMIT, using=using)

    row = statements.fetch_one_statement(
        "follow_up_counts",
        build,
        ident=user.pk,
        using=using,
        variant=(today, user.is_superuser, FOLLOW_UP_COUNT_LIMIT),
    )
    return counts_of(FOLLOW_UP_GROUPS, row)


def first_due_follow_ups(*, user, today: datetime.date, per_group: int) -> list[Visit]:
    """The first `per_group` open follow-ups due of each group of `FOLLOW_UP_GROUPS` but
    "later", soonest due first, each with `due_group` (the group's name): what my week
    lists however many are open. One query, and one for their contacts.

    Compiled once a day per process (keyaccounts/statements.py): only the person's id
    differs from one rep's week to the next, and compiling the union of the three groups
    cost as long as running it (2 ms, 2026-12-07). `first_due_follow_ups_query` is the
    statement."""
    return statements.prepared_for(
        "first_due_follow_ups",
        user,
        lambda person: first_due_follow_ups_query(user=person, today=today, per_group=per_group),
        variant=(today, per_group),
    )


def first_due_follow_ups_query(*, user, today: datetime.date, per_group: int) -> QuerySet[Visit]:
    """`first_due_follow_ups`'s statement.

    Where the database can limit each part of a UNION (PostgreSQL), the rows are the
    union of each group's first `per_group` ids, each read as a `LIMIT` range of the
    owner's follow-up index: the page reads what it shows, however many are overdue.
    Elsewhere (SQLite) a row number per group picks them from the open follow-ups due
    by the end of the week."""
    names = [name for name in FOLLOW_UP_GROUPS if name != "later"]
    group = Case(
        *[When(follow_up_group(name, today=today), then=Value(name)) for name in names],
        output_field=CharField(),
    )
    rows = open_follow_ups(user=user, today=today)
    if connections[rows.db].features.supports_slicing_ordering_in_compound:
        # What each item shows (the `follow_up_item` tag): not every column of the visit
        # and its account, whose compiling and reading cost more than the statement.
        first = [
            rows.filter(follow_up_group(name, today=today))
            .order_by(*FOLLOW_UP_ORDER)
            .values("pk")[:per_group]
            for name in names
        ]
        union = first[0].union(*first[1:], all=True)
        return (
            Visit.objects.filter(pk__in=union)
            .annotate(due_group=group)
            .select_related("account")
            .only(*VISIT_ITEM_FIELDS, "account__name")
            .prefetch_related(*with_people())
            .order_by(*FOLLOW_UP_ORDER)
        )
    last_day = today + datetime.timedelta(days=FOLLOW_UP_GROUPS["week"][1])
    return (
        rows.filter(follow_up_due__lte=last_day)
        .only(*VISIT_ITEM_FIELDS, "account__name")
        .annotate(
            due_group=group,
            due_rank=Window(RowNumber(), partition_by=[group], order_by=[*FOLLOW_UP_ORDER]),
        )
        .filter(due_rank__lte=per_group)
    )


RECENT_ACCOUNTS = 5


# The rep's accounts kept on the phone for working with no signal (my week names them).
OFFLINE_ACCOUNTS = 40


def offline_account_ids(*, user, limit: int = OFFLINE_ACCOUNTS) -> list[int]:
    """The accounts a rep opens with no signal: those they own, the most recently
    changed first. One query on the owner's index."""
    return list(
        accounts_visible_to(user)
        .filter(owner=user)
        .order_by("-updated_at", "-pk")
        .values_list("pk", flat=True)[:limit]
    )


# "Log a visit" offers the accounts of the user's latest this many visits.
RECENT_VISITS_READ = 200


def latest_own_visits(*, user, until: datetime.datetime) -> QuerySet[Visit]:
    """The user's own visits (logged by them) up to `until` by their time (`when`:
    recorded, or planned if not recorded), the latest first: a backward read of
    `visit_owner_when_idx` that stops at what it needs, never all of a rep's visits."""
    return (
        Visit.objects.filter(owner=user)
        .annotate(when=Coalesce("occurred_at", "planned_at"))
        .filter(when__lte=until)
        .order_by(F("when").desc(), "-pk")
    )


def recent_accounts(*, user, limit: int = RECENT_ACCOUNTS) -> list[Account]:
    """The accounts of the user's latest visits (as their owner: logged, or planned up to
    today), the most recent first: what "log a visit" offers before anything is typed.
    One query, from the user's latest RECENT_VISITS_READ visits (`latest_own_visits`,
    not every visit of theirs nor every account they may see). Compiled once per process
    (keyaccounts/statements.py) for the person's id and the moment."""

    def build(person, until):
        latest = latest_own_visits(user=person, until=until).values("pk")
        return (
            accounts_visible_to(person)
            .filter(visits__in=latest[:RECENT_VISITS_READ])
            .annotate(last_visit=Max(Coalesce("visits__occurred_at", "visits__planned_at")))
            .order_by("-last_visit", "pk")
            .only("pk", "name")[:limit]
        )

    return statements.prepared_for(
        "recent_accounts", user, build, values={"until": timezone.now()}, variant=(limit,)
    )


def planned_visits(
    *, user, start: datetime.datetime, end: datetime.datetime | None
) -> QuerySet[Visit]:
    """The planned visits `user` logged or goes to, planned from `start` until `end`
    (None: with no end).

    "Logged or goes to" is a UNION of two index ranges of that window: the owner's
    visits by (owner, status, planned_at), and the user's planned attendances by
    (user, planned_at) (`PlannedAttendance`, kept by `visits.attendance`) — never an
    `owner OR attendee` join, which PostgreSQL can only answer by reading every rep's
    visits, nor every attendee row of the user's, each visit read for its status and
    plan (a cost that grew with every visit they ever went to)."""
    return (
        Visit.objects.filter(pk__in=_planned_ids(user, start, end))
        # The visit's own status and plan decide: a row of the table only finds it.
        .filter(**_window(start, end))
        .filter(account_id__in=visible_account_ids(user))
        .select_related("account")
        .prefetch_related(*with_people())
        .order_by(*PLANNED_ORDER)
    )


def _plans(start, end) -> dict:
    """The lookups of a plan from `start` until `end` (None: no end)."""
    plans = {"planned_at__gte": start}
    if end is not None:
        plans["planned_at__lt"] = end
    return plans


def _window(start, end) -> dict:
    """The lookups of a visit planned from `start` until `end` (None: no end)."""
    return {"status": VisitStatus.PLANNED, **_plans(start, end)}


def _planned_ids(user, start, end):
    """The ids of `planned_visits`: the owner's and the attendee's, one UNION."""
    logged = Visit.objects.filter(owner=user, **_window(start, end)).order_by().values("pk")
    attending = PlannedAttendance.objects.filter(user=user, **_plans(start, end))
    return logged.union(attending.values("visit_id"))


PLANNED_ORDER = ("planned_at", "pk")
# What a visit's item in a list shows (the `visit_item` tag), its account's and
# owner's ids included: a list that shows nothing else reads only these.
VISIT_ITEM_FIELDS = (
    "account_id",
    "owner_id",
    "status",
    "method",
    "planned_at",
    "occurred_at",
    "purpose",
    "talking_points",
    "follow_up_due",
    "followed_up_on",
)

# Planned visits this far back whose outcome was never recorded still show on my week.
UNRECORDED_LOOKBACK_DAYS = 14
WEEK_AHEAD_DAYS = 7
# My week's groups of planned visits, in days from today (each the whole of its days):
# planned in the last two weeks and not recorded, today, the rest of the week, later.
PLANNED_GROUPS = {
    "unrecorded": (-UNRECORDED_LOOKBACK_DAYS, -1),
    "today": (0, 0),
    "week": (1, WEEK_AHEAD_DAYS),
    "later": (WEEK_AHEAD_DAYS + 1, None),
}


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def planned_window(name: str, *, today: datetime.date) -> tuple:
    """(start, end) of one of `PLANNED_GROUPS`, or of all of them (`name` "")."""
    first, last = (PLANNED_GROUPS["unrecorded"][0], None) if not name else PLANNED_GROUPS[name]
    start = _start_of_day(today + datetime.timedelta(days=first))
    end = None if last is None else _start_of_day(today + datetime.timedelta(days=last + 1))
    return start, end


def planned_visits_of(*, user, today: datetime.date, group: str = "") -> QuerySet[Visit]:
    """The planned visits of one of `PLANNED_GROUPS` (all of them: "")."""
    start, end = planned_window(group, today=today)
    return planned_visits(user=user, start=start, end=end)


# The groups my week lists (the first of each); "later" is only counted there.
MY_WEEK_PLANNED = [name for name in PLANNED_GROUPS if name != "later"]


def my_week_planned(*, user, today: datetime.date, per_group: int) -> tuple[dict, dict]:
    """What my week shows of the user's planned visits: the first `per_group` (by plan)
    of each of `MY_WEEK_PLANNED`, by group, and how many each of `PLANNED_GROUPS` has.

    Two queries, and one for the contacts of those shown: the ids and plans of all the
    user's planned visits from the start of "unrecorded" on, however far ahead (one read
    of the owner's index range and of their attendee rows: what they planned or were
    asked along to, never anyone else's), grouped and counted here, exactly; then the
    rows shown, by id. Reading the two ranges once is what keeps it cheap: a user's
    attendee rows cannot be read by plan, so each group read on its own would read all
    of them again."""
    start, _ = planned_window("", today=today)
    windows = {name: planned_window(name, today=today) for name in PLANNED_GROUPS}
    counts = dict.fromkeys(PLANNED_GROUPS, 0)
    chosen = {name: [] for name in MY_WEEK_PLANNED}
    for pk, planned_at in _planned_from(user, start):
        for name, (first, last) in windows.items():
            if first <= planned_at and (last is None or planned_at < last):
                counts[name] += 1
                if name in chosen and len(chosen[name]) < per_group:
                    chosen[name].append(pk)
                break
    shown = {pk: name for name, pks in chosen.items() for pk in pks}
    groups = {name: [] for name in MY_WEEK_PLANNED}
    if shown:
        # What my week shows of each (the `visit_item` tag: the account's
        # name and link): not every column of the visit and its account.
        rows = (
            Visit.objects.filter(pk__in=shown)
            .select_related("account")
            .only(*VISIT_ITEM_FIELDS, "account__name")
            .prefetch_related(*with_people())
            .order_by(*PLANNED_ORDER)
        )
        for visit in rows:
            groups[shown[visit.pk]].append(visit)
    return groups, counts


def _planned_from(user, start: datetime.datetime) -> list[tuple]:
    """(id, plan) of each of `planned_visits` from `start` on, however far ahead: my
    week's groups and counts. Compiled once per process (keyaccounts/statements.py) for
    the person's id and the start: only those differ from one view to the next."""

    def build(person, start):
        rows = planned_visits(user=person, start=start, end=None).prefetch_related(None)
        return rows.values_list("pk", "planned_at")

    return statements.prepared_for("my_week_planned", user, build, values={"start": start})


def with_last_contact(accounts: QuerySet) -> QuerySet:
    """Annotate `last_contact_at`: the latest recorded visit (None if never)."""
    latest = (
        Visit.objects.filter(account=OuterRef("pk"), status=VisitStatus.DONE)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return accounts.annotate(last_contact_at=Subquery(latest))


# --- the contact rhythm: THE rule for "my week" and the reminder scan --------------------

UNGRADED = "D"  # accounts not graded yet (scoring has not run for them) keep the D rhythm


def account_rhythm_days(account_or_grade=None) -> int:
    """Days without contact before an account is flagged: the active service policy's
    contact rhythm for its grade (`accounts.policy.current_policy()`; managers set it at
    /policy/, `settings.CONTACT_RHYTHM_DAYS` being only the first version's values).

    Takes an Account (its grade is `account.score.grade`: select_related("score") to
    read it without a query), a grade ("A".."D", or None) or any object with a `grade`
    attribute (an `AccountScore`, say). An account not graded yet uses the D rhythm.
    """
    if account_or_grade is None or isinstance(account_or_grade, str):
        grade = account_or_grade
    elif isinstance(account_or_grade, Account):
        score = getattr(account_or_grade, "score", None)  # None: not graded yet
        grade = getattr(score, "grade", None)
    else:
        grade = getattr(account_or_grade, "grade", None)
    return current_policy().contact_rhythm_days(grade)


def rhythm_interval(grade=None):
    """`account_rhythm_days` as an SQL interval. `grade` is an expression for the account's
    grade (`_account_grade()`: its `score__grade`, NULL when not graded yet); None: the
    ungraded rhythm for every row."""
    policy = current_policy()
    ungraded = Value(
        datetime.timedelta(days=policy.contact_rhythm_days(None)), output_field=DurationField()
    )
    if grade is None:
        return ungraded
    return Case(
        *[
            When(
                Exact(grade, Value(row.grade)),
                then=Value(datetime.timedelta(days=row.contact_rhythm_days)),
            )
            for row in policy.rows()
        ],
        default=ungraded,
        output_field=DurationField(),
    )


def _account_grade():
    """The account's grade in SQL: its score's (a LEFT JOIN, so NULL when not graded)."""
    return F("score__grade")


def accounts_with_lapsed_contact(
    *, user: User | None, now: datetime.datetime, accounts: QuerySet[Account] | None = None
) -> QuerySet[Account]:
    """Accounts whose contact rhythm has lapsed at `now`: the one rule, for "my week" and
    for the reminder scan (`visits.reminders`).

    An account lapses `account_rhythm_days(its grade)` after its latest recorded (done)
    visit; an account never visited counts from its `created_at`; an account not graded
    yet has the D rhythm. Lost accounts are left alone. Annotated with `last_contact_at`
    (None if never visited), `rhythm` (its rhythm, a timedelta) and `lapses_at` (when the
    rhythm ran out; the reminder's due date is its local date), its `score` selected
    (None when not graded), soonest lapsed first.

    `user`: the accounts that user owns and can see ("my week"). `user=None`: every
    account, its `owner` being the one to remind (the scan). `accounts` narrows either,
    e.g. `Account.objects.filter(pk__in=ids, owner__is_active=True)`.
    """
    if user is None:
        rows = Account.objects.all()
    else:
        rows = accounts_visible_to(user).filter(owner=user)
    if accounts is not None:
        rows = rows.filter(pk__in=accounts.values("pk"))
    lapses_at = ExpressionWrapper(
        Coalesce("last_contact_at", "created_at") + F("rhythm"),
        output_field=DateTimeField(),
    )
    return (
        with_last_contact(rows.exclude(status=AccountStatus.LOST))
        .select_related("score")
        .annotate(rhythm=rhythm_interval(_account_grade()))
        .annotate(lapses_at=lapses_at)
        .filter(lapses_at__lt=now)
        .order_by("lapses_at", "pk")
    )


def first_lapsed_accounts(*, user, now: datetime.datetime, limit: int) -> list[Account]:
    """The first `limit` of `user`'s accounts whose contact rhythm has lapsed at `now`
    (`accounts_with_lapsed_contact`), with what my week shows of each: its name and
    grade. Compiled once per process (keyaccounts/statements.py), for the person's id
    and the moment; the service policy's rhythms, which the statement writes as
    values, name the statement with the rest of what shapes it."""
    policy = current_policy()
    rhythms = (
        policy.contact_rhythm_days(None),
        *((row.grade, row.contact_rhythm_days) for row in policy.rows()),
    )

    def build(person, now):
        rows = accounts_with_lapsed_contact(user=person, now=now)
        return rows.only("name", "score__grade")[:limit]

    return statements.prepared_for(
        "first_lapsed_accounts", user, build, values={"now": now}, variant=(rhythms, limit)
    )


def development_record_contacts(*, record: DevelopmentRecord, today: datetime.date):
    """The record's contacts so far: the account's recorded visits in its period."""
    end = record.closed_on or today
    return (
        record.account.visits.filter(status=VisitStatus.DONE)
        .filter(occurred_at__date__gte=record.started_on, occurred_at__date__lte=end)
        .select_related("owner")
        .prefetch_related(*with_people())
        .order_by("occurred_at", "pk")
    )


def with_development_totals(records: QuerySet, *, today: datetime.date) -> QuerySet:
    """Annotate `contact_count` and `total_minutes` from the visits in each record's period."""
    in_period = Visit.objects.filter(
        account=OuterRef("account"),
        status=VisitStatus.DONE,
        occurred_at__date__gte=OuterRef("started_on"),
        occurred_at__date__lte=Coalesce(OuterRef("closed_on"), today),
    ).order_by()
    count = in_period.values("account").annotate(n=Count("pk")).values("n")
    minutes = in_period.values("account").annotate(m=Sum("duration_minutes")).values("m")
    return records.annotate(
        contact_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
        total_minutes=Coalesce(Subquery(minutes, output_field=IntegerField()), 0),
    )


FOLLOW_UP_WINDOW = datetime.timedelta(days=7)
# The states `follow_up_compliance_visits` lists: the figures of the compliance table.
COMPLIANCE_STATES = ("settled", "on_time", "late")
COMPLIANCE_VISIT_ORDER = ("-occurred_at", "-pk")


def _settled_follow_ups(
    *, reps, since: datetime.date, today: datetime.date, accounts: QuerySet | None
) -> QuerySet[Visit]:
    """Recorded visits of `reps` since `since` whose follow-up is settled: logged, or its
    7-day window closed (so a visit from yesterday does not count before the rep had a
    chance); only visits to `accounts` if given. Annotated with `lag` (visit to
    follow-up) and `on_time` (followed up within the window)."""
    lag = ExpressionWrapper(
        F("followed_up_on") - TruncDate("occurred_at"), output_field=DurationField()
    )
    settled = Visit.objects.filter(
        owner__in=reps,
        status=VisitStatus.DONE,
        occurred_at__date__gte=since,
    ).filter(Q(followed_up_on__isnull=False) | Q(occurred_at__date__lt=today - FOLLOW_UP_WINDOW))
    if accounts is not None:
        settled = settled.filter(account__in=accounts)
    return settled.annotate(lag=lag)


ON_TIME = Q(followed_up_on__isnull=False, lag__lte=FOLLOW_UP_WINDOW)


def follow_up_compliance(
    *, reps, since: datetime.date, today: datetime.date, accounts: QuerySet | None = None
) -> list[dict]:
    """Per rep: recorded visits since `since` whose follow-up is settled, and how many of
    them were followed up within 7 days of the visit; only visits to `accounts` if given.
    The visits behind each figure: `follow_up_compliance_visits`."""
    rows = (
        _settled_follow_ups(reps=reps, since=since, today=today, accounts=accounts)
        .values("owner")
        .annotate(
            settled=Count("pk"),
            on_time=Count("pk", filter=ON_TIME),
            last_visit=Max("occurred_at"),
        )
        .order_by()
    )
    by_rep = {row["owner"]: row for row in rows}
    result = []
    for rep in reps:
        row = by_rep.get(rep.pk, {"settled": 0, "on_time": 0, "last_visit": None})
        share = row["on_time"] / row["settled"] if row["settled"] else None
        result.append({"rep": rep, **row, "share": share})
    return result


def follow_up_compliance_visits(
    *,
    reps,
    since: datetime.date,
    today: datetime.date,
    accounts: QuerySet | None = None,
    state: str = "settled",
) -> QuerySet[Visit]:
    """The visits counted by `follow_up_compliance` (same arguments): all those settled,
    those followed up on time, or the late ones (followed up after the window, or not
    at all) — `COMPLIANCE_STATES`. With account and owner, newest first."""
    visits = _settled_follow_ups(reps=reps, since=since, today=today, accounts=accounts)
    if state == "on_time":
        visits = visits.filter(ON_TIME)
    elif state == "late":
        visits = visits.exclude(ON_TIME)
    elif state != "settled":
        raise ValueError(f"unknown follow-up state {state!r}")
    return visits.select_related("account", "owner").order_by(*COMPLIANCE_VISIT_ORDER)


def overdue_follow_up_counts(*, reps, today: datetime.date) -> dict[int, int]:
    """Per rep id: recorded visits whose follow-up is past due and still not logged."""
    rows = (
        Visit.objects.filter(
            owner__in=reps,
            status=VisitStatus.DONE,
            followed_up_on__isnull=True,
            follow_up_due__lt=today,
        )
        .values("owner")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["owner"]: row["n"] for row in rows}


def reps_of(manager: User) -> QuerySet[User]:
    """The people whose follow-ups and records `manager` oversees: the active members of
    the teams they manage (a superuser: everyone on a sales team)."""
    if manager.is_superuser:
        return User.objects.filter(sales_team__isnull=False, is_active=True)
    return users_managed_by(manager)


def development_records_awaiting_review(*, manager: User) -> QuerySet[DevelopmentRecord]:
    """Closed (succeeded or failed) records that `manager` may review and nobody has yet:
    the same rule as `services.can_review`, the manager of the preparing rep's team; for a
    superuser also those with no one above their preparer on the team
    (`services.reviewed_by_a_director`)."""
    theirs = Q(prepared_by__sales_team__manager=manager)
    if manager.is_superuser:
        theirs |= (
            Q(prepared_by__sales_team__isnull=True)
            | Q(prepared_by__sales_team__manager__isnull=True)
            | Q(prepared_by__sales_team__manager=F("prepared_by"))
            | Q(prepared_by__sales_team__manager__is_active=False)
        )
    return (
        development_records_visible_to(manager)
        .filter(theirs, reviewed_on__isnull=True)
        .exclude(prepared_by=manager)
        .exclude(result=DevelopmentResult.IN_PROGRESS)
        .select_related("account", "prepared_by")
        .order_by("prepared_on", "pk")
    )


def notifications_of(user: User) -> QuerySet[Notification]:
    """A user's own notifications about accounts they can still see, newest first; none
    about a visit in the recycle bin (they come back with it)."""
    return (
        Notification.objects.filter(recipient=user, account_id__in=visible_account_ids(user))
        .filter(Q(visit__isnull=True) | Q(visit__deleted_at__isnull=True))
        .select_related("account", "visit__owner")
        .order_by(*NOTIFICATION_ORDER)
    )


def local_today() -> datetime.date:
    return timezone.localdate()
