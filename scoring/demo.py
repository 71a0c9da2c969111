"""Demo ratings, monthly sales and grade history for `seed_demo`, in bulk.

Runs after the accounts, visits and opportunities exist, over every demo account
(`demo-account-…`):

* ratings (an `Assessment`) that follow the account's status — active customers know
  us well, prospects hardly — and its pipeline: a deal far along says we are ahead.
  Some accounts, mostly prospects, are left unrated or rated in part;
* monthly sales and month-end receivables for active and dormant customers: a few big
  customers hold much of the total, so concentration shows; receivables are one to
  three months of sales, by the account's payment cycle; a dormant customer's sales
  stop some months ago, and now and then an unpaid remainder stays on the books;
* one full rescore (`scoring.services.rescore`), after an ANALYZE on PostgreSQL: the
  seed filled the tables in its own transaction, and without statistics the planner
  can read a whole table per account (see `analyze`);
* an earlier grade, eight to twenty days back, for a handful of accounts graded for the
  first time by that rescore, so "grade movement since last week" shows upgrades and
  downgrades. The history stays a chain: the back-dated row is the account's first
  grade (from "" to the earlier grade) and the rescore's row becomes the move from
  that grade to the current one.

Idempotent: ratings go to accounts without an assessment, sales to accounts without a
sales row, and the history to accounts graded for the first time in this run, so a
second run adds nothing. Each account draws from its own seeded `random.Random`, so the
same seed gives the same data. Every write is `keyaccounts.bulk.insert_rows` of plain
values (COPY on PostgreSQL) or a grouped `update`.
"""

import calendar
import datetime
import random
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone

from accounts.demo import ACCOUNT_PREFIX
from accounts.models import Account, AccountStatus, Contact
from keyaccounts.bulk import Rows
from opportunities.models import Opportunity, Stage
from visits.models import Visit

from . import engine
from .inputs import open_opportunities
from .models import (
    AccountScore,
    Assessment,
    ChangeReason,
    Grade,
    GradeChange,
    MonthlySales,
    Source,
)
from .selectors import MOVEMENT_DAYS
from .services import active_model, model_spec, rescore

# The tables create_demo_scoring writes.
MODELS = [Assessment, MonthlySales, AccountScore, GradeChange]
CHUNK = 5000  # accounts read and written together
# Two years of sales make the demo's history; beyond LARGE demo accounts a year keeps
# the table (and the seeding time) bounded: 40% of 100,000 accounts × 12 = 480,000 rows.
FULL_HISTORY_MONTHS = 24
LARGE_HISTORY_MONTHS = 12
LARGE = 10_000

# --- ratings -------------------------------------------------------------------------

# (low, high) for relationship, need fit and competitive position, by status.
RATINGS = {
    AccountStatus.ACTIVE: {"relationship": (4, 5), "need_fit": (3, 5), "competitive": (3, 5)},
    AccountStatus.DORMANT: {"relationship": (2, 4), "need_fit": (2, 4), "competitive": (2, 3)},
    AccountStatus.DEVELOPING: {"relationship": (2, 4), "need_fit": (3, 5), "competitive": (2, 4)},
    AccountStatus.PROSPECT: {"relationship": (1, 2), "need_fit": (1, 4), "competitive": (1, 3)},
    AccountStatus.LOST: {"relationship": (1, 2), "need_fit": (2, 3), "competitive": (1, 2)},
}
# Chance that nobody has rated the account yet.
UNRATED = {
    AccountStatus.ACTIVE: 0.03,
    AccountStatus.DORMANT: 0.10,
    AccountStatus.DEVELOPING: 0.10,
    AccountStatus.PROSPECT: 0.30,
    AccountStatus.LOST: 0.20,
}
# A prospect is often rated on need fit alone: the rest is not known yet.
PARTLY_RATED = 0.3
# An open deal at or above this probability: we are ahead there, and know the people.
AHEAD_PROBABILITY = 60
ENGAGED = {AccountStatus.ACTIVE, AccountStatus.DEVELOPING}
NOTES = {
    5: ["决策层每季度与我方高层会面，长期合作伙伴。", "客户新项目会先征求我方意见。"],
    4: ["内线稳定，与决策者保持定期沟通。", "技术部门认可我方方案，关系良好。"],
    1: ["尚未建立有效联系，需要引荐。", "仅与采购部门有过接触。"],
}


def plan_assessment(rng: random.Random, row: dict) -> dict | None:
    """The account's ratings (an Assessment's values), or None when it is left unrated."""
    status = row["status"]
    if rng.random() < UNRATED.get(status, 0.1):
        return None
    ranges = RATINGS.get(status, RATINGS[AccountStatus.DEVELOPING])
    relationship = rng.randint(*ranges["relationship"])
    need_fit = rng.randint(*ranges["need_fit"])
    competitive = rng.randint(*ranges["competitive"])
    probability = row["best_probability"]
    if probability is not None and probability >= AHEAD_PROBABILITY:
        # A deal this far along: we know their people and are ahead of the competitors.
        relationship = min(5, relationship + 1)
        competitive = min(5, competitive + 1)
        need_fit = max(need_fit, 4)
    if row["closing_soon"] and status in ENGAGED:
        # A customer about to decide on a deal with us: the rep is in and out of the door.
        relationship = max(relationship, 4)
        competitive = min(5, competitive + 1)
    if status == AccountStatus.PROSPECT and rng.random() < PARTLY_RATED:
        relationship = competitive = None
    notes = rng.choice(NOTES[relationship]) if relationship in NOTES and rng.random() < 0.5 else ""
    return {
        "account_id": row["pk"],
        "need_fit": need_fit,
        "competitive_position": competitive,
        "relationship": relationship,
        "notes": notes,
        "rated_by_id": row["owner_id"],
    }


# --- monthly sales -------------------------------------------------------------------

# Spring Festival in February, the budget flush in December.
SEASON = {1: 0.9, 2: 0.55, 3: 1.0, 4: 1.0, 5: 1.0, 6: 1.15, 7: 0.95, 8: 0.9, 9: 1.05, 10: 0.9,
          11: 1.05, 12: 1.5}  # fmt: skip
SELLING = {AccountStatus.ACTIVE, AccountStatus.DORMANT}


def history_months(accounts: int) -> int:
    return FULL_HISTORY_MONTHS if accounts <= LARGE else LARGE_HISTORY_MONTHS


def month_starts(today: datetime.date, months: int) -> list[datetime.date]:
    """The first days of the last `months` months, oldest first, this month last."""
    year, month = today.year, today.month
    result = []
    for _ in range(months):
        result.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return result[::-1]


def _money(value: float) -> Decimal:
    return Decimal(f"{max(value, 0):.2f}")


def plan_sales(
    rng: random.Random, row: dict, months: list[datetime.date], today: datetime.date
) -> list[dict]:
    """Monthly sales and month-end receivables of an active or dormant customer (the
    MonthlySales rows' values)."""
    if row["status"] not in SELLING:
        return []
    budget = float(row["annual_budget"] or 0) * 10_000  # 10k CNY -> CNY
    share = float(row["our_share"] or 0) / 100
    annual = budget * share * rng.uniform(0.6, 1.2)
    if annual <= 0:
        return []
    monthly = annual / 12
    growth = rng.uniform(-0.1, 0.3)  # a year
    lumpy = annual < 500_000 and rng.random() < 0.5  # small project business: gaps
    # Months in arrears at month end: the payment cycle, within one to three months.
    cycle = row["payment_cycle_days"] or 45
    outstanding = min(3.0, max(1.0, cycle / 30 * rng.uniform(0.6, 1.0)))
    dormant = row["status"] == AccountStatus.DORMANT
    stopped_after = len(months) - rng.randint(4, 10) if dormant else len(months)
    overdue = 0.0  # a dormant customer's last invoices, sometimes never quite paid
    sales = []
    rows = []
    for n, month in enumerate(months):
        years_back = (len(months) - 1 - n) / 12
        value = monthly * SEASON[month.month] * (1 + growth) ** -years_back
        value *= rng.lognormvariate(0, 0.3)
        if lumpy and rng.random() < 0.3:
            value = 0.0
        if n >= stopped_after:
            value = 0.0 if rng.random() < 0.8 else value * rng.uniform(0.02, 0.1)
            if n == stopped_after and rng.random() < 0.5:
                overdue = sum(sales[-3:]) * rng.uniform(0.1, 0.4)
        if month.year == today.year and month.month == today.month:
            # This month so far.
            value *= today.day / calendar.monthrange(today.year, today.month)[1]
        sales.append(value)
        receivables = sum(
            past * min(1.0, max(0.0, outstanding - back))
            for back, past in enumerate(reversed(sales[-3:]))
        )
        if n >= stopped_after:
            receivables = max(receivables, overdue)
        rows.append(
            {
                "account_id": row["pk"],
                "month": month,
                "sales": _money(value),
                "receivables": _money(receivables),
            }
        )
    return rows


# --- the grade history ---------------------------------------------------------------

ORDER = [Grade.A, Grade.B, Grade.C, Grade.D]  # best first
RATED = [Source.RELATIONSHIP, Source.COMPETITIVE_POSITION]
HISTORY_BATCH = 500  # candidates read at a time


def movers_count(candidates: int) -> int:
    """A handful in the small demo, one account in twenty at scale."""
    return min(candidates, max(8, candidates // 20))


def _shifted(values: dict, step: int) -> dict:
    """The ratings one `step` away and the win probability 20 points away."""
    shifted = dict(values)
    for source in RATED:
        if shifted.get(source) is not None:
            shifted[source] = min(5, max(1, shifted[source] + step))
    if shifted.get(Source.WIN_PROBABILITY) is not None:
        shifted[Source.WIN_PROBABILITY] = min(
            100, max(0, shifted[Source.WIN_PROBABILITY] + 20 * step)
        )
    return shifted


def _with_close(values: dict, days: int | None) -> dict:
    moved = dict(values)
    if Source.DAYS_TO_CLOSE in moved:
        moved[Source.DAYS_TO_CLOSE] = days
    return moved


def earlier_states(rng: random.Random, values: dict, days: int | None, *, better: bool):
    """Plausible states of the account a week or two ago, as (raw values, days to
    close): the rep rated it a step lower (higher) and its best deal looked less (more)
    likely, or the deal was expected later (sooner), or both. In a random order."""
    options = []
    step = 1 if better else -1
    options.append((_shifted(values, step), days))
    if better:
        # The deal now far off (or lost since) was expected within weeks then.
        sooner = rng.randint(20, 80)
        if days is None or days > sooner:
            options.append((_with_close(values, sooner), sooner))
            options.append((_with_close(_shifted(values, step), sooner), sooner))
    elif days is not None:
        later = days + rng.randint(60, 120)
        options.append((_with_close(values, later), later))
        options.append((_with_close(_shifted(values, step), later), later))
    rng.shuffle(options)
    return options


def _earlier_change(rng, spec, grade: str, values: dict, days, *, better: bool):
    """(score, grade, raw values) of the first earlier state that grades better
    (or worse) than `grade` under the table, or None."""
    now = ORDER.index(grade)
    for state, state_days in earlier_states(rng, values, days, better=better):
        total, _contributions = engine.score(spec, state)
        then, _closing = engine.grade(spec, total, state_days)
        if (ORDER.index(then) < now) if better else (ORDER.index(then) > now):
            return total, then, state
    return None


def _dates_on(day: datetime.date, values: dict) -> dict:
    """The dates the day counts among `values` count from, as seen on `day`."""
    return {
        source: None
        if values[source] is None
        else day + datetime.timedelta(days=sign * values[source])
        for source, sign in engine.DAY_COUNTS.items()
        if source in values
    }


def _dealt_by_owner(rng: random.Random, rows: list) -> list:
    """`rows` ((pk, account_id, owner_id, ...)) dealt out one owner at a time, each
    owner's shuffled, so every rep (and manager) gets some."""
    by_owner = defaultdict(list)
    for row in rows:
        by_owner[row[2]].append(row)
    queues = [by_owner[owner] for owner in sorted(by_owner, key=lambda o: (o is None, o or 0))]
    for queue in queues:
        rng.shuffle(queue)
    dealt = []
    while any(queues):
        for queue in queues:
            if queue:
                dealt.append(queue.pop())
    return dealt


def add_grade_history(
    *, seed: int, since: datetime.datetime, today: datetime.date | None = None
) -> dict:
    """Give a handful of accounts first graded at or after `since` an earlier grade.

    The earlier grade is what the active table gives for a plausible earlier state of the
    account (`earlier_states`), so its score and contributions add up. It goes in as the
    account's first grade, eight to twenty days back; the rescore's row becomes the move
    from it to the current grade. Half are upgrades, half downgrades (fewer when the
    accounts do not allow it: an account graded D now cannot have been lower).
    `today`: the day the rescore counted days from.
    Returns {"upgrades": n, "downgrades": n}.
    """
    today = today or timezone.localdate()
    firsts = list(
        GradeChange.objects.filter(
            reason=ChangeReason.FIRST,
            changed_at__gte=since,
            account__external_id__startswith=ACCOUNT_PREFIX,
        )
        .order_by("account__external_id")
        .values_list("pk", "account_id", "account__owner_id", "to_grade", "changed_at")
    )
    result = {"upgrades": 0, "downgrades": 0}
    if not firsts:
        return result
    rng = random.Random(f"{seed}:grade-history")
    dealt = _dealt_by_owner(rng, firsts)
    model = active_model()
    spec = model_spec(model)
    wanted = movers_count(len(firsts))
    quota = {"upgrades": wanted // 2, "downgrades": wanted - wanted // 2}
    earlier_rows = Rows(GradeChange, now=timezone.now(), without=["id"])
    moved_from = defaultdict(list)
    for start in range(0, len(dealt), HISTORY_BATCH):
        if result == quota:
            break
        batch = dealt[start : start + HISTORY_BATCH]
        current = {
            row["account_id"]: row
            for row in AccountScore.objects.filter(
                account_id__in=[account_id for _, account_id, *_ in batch]
            ).values("account_id", "contributions", "next_close", "pinned")
        }
        for pk, account_id, _owner, grade, changed_at in batch:
            if result == quota:
                break
            score = current.get(account_id)
            if score is None or score["pinned"]:
                continue
            # Scored just now with the active table: its spec explains the row.
            explained = engine.explain(spec, score["contributions"], today)
            values = {part["source"]: part["raw"] for part in explained}
            days = engine.day_count(Source.DAYS_TO_CLOSE, score["next_close"], today)
            # The direction furthest from its quota first; one that is full, not at all.
            kinds = sorted(
                (kind for kind in quota if result[kind] < quota[kind]),
                key=lambda kind: result[kind] - quota[kind],
            )
            earlier = None
            for kind in kinds:
                # A downgrade now: the earlier grade was better.
                better = kind == "downgrades"
                earlier = _earlier_change(rng, spec, grade, values, days, better=better)
                if earlier is not None:
                    break
            if earlier is None:
                continue
            total, then, state = earlier
            result[kind] += 1
            back = datetime.timedelta(
                days=rng.randint(MOVEMENT_DAYS + 1, MOVEMENT_DAYS + 13), hours=rng.randint(0, 8)
            )
            day = timezone.localdate(changed_at - back)
            _total, contributions = engine.score(spec, state, _dates_on(day, state))
            earlier_rows.add(
                {
                    "account_id": account_id,
                    "from_grade": "",
                    "to_grade": then,
                    "score": total,
                    "model_id": model.pk,
                    "reason": ChangeReason.FIRST,
                    "contributions": contributions,
                    "changed_at": changed_at - back,
                }
            )
            moved_from[then].append(pk)
    earlier_rows.write()
    # The rescore's row is now the move from the earlier grade to the current one.
    size = min(connection.features.max_query_params or 10000, 10000) - 10
    for then, pks in moved_from.items():
        for start in range(0, len(pks), size):
            GradeChange.objects.filter(pk__in=pks[start : start + size]).update(
                from_grade=then, reason=ChangeReason.RESCORED
            )
    return result


# --- all together --------------------------------------------------------------------


def _index(external_id: str) -> int:
    return int(external_id.rsplit("-", 1)[1])


def _account_chunk(after: int, soon: datetime.date) -> tuple[int | None, list[dict]]:
    """(last pk read, demo accounts) of the next CHUNK accounts after pk `after`, each
    with whether it is rated and has sales, and its open deals' best probability and
    whether one closes by `soon`. Every query reads one primary-key range through an
    index, so the plans stay cheap without statistics (the seed fills these tables in
    its own, not yet analyzed, transaction)."""
    rows = list(
        Account.objects.filter(pk__gt=after)
        .order_by("pk")
        .values(
            "pk",
            "external_id",
            "status",
            "owner_id",
            "annual_budget",
            "our_share",
            "payment_cycle_days",
        )[:CHUNK]
    )
    if not rows:
        return None, []
    first, last = rows[0]["pk"], rows[-1]["pk"]
    in_range = {"account_id__gte": first, "account_id__lte": last}
    rated = set(Assessment.objects.filter(**in_range).values_list("account_id", flat=True))
    selling = set(
        MonthlySales.objects.filter(**in_range)
        .order_by()
        .values_list("account_id", flat=True)
        .distinct()
    )
    deals = {
        deal["account_id"]: deal
        for deal in open_opportunities()
        .filter(**in_range)
        .order_by()
        .values("account_id")
        .annotate(best=Max("probability"), soonest=Min("expected_close_date"))
    }
    demo_rows = []
    for row in rows:
        if not (row["external_id"] or "").startswith(ACCOUNT_PREFIX):
            continue
        deal = deals.get(row["pk"])
        row["rated"] = row["pk"] in rated
        row["has_sales"] = row["pk"] in selling
        row["best_probability"] = deal["best"] if deal else None
        row["closing_soon"] = bool(deal and deal["soonest"] <= soon)
        demo_rows.append(row)
    return last, demo_rows


# Tables the seed has just filled (in its own transaction) and the reads below use.
SEEDED_TABLES = [
    Account,
    Contact,
    Visit,
    Opportunity,
    Stage,
    Assessment,
    MonthlySales,
    AccountScore,
    GradeChange,
]


def analyze(models) -> None:
    """Give PostgreSQL's planner statistics for tables filled in this transaction.

    Without them the planner guesses, and a guess can turn the rescore's per-account
    subqueries into scans of whole tables. ANALYZE runs inside a transaction and counts
    the transaction's own new rows. A no-op elsewhere."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def create_demo_scoring(*, seed: int, accounts: int, today: datetime.date | None = None) -> dict:
    """Ratings and sales for the demo accounts lacking them, a rescore, grade history.

    `accounts` is the demo's size (--accounts): it sets the months of sales history.
    Returns the counts of what was made and the grades after the rescore.
    """
    today = today or timezone.localdate()
    months = month_starts(today, history_months(accounts))
    soon = today + datetime.timedelta(days=active_model().soon_days)
    made = {"assessments": 0, "monthly sales": 0}
    assessments = Rows(Assessment, now=timezone.now())
    sales = Rows(MonthlySales, now=None, without=["id"])
    last = 0
    while True:
        last, rows = _account_chunk(last, soon)
        if last is None:
            break
        for row in rows:
            index = _index(row["external_id"])
            if not row["rated"]:
                rated = plan_assessment(random.Random(f"{seed}:rating:{index}"), row)
                if rated is not None:
                    assessments.add(rated)
            if not row["has_sales"]:
                rng = random.Random(f"{seed}:sales:{index}")
                for month in plan_sales(rng, row, months, today):
                    sales.add(month)
        made["assessments"] += assessments.write()
        made["monthly sales"] += sales.write()

    analyze(SEEDED_TABLES)
    since = timezone.now()
    rescored = rescore(today=today)
    history = add_grade_history(seed=seed, since=since, today=today)
    grades = dict(
        Account.objects.filter(score__isnull=False)
        .order_by()
        .values_list("score__grade")
        .annotate(n=Count("pk"))
    )
    return {
        **made,
        "scored": rescored["scored"],
        "grade changes": rescored["changed"],
        **history,
        "grades": {grade: grades.get(grade, 0) for grade in ORDER},
    }
