"""Reads of the win/loss analytics, for the deals a user can see. A constant number of
queries whatever the number of deals: each table is one grouped query."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Trim, TruncDate, TruncMonth
from django.utils import timezone

from opportunities.models import Opportunity, OpportunityCompetitor, Stage, StageChange
from opportunities.selectors import opportunities_visible_to
from scoring.inputs import MONEY, amount_in_cny
from scoring.models import GradeChange

NO_GRADE = ""  # deals at accounts not graded when they were decided
LOST_REASONS_SHOWN = 10


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


def decided_deals(user, scope: Scope) -> QuerySet[Opportunity]:
    """The deals `user` can see that were won or lost in the scope, with `won`."""
    rows = opportunities_visible_to(user).filter(
        closed_on__gte=scope.start, closed_on__lte=scope.end
    )
    rows = rows.filter(Q(stage__is_won=True) | Q(stage__is_lost=True))
    return narrowed(rows, scope).annotate(won=F("stage__is_won"))


def _cycle_days():
    return ExpressionWrapper(F("closed_on") - TruncDate("created_at"), output_field=DurationField())


def win_loss_by(deals: QuerySet, dimension: str | None) -> list[dict]:
    """Per value of `dimension` ("industry", "grade", None for all deals): decided, won,
    lost, the win rate (0–1), the amount won (CNY) and the mean cycle of the deals won
    (days from created to closed). One query."""
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
        "won_cycle": Avg(_cycle_days(), filter=Q(won=True)),
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


def stage_entries(user, scope: Scope, stages) -> QuerySet[StageChange]:
    """The changes into `stages` made in the period, of the deals `user` can see in the
    scope: how a deal "entered" a stage (creation included), for the funnel and for the
    deals behind its numbers."""
    return StageChange.objects.filter(
        opportunity__in=narrowed(opportunities_visible_to(user), scope).values("pk"),
        to_stage__in=stages,
        changed_at__date__gte=scope.start,
        changed_at__date__lte=scope.end,
    )


def deals_entering(user, scope: Scope, stage: Stage) -> QuerySet[Opportunity]:
    """The deals `user` can see that entered `stage` in the period (the scope's)."""
    entered = stage_entries(user, scope, [stage]).values("opportunity")
    return narrowed(opportunities_visible_to(user), scope).filter(pk__in=entered)


def stage_funnel(user, scope: Scope, stages: list[Stage]) -> list[dict]:
    """For each open stage in order: the deals that entered it in the period (a stage
    change into it, creation included), how many of them later moved on (to a later
    stage that is not lost, or won), the conversion (0–1), and the mean days spent in it
    by those that left it (entering to the next stage change). One query."""
    open_stages = [stage for stage in stages if not stage.is_closed]
    changes = stage_entries(user, scope, open_stages)
    later = StageChange.objects.filter(
        opportunity=OuterRef("opportunity"), changed_at__gt=OuterRef("changed_at")
    )
    moved_on = later.filter(
        Q(to_stage__order__gt=OuterRef("to_stage__order"), to_stage__is_lost=False)
        | Q(to_stage__is_won=True)
    )
    left_at = later.order_by("changed_at", "pk").values("changed_at")[:1]
    rows = {
        row["to_stage"]: row
        for row in changes.annotate(
            moved=Exists(moved_on),
            stay=ExpressionWrapper(
                Subquery(left_at) - F("changed_at"), output_field=DurationField()
            ),
        )
        .values("to_stage")
        .annotate(
            entered=Count("opportunity", distinct=True),
            moved_on=Count("opportunity", distinct=True, filter=Q(moved=True)),
            mean_stay=Avg("stay"),
        )
    }
    funnel = []
    for stage in open_stages:
        row = rows.get(stage.pk, {})
        entered, moved = row.get("entered", 0), row.get("moved_on", 0)
        stay = row.get("mean_stay")
        funnel.append(
            {
                "stage": stage,
                "entered": entered,
                "moved_on": moved,
                "rate": moved / entered if entered else None,
                "stay_days": None if stay is None else round(stay.total_seconds() / 86400, 1),
            }
        )
    return funnel


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
    ratio. One query a month (the forecast as it stood), one for what was won."""
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
    months = []
    for month in starts:
        weighted = forecast_at_start(user, scope, month).aggregate(
            total=Sum(
                ExpressionWrapper(amount_in_cny() * F("probability") / 100, output_field=MONEY)
            ),
            deals=Count("id", distinct=True),
        )
        won = won_by_month.get(month, {"total": 0, "deals": 0})
        forecast = weighted["total"] or 0
        months.append(
            {
                "month": month,
                "forecast": forecast,
                "forecast_deals": weighted["deals"],
                "won": won["total"] or 0,
                "won_deals": won["deals"],
                "ratio": (won["total"] or 0) / forecast if forecast else None,
            }
        )
    return months
