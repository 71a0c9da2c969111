"""Reads of the win/loss analytics, for the deals a user can see. A constant number of
queries whatever the number of deals: each table is one grouped query."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    ValueRange,
    When,
    Window,
)
from django.db.models.expressions import RawSQL, WindowFrameExclusion
from django.db.models.functions import Coalesce, Lead, Trim, TruncDate, TruncMonth
from django.utils import timezone

from accounts.selectors import sees_more_accounts_than
from opportunities.models import Opportunity, OpportunityCompetitor, Stage, StageChange
from opportunities.selectors import opportunities_visible_to
from scoring.inputs import MONEY, amount_in_cny
from scoring.models import GradeChange

NO_GRADE = ""  # deals at accounts not graded when they were decided
LOST_REASONS_SHOWN = 10
# How far a deal got, for "moved on": a won deal beyond every stage, a lost one before.
WON_REACH, LOST_REACH = 1_000_000, -1


@dataclass(frozen=True)
class Scope:
    """Which deals: decided (won or lost) from `start` to `end`, both days included, of
    the owner's sales `team` and of the `owner`, when given."""

    start: datetime.date
    end: datetime.date
    team: int | None = None
    owner: int | None = None


def narrowed(rows: QuerySet, scope: Scope, prefix: str = "") -> QuerySet:
    if scope.team:
        rows = rows.filter(**{f"{prefix}owner__sales_team_id": scope.team})
    if scope.owner:
        rows = rows.filter(**{f"{prefix}owner_id": scope.owner})
    return rows


def grade_when_decided():
    """The account's grade in force at the end of the day the deal closed: its latest
    grade change up to then ("" when it had none yet)."""
    return Coalesce(
        Subquery(
            GradeChange.objects.filter(
                account=OuterRef("account"), changed_at__date__lte=OuterRef("closed_on")
            )
            .order_by("-changed_at", "-pk")
            .values("to_grade")[:1]
        ),
        Value(NO_GRADE),
    )


# Up to this many visible accounts, the deals a report reads are read first, as ids:
# PostgreSQL expects a subquery of a few hundred deals to match most of the stage history
# and scans all of it; from the ids it reads each deal's rows by index.
LISTED_UP_TO = 5000


def _the_deals(user, deals: QuerySet):
    """`deals` (ids) to filter by: on PostgreSQL, when `user` sees a bounded number of
    accounts, their ids read first (as one array parameter: Django would compile each
    value of a list); the subquery otherwise (a superuser's whole company is read whole
    either way)."""
    if connections[deals.db].vendor != "postgresql" or sees_more_accounts_than(user, LISTED_UP_TO):
        return deals.values("pk")
    ids = list(deals.values_list("pk", flat=True))
    return RawSQL("SELECT unnest(%s::bigint[])", (ids,))


def decided_deals(user, scope: Scope) -> QuerySet[Opportunity]:
    """The deals `user` can see that were won or lost in the scope, with `won`."""
    rows = opportunities_visible_to(user).filter(
        closed_on__gte=scope.start, closed_on__lte=scope.end
    )
    rows = narrowed(rows.filter(Q(stage__is_won=True) | Q(stage__is_lost=True)), scope)
    listed = _the_deals(user, rows)
    if isinstance(listed, RawSQL):  # read once, then each table by the deals' ids
        rows = Opportunity.objects.filter(pk__in=listed)
    return rows.annotate(won=F("stage__is_won"))


def _cycle_days():
    return ExpressionWrapper(F("closed_on") - TruncDate("created_at"), output_field=DurationField())


def win_loss_by(deals: QuerySet, dimension: str | None) -> list[dict]:
    """Per value of `dimension` ("industry", "grade", None for all deals): decided, won,
    lost, the win rate (0–1), the amount won (CNY) and the mean cycle of the deals won
    (days from created to closed; of those created before they closed). One query."""
    rows = deals.order_by()
    keys = []
    if dimension == "industry":
        rows = rows.annotate(key=F("account__industry"))
        keys = ["key"]
    elif dimension == "grade":
        rows = rows.annotate(key=grade_when_decided())
        keys = ["key"]
    sums = {
        "decided": Count("pk"),
        "won_count": Count("pk", filter=Q(won=True)),
        "won_amount": Coalesce(
            Sum(amount_in_cny(), filter=Q(won=True)), Value(0), output_field=MONEY
        ),
        # A deal recorded after it closed (history typed in or imported later) has no
        # known start: it counts as won, not in the cycle (it would count negative days).
        "won_cycle": Avg(_cycle_days(), filter=Q(won=True, closed_on__gte=TruncDate("created_at"))),
    }
    if not keys:  # all the deals: one row
        return [_rate(rows.aggregate(**sums))]
    return [_rate(row) for row in rows.values(*keys).annotate(**sums)]


def win_loss_by_competitor(deals: QuerySet) -> list[dict]:
    """Per competitor named in the deals (by name as written): the deals it was in,
    won, lost, the win rate. One query."""
    found = (
        OpportunityCompetitor.objects.filter(opportunity__in=deals.values("pk"))
        .values("name")
        .annotate(
            decided=Count("opportunity", distinct=True),
            won_count=Count(
                "opportunity", distinct=True, filter=Q(opportunity__stage__is_won=True)
            ),
        )
        .order_by("-decided", "name")
    )
    return [_rate({**row, "key": row["name"]}) for row in found]


def _rate(row: dict) -> dict:
    row["lost"] = row["decided"] - row["won_count"]
    row["rate"] = row["won_count"] / row["decided"] if row["decided"] else None
    cycle = row.get("won_cycle")
    row["cycle_days"] = None if cycle is None else round(cycle.total_seconds() / 86400, 1)
    return row


def lost_reasons(deals: QuerySet) -> list[dict]:
    """The reasons written for the deals lost, the most frequent first (as written,
    surrounding spaces aside). One query."""
    return list(
        deals.filter(won=False)
        .order_by()
        .annotate(reason=Trim("close_reason"))
        .values("reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")[:LOST_REASONS_SHOWN]
    )


def _day_bounds(scope: Scope) -> tuple[datetime.datetime, datetime.datetime]:
    """The period as instants: from the start of its first day to the start of the day
    after its last, in the current time zone (a range an index can read)."""

    def start_of(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    return start_of(scope.start), start_of(scope.end + datetime.timedelta(days=1))


def _changes_into(stages, scope: Scope) -> QuerySet[StageChange]:
    begin, end = _day_bounds(scope)
    return StageChange.objects.filter(
        to_stage__in=stages, changed_at__gte=begin, changed_at__lt=end
    )


def stage_entries(user, scope: Scope, stages) -> QuerySet[StageChange]:
    """The changes into `stages` made in the period, of the deals `user` can see in the
    scope: how a deal "entered" a stage (creation included), for the funnel and for the
    deals behind its numbers."""
    return _changes_into(stages, scope).filter(
        opportunity__in=narrowed(opportunities_visible_to(user), scope).values("pk")
    )


def deals_entering(user, scope: Scope, stage: Stage) -> QuerySet[Opportunity]:
    """The deals `user` can see that entered `stage` in the period (the scope's)."""
    entered = stage_entries(user, scope, [stage]).values("opportunity")
    return narrowed(opportunities_visible_to(user), scope).filter(pk__in=entered)


def deals_moving_on(user, scope: Scope, stage: Stage) -> QuerySet[Opportunity]:
    """Those of `deals_entering` that moved on, as `stage_funnel` counts them: a change
    after their first entry in the period (strictly later) to a later stage that is not
    lost, or to won."""
    first_entry = (
        _changes_into([stage], scope)
        .filter(opportunity=OuterRef("opportunity"))
        .order_by("changed_at")
        .values("changed_at")[:1]
    )
    onward = StageChange.objects.filter(
        Q(to_stage__is_won=True) | Q(to_stage__is_lost=False, to_stage__order__gt=stage.order),
        opportunity=OuterRef("pk"),
        changed_at__gt=Subquery(first_entry),
    )
    return deals_entering(user, scope, stage).filter(Exists(onward))


def _read_around(rows: QuerySet, sql: str, *params) -> list[tuple]:
    """The rows of `sql`, a statement around the query of `rows` (`{inner}` in it, its
    parameters first, then `params`): the window functions' results are read by a
    statement of their own, which the ORM cannot write. Nothing when `rows` can match
    nothing (Django then writes no query at all)."""
    try:
        inner, inner_params = rows.query.sql_with_params()
    except EmptyResultSet:
        return []
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql.format(inner=inner), [*inner_params, *params])
        return cursor.fetchall()


def stage_funnel(user, scope: Scope, stages: list[Stage]) -> list[dict]:
    """For each open stage in order: the deals that entered it in the period (a stage
    change into it, creation included), how many of them later moved on (to a later
    stage that is not lost, or won), the conversion (0–1), and the mean days spent in it
    by those that left it (entering to the next stage change). One query (and the ids
    of the deals, see `_the_deals`).

    Each deal's changes are read once, in time order, by two window functions over the
    changes strictly after each one (the frame without the row's own instant): when the
    next change came, and the furthest it got ("won" beyond every stage, "lost" before
    every stage). Entries are the rows in the period into an open stage; the later
    changes count whenever they happened."""
    open_stages = [stage for stage in stages if not stage.is_closed]
    if not open_stages:
        return []
    deals = narrowed(opportunities_visible_to(user), scope).filter(
        pk__in=_changes_into(open_stages, scope).values("opportunity")
    )
    after = {
        "partition_by": F("opportunity_id"),
        "order_by": F("changed_at").asc(),
        "frame": ValueRange(start=0, end=None, exclusion=WindowFrameExclusion.GROUP),
    }
    reach = Case(
        When(to_stage__is_won=True, then=Value(WON_REACH)),
        When(to_stage__is_lost=True, then=Value(LOST_REACH)),
        default=F("to_stage__order"),
        output_field=IntegerField(),
    )
    begin, end = _day_bounds(scope)
    entry = Q(to_stage__in=open_stages, changed_at__gte=begin, changed_at__lt=end)
    walked = (
        StageChange.objects.filter(opportunity__in=_the_deals(user, deals))
        .order_by()
        .annotate(
            entry=Case(When(entry, then=Value(1)), default=Value(0)),
            stage_order=F("to_stage__order"),
            reach=Window(Max(reach), **after),
            stay=ExpressionWrapper(
                Window(Min("changed_at"), **after) - F("changed_at"),
                output_field=DurationField(),
            ),
        )
        .values("opportunity_id", "to_stage_id", "entry", "stage_order", "reach", "stay")
    )
    # Per stage and deal first (a deal may enter a stage twice), then per stage.
    rows = {
        stage: (int(entered), int(moved), total, int(n))
        for stage, entered, moved, total, n in _read_around(
            walked,
            "SELECT d.to_stage_id, COUNT(*), SUM(d.moved), SUM(d.stay), SUM(d.stays) FROM ("
            " SELECT w.to_stage_id, w.opportunity_id,"
            " MAX(CASE WHEN w.reach > w.stage_order THEN 1 ELSE 0 END) AS moved,"
            " SUM(w.stay) AS stay, COUNT(w.stay) AS stays"
            " FROM ({inner}) w WHERE w.entry = 1 GROUP BY w.to_stage_id, w.opportunity_id"
            ") d GROUP BY d.to_stage_id",
        )
    }
    funnel = []
    for stage in open_stages:
        entered, moved, total, n = rows.get(stage.pk, (0, 0, None, 0))
        funnel.append(
            {
                "stage": stage,
                "entered": entered,
                "moved_on": moved,
                "rate": moved / entered if entered else None,
                "stay_days": round(_seconds(total) / n / 86400, 1) if n else None,
            }
        )
    return funnel


def _money(total) -> Decimal:
    """A sum of amounts as the database gives it (a decimal, or a float on SQLite), to
    the cent."""
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))


def _seconds(total) -> float:
    """A sum of durations as the database gives it: an interval (PostgreSQL) or
    microseconds (SQLite)."""
    if isinstance(total, datetime.timedelta):
        return total.total_seconds()
    return float(total) / 1_000_000


# --- forecast accuracy -----------------------------------------------------------------

FORECAST_MONTHS = 12  # at most, the latest months of the period


def month_starts(scope: Scope, today: datetime.date) -> list[datetime.date]:
    """The first days of the months of the period that have begun, oldest first (at
    most the latest FORECAST_MONTHS)."""
    first = scope.start.replace(day=1)
    last = min(scope.end, today).replace(day=1)
    months = []
    while first <= last:
        months.append(first)
        first = (first + datetime.timedelta(days=32)).replace(day=1)
    return months[-FORECAST_MONTHS:]


def month_end(start: datetime.date) -> datetime.date:
    return (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def forecast_at_start(user, scope: Scope, month: datetime.date) -> QuerySet:
    """The deals as they stood when `month` began (their history's latest version from
    before its first day, not deleted), open then and expected to close in that month:
    historical rows of the deals `user` can see now, narrowed by the owner then."""
    history = Opportunity.history.model
    begun = timezone.make_aware(datetime.datetime.combine(month, datetime.time.min))
    latest = (
        history.objects.filter(id=OuterRef("id"), history_date__lt=begun)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    rows = history.objects.filter(
        history_date__lt=begun,
        expected_close_date__gte=month,
        expected_close_date__lte=month_end(month),
        history_id=Subquery(latest),
        deleted_at__isnull=True,
        stage__is_won=False,
        stage__is_lost=False,
        # The deals the user can see now (a deal since moved to an account they cannot
        # see is not counted, whatever account it had then).
        id__in=opportunities_visible_to(user).values("pk"),
    ).exclude(history_type="-")
    return narrowed(rows, scope)


def forecast_accuracy(user, scope: Scope, today: datetime.date) -> list[dict]:
    """For each month of the period that has begun: the weighted forecast as it stood at
    its start (amount in CNY × probability of the deals then open and expected to close
    in it), what was won in it (deals closed as won in that month, in CNY), and their
    ratio. One query for the forecasts (`_forecasts_at_starts`), one for what was won."""
    starts = month_starts(scope, today)
    if not starts:
        return []
    won_by_month = {
        row["month"]: row
        for row in narrowed(opportunities_visible_to(user), scope)
        .filter(stage__is_won=True, closed_on__gte=starts[0], closed_on__lte=month_end(starts[-1]))
        .annotate(month=TruncMonth("closed_on"))
        .values("month")
        .annotate(total=Sum(amount_in_cny()), deals=Count("pk"))
    }
    forecasts = _forecasts_at_starts(user, scope, starts)
    months = []
    for month in starts:
        weighted, deals = forecasts.get(month, (0, 0))
        won = won_by_month.get(month, {"total": 0, "deals": 0})
        months.append(
            {
                "month": month,
                "forecast": weighted,
                "forecast_deals": deals,
                "won": won["total"] or 0,
                "won_deals": won["deals"],
                "ratio": (won["total"] or 0) / weighted if weighted else None,
            }
        )
    return months


def _forecasts_at_starts(user, scope: Scope, starts: list[datetime.date]) -> dict:
    """{month: (weighted forecast in CNY, deals)} for the months `starts`, as
    `forecast_at_start` counts each, in one query: each version of the deals `user` can
    see is in force from its own date to the next version's (a window over each deal's
    history); a version counts for the month its expected close falls in when it was in
    force as that month began, open, not deleted, and in the scope."""
    history = Opportunity.history.model
    later = {
        "partition_by": F("id"),
        "order_by": [F("history_date").asc(), F("history_id").asc()],
    }
    counts = Q(deleted_at__isnull=True, stage__is_won=False, stage__is_lost=False) & ~Q(
        history_type="-"
    )
    if scope.team:
        counts &= Q(owner__sales_team_id=scope.team)
    if scope.owner:
        counts &= Q(owner_id=scope.owner)
    walked = (
        history.objects.filter(id__in=_the_deals(user, opportunities_visible_to(user)))
        .order_by()
        .annotate(
            counts=Case(When(counts, then=Value(1)), default=Value(0)),
            month=TruncMonth("expected_close_date"),
            since=TruncDate("history_date"),
            until=TruncDate(Window(Lead("history_date"), **later)),
            weighted_percent=ExpressionWrapper(
                amount_in_cny() * F("probability"), output_field=MONEY
            ),
        )
        .values("counts", "month", "since", "until", "weighted_percent")
    )
    # In force as the month began: from a day before it, until a day in it or after it.
    found = _read_around(
        walked,
        "SELECT w.month, SUM(w.weighted_percent), COUNT(*)"
        " FROM ({inner}) w WHERE w.counts = 1 AND w.month >= %s AND w.month <= %s"
        " AND w.since < w.month AND (w.until IS NULL OR w.until >= w.month)"
        " GROUP BY w.month",
        starts[0],
        starts[-1],
    )
    # Divided by 100 here, not in SQL: SQLite divides whole amounts as integers.
    return {
        datetime.date.fromisoformat(str(month)[:10]): (
            (_money(total) / 100).quantize(Decimal("0.01")),
            int(n),
        )
        for month, total, n in found
    }
