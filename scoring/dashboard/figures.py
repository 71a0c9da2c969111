"""The managers' dashboard: every number of `/dashboard/`, computed in the database.

Each function takes `accounts`, the accounts the page is about: the user's visible set
(`accounts.selectors.account_list`: `accounts_visible_to`, or the ids of a person's few
accounts, plus the buying-center flags) narrowed by the dashboard's filters
(`accounts.scope.filter_accounts`). Each one runs a fixed number of queries, grouping and
counting in SQL, however many accounts, deals or visits there are; docs/dashboards.md says what each
number means and where it drills down to.

Grades are keyed as the account list's `grade` filter takes them: "A".."D", and "none"
for an account not graded yet.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import is_manager
from opportunities.models import Stage
from visits.compliance import REP_ROWS
from visits.compliance import summary as compliance_summary
from visits.selectors import accounts_with_lapsed_contact, follow_up_compliance, reps_of

from .. import selectors
from ..inputs import MONEY, amount_in_cny, open_opportunities
from ..models import Grade, GradeChange

GRADES = [grade.value for grade in Grade]  # best first
UNGRADED = "none"


def grade_label(grade: str) -> str:
    """A grade as the dashboard and its workbook name it ("Ungraded" for UNGRADED)."""
    return _("Ungraded") if grade == UNGRADED else grade


GRADE_KEYS = [*GRADES, UNGRADED]
COVERAGE_GRADES = ["A", "B"]
FORECAST_MONTHS = 12  # this month and the next 11
COMPLIANCE_DAYS = 90
# More reps in scope than this: a row per team and only these many reps
# (`visits.compliance`).
COMPLIANCE_REP_ROWS = REP_ROWS
CENT = Decimal("0.01")
ZERO = Decimal(0)


def _grade_key(grade: str | None) -> str:
    return grade or UNGRADED


def _cents(amount) -> Decimal:
    return Decimal(amount or 0).quantize(CENT)


# --- the filters -------------------------------------------------------------------------


def reps_in_scope(user, *, team: int | None = None, owner: int | None = None) -> list:
    """Whose follow-ups the dashboard shows: a manager's reps (`visits.selectors.reps_of`),
    or a rep themselves; narrowed by the team and owner filters. One query."""
    reps = reps_of(user) if is_manager(user) else User.objects.filter(pk=user.pk)
    if team:
        reps = reps.filter(sales_team_id=team)
    if owner:
        reps = reps.filter(pk=owner)
    return list(reps.select_related("sales_team").order_by("first_name", "last_name", "username"))


# --- grade distribution ------------------------------------------------------------------


def grade_distribution(accounts: QuerySet) -> list[dict]:
    """[{"grade", "count"}] for A, B, C, D and ungraded. One query."""
    rows = (
        accounts.order_by()
        .annotate(grade_key=Coalesce("score__grade", Value("")))
        .values("grade_key")
        .annotate(n=Count("pk"))
    )
    counts = {_grade_key(row["grade_key"]): row["n"] for row in rows}
    return [{"grade": grade, "count": counts.get(grade, 0)} for grade in GRADE_KEYS]


# --- the ABCD pipeline -------------------------------------------------------------------


def open_stages() -> list[Stage]:
    """The stages a deal is still open in, in process order. One query."""
    return list(Stage.objects.filter(is_won=False, is_lost=False).order_by("order"))


def _open_deals(accounts: QuerySet):
    return (
        open_opportunities()
        .filter(account__in=accounts.order_by().values("pk"))
        .order_by()
        .annotate(grade_key=Coalesce("account__score__grade", Value("")))
    )


def deals_behind(
    accounts: QuerySet,
    *,
    grade: str | None = None,
    stage: Stage | None = None,
    month: str | None = None,
    today: datetime.date,
) -> QuerySet:
    """The open deals of `accounts` behind one number of the pipeline or the forecast:
    those of the grade `grade` (a GRADE_KEYS key), in the open stage `stage`, expected to
    close in `month` ("YYYY-MM" within the forecast's months, "overdue": before this
    month, or "window": any of the forecast's months, overdue included), each as
    `pipeline` and `forecast` count them (`_open_deals`)."""
    deals = _open_deals(accounts)
    if grade is not None:
        deals = deals.filter(grade_key="" if grade == UNGRADED else grade)
    if stage is not None:
        deals = deals.filter(stage=stage)
    if month is not None:
        this_month = today.replace(day=1)
        if month == "overdue":
            deals = deals.filter(expected_close_date__lt=this_month)
        elif month == "window":
            end = add_months(this_month, FORECAST_MONTHS)
            deals = deals.filter(expected_close_date__lt=end)
        else:
            start = datetime.date.fromisoformat(f"{month}-01")
            deals = deals.filter(
                expected_close_date__gte=start, expected_close_date__lt=add_months(start, 1)
            )
    return deals


def forecast_month_keys(today: datetime.date) -> list[str]:
    """The forecast's months as its links name them: "overdue", then this month and the
    next ones ("YYYY-MM"); last "window", all of them (a grade's total)."""
    this_month = today.replace(day=1)
    months = [f"{add_months(this_month, i):%Y-%m}" for i in range(FORECAST_MONTHS)]
    return ["overdue", *months, "window"]


def pipeline(accounts: QuerySet, stages: list[Stage]) -> dict:
    """Open deals of `accounts` per grade × open stage: count, amount in CNY and how many
    accounts they belong to, with row and column totals. One query.

    {"stages": [...], "rows": [{"grade", "cells": [{"stage", "count", "amount",
    "accounts"}], "count", "amount"}], "totals": [{"stage", "count", "amount"}],
    "count", "amount"}
    """
    found = {
        (_grade_key(row["grade_key"]), row["stage"]): row
        for row in _open_deals(accounts)
        .values("grade_key", "stage")
        .annotate(
            n=Count("pk"),
            amount=Coalesce(Sum(amount_in_cny()), Value(ZERO), output_field=MONEY),
            accounts=Count("account", distinct=True),
        )
    }
    empty = {"n": 0, "amount": ZERO, "accounts": 0}
    rows = []
    for grade in GRADE_KEYS:
        cells = []
        for stage in stages:
            row = found.get((grade, stage.pk), empty)
            cells.append(
                {
                    "stage": stage,
                    "count": row["n"],
                    "amount": _cents(row["amount"]),
                    "accounts": row["accounts"],
                }
            )
        rows.append(
            {
                "grade": grade,
                "cells": cells,
                "count": sum(cell["count"] for cell in cells),
                "amount": sum((cell["amount"] for cell in cells), ZERO),
            }
        )
    totals = [
        {
            "stage": stage,
            "count": sum(row["cells"][i]["count"] for row in rows),
            "amount": sum((row["cells"][i]["amount"] for row in rows), ZERO),
        }
        for i, stage in enumerate(stages)
    ]
    return {
        "stages": stages,
        "rows": rows,
        "totals": totals,
        "count": sum(row["count"] for row in rows),
        "amount": sum((row["amount"] for row in rows), ZERO),
    }


# --- the weighted forecast ---------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def forecast(accounts: QuerySet, today: datetime.date) -> dict:
    """Σ amount (CNY) × probability / 100 of the open deals of `accounts` by expected close
    month: overdue (any month before this one), this month and the next 11, per grade.
    One query.

    {"months": [{"key": "overdue" | "YYYY-MM", "month": date | None,
    "by_grade": {grade: Decimal}, "total": Decimal}], "by_grade": {...}, "total"}
    """
    this_month = today.replace(day=1)
    end = add_months(this_month, FORECAST_MONTHS)
    rows = (
        _open_deals(accounts)
        .filter(expected_close_date__lt=end)
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month", "grade_key")
        .annotate(
            weighted=Coalesce(
                Sum(amount_in_cny() * F("probability"), output_field=MONEY),
                Value(ZERO),
                output_field=MONEY,
            )
        )
    )
    months = [{"key": "overdue", "month": None}] + [
        {"key": f"{month:%Y-%m}", "month": month}
        for month in (add_months(this_month, i) for i in range(FORECAST_MONTHS))
    ]
    index = {entry["month"]: entry for entry in months[1:]}
    sums = {entry["key"]: dict.fromkeys(GRADE_KEYS, ZERO) for entry in months}
    for row in rows:
        month = row["month"]
        key = "overdue" if month < this_month else index[month]["key"]
        sums[key][_grade_key(row["grade_key"])] += Decimal(row["weighted"]) / 100
    for entry in months:
        entry["by_grade"] = {grade: _cents(value) for grade, value in sums[entry["key"]].items()}
        entry["total"] = sum(entry["by_grade"].values(), ZERO)
    return {
        "months": months,
        "by_grade": {
            grade: sum((entry["by_grade"][grade] for entry in months), ZERO) for grade in GRADE_KEYS
        },
        "total": sum((entry["total"] for entry in months), ZERO),
    }


# --- grade movement ----------------------------------------------------------------------


def grade_movement(accounts: QuerySet, now: datetime.datetime) -> list[dict]:
    """How many accounts moved from each grade a week ago to another grade now
    (`scoring.selectors.with_grade_movement`): [{"from", "to", "count", "direction"}],
    "from"/"to" keyed as the account list's `moved` filter takes them ("none": ungraded).
    Upgrades first. One query.

    Only accounts with a grade change after a week ago can differ (a grade is stored with
    a `GradeChange` each time it changes), so only those are looked up: the week's
    changes, not the whole account table.
    """
    changed = GradeChange.objects.filter(changed_at__gt=selectors.movement_since(now)).values(
        "account_id"
    )
    rows = (
        selectors.with_grade_movement(accounts.filter(pk__in=changed), now)
        .order_by()
        .values("grade_before", "grade_now")
        .annotate(n=Count("pk"))
    )
    moves = []
    for row in rows:
        before, after = row["grade_before"], row["grade_now"]
        if before == after:
            continue
        if not before:
            direction = "new"
        elif not after:
            direction = "down"
        else:
            direction = "up" if after < before else "down"
        moves.append(
            {
                "from": _grade_key(before),
                "to": _grade_key(after),
                "count": row["n"],
                "direction": direction,
            }
        )
    order = {"up": 0, "new": 1, "down": 2}
    moves.sort(key=lambda m: (order[m["direction"]], m["from"], m["to"]))
    return moves


def moved_key(move: dict) -> str:
    """The account list's `moved` value for a move: "B>A", "none>C"."""
    return f"{move['from']}>{move['to']}"


# --- coverage gaps -----------------------------------------------------------------------


def coverage_gaps(accounts: QuerySet, now: datetime.datetime) -> list[dict]:
    """For A and B accounts, then both together: how many have no active decider, no
    active coach (`accounts.selectors.account_list`'s `has_decider` / `has_coach`, which
    `accounts` must carry), and a lapsed contact rhythm
    (`visits.selectors.accounts_with_lapsed_contact`). One query.

    [{"grades": ["A"], "accounts", "no_decider", "no_coach", "lapsed"}, ..., {"grades":
    ["A", "B"], ...}]
    """
    graded = accounts.filter(score__grade__in=COVERAGE_GRADES)
    lapsed = accounts_with_lapsed_contact(user=None, now=now, accounts=graded)
    rows = {
        row["score__grade"]: row
        for row in graded.order_by()
        .values("score__grade")
        .annotate(
            n=Count("pk"),
            no_decider=Count("pk", filter=Q(has_decider=False)),
            no_coach=Count("pk", filter=Q(has_coach=False)),
            lapsed=Count("pk", filter=Q(pk__in=lapsed.values("pk"))),
        )
    }
    keys = ("no_decider", "no_coach", "lapsed")
    result = []
    for grade in COVERAGE_GRADES:
        row = rows.get(grade, {})
        result.append(
            {
                "grades": [grade],
                "accounts": row.get("n", 0),
                **{key: row.get(key, 0) for key in keys},
            }
        )
    result.append(
        {
            "grades": list(COVERAGE_GRADES),
            "accounts": sum(row["accounts"] for row in result),
            **{key: sum(row[key] for row in result) for key in keys},
        }
    )
    return result


# --- follow-up compliance ----------------------------------------------------------------


def compliance(reps: list, today: datetime.date, accounts=None) -> dict:
    """`visits.selectors.follow_up_compliance` over the last `COMPLIANCE_DAYS` days for
    `reps` and their visits to `accounts` (the filtered visible set), with the total.
    One query."""
    rows = follow_up_compliance(
        reps=reps,
        since=today - datetime.timedelta(days=COMPLIANCE_DAYS),
        today=today,
        accounts=accounts,
    )
    return {**compliance_summary(rows, rep_rows=COMPLIANCE_REP_ROWS), "days": COMPLIANCE_DAYS}


# --- concentration -----------------------------------------------------------------------


def concentration(accounts: QuerySet, today: datetime.date) -> dict:
    """`scoring.selectors.concentration` (top-1 and top-5 shares of the last 12 months'
    sales and of receivables), and whether any sales or receivables are recorded."""
    result = selectors.concentration(accounts, today)
    # And of the overdue receivables (scoring/money/risk.py): who is late with our money.
    from ..money.risk import overdue_concentration

    result["overdue"] = overdue_concentration(accounts, today)
    result["recorded"] = bool(result["sales"]["total"] or result["receivables"]["total"])
    return result
