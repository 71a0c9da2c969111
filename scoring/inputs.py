"""The raw value of every source, for many accounts in one query.

Each source is an SQL expression on the account (a field, or a subquery on its open
opportunities, visits, contacts or assessment), so a chunk of accounts is read in one
round trip whatever its size. Only the sources the active model uses are selected.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import Account, Attitude, BuyingRole, Contact, CreditRating, Level
from keyaccounts import statements
from keyaccounts.statements import built_once
from opportunities.models import Opportunity
from visits.models import Visit, VisitStatus

from .engine import day_count
from .models import Source

CREDIT_POINTS = {
    CreditRating.AAA: 7,
    CreditRating.AA: 6,
    CreditRating.A: 5,
    CreditRating.BBB: 4,
    CreditRating.BB: 3,
    CreditRating.B: 2,
    CreditRating.CCC: 1,
}
LEVEL_POINTS = {Level.LOW: 1, Level.MEDIUM: 2, Level.HIGH: 3}
COVERED_ROLES = [BuyingRole.DECIDER, BuyingRole.EVALUATOR, BuyingRole.USER, BuyingRole.PURCHASER]
SUPPORTIVE = [Attitude.CHAMPION, Attitude.SUPPORTER]

MONEY = DecimalField(max_digits=20, decimal_places=2)


def amount_in_cny(prefix: str = ""):
    """An opportunity's amount in CNY at the configured rates (`CURRENCY_RATES_TO_CNY`)."""
    rates = settings.CURRENCY_RATES_TO_CNY
    return Case(
        *[
            When(
                **{f"{prefix}currency": currency},
                then=ExpressionWrapper(F(f"{prefix}amount") * Value(Decimal(rate)), MONEY),
            )
            for currency, rate in rates.items()
            if Decimal(rate) != 1
        ],
        default=F(f"{prefix}amount"),
        output_field=MONEY,
    )


def open_opportunities():
    """Deals not closed yet (their stage is neither won nor lost)."""
    return Opportunity.objects.filter(stage__is_won=False, stage__is_lost=False)


def _mapped(field: str, mapping: dict):
    return Case(
        *[When(**{field: key}, then=Value(points)) for key, points in mapping.items()],
        default=None,
        output_field=IntegerField(),
    )


def _per_account(queryset, aggregate):
    """The aggregate of `queryset`'s rows of the outer account, as a subquery."""
    return Subquery(
        queryset.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(value=aggregate)
        .values("value")
    )


def source_expressions() -> dict:
    open_deals = open_opportunities().filter(account=OuterRef("pk"))
    active_contacts = Contact.objects.filter(is_active=True)
    return {
        Source.ANNUAL_BUDGET: F("annual_budget"),
        Source.ANNUAL_REVENUE: F("annual_revenue"),
        Source.EMPLOYEES: F("employees"),
        Source.CREDIT_RATING: _mapped("credit_rating", CREDIT_POINTS),
        Source.GROWTH_POTENTIAL: _mapped("growth_potential", LEVEL_POINTS),
        Source.OPEN_PIPELINE: Coalesce(
            _per_account(open_opportunities(), Sum(amount_in_cny())),
            Value(Decimal(0)),
            output_field=MONEY,
        ),
        Source.WIN_PROBABILITY: Subquery(
            open_deals.order_by("-probability").values("probability")[:1]
        ),
        Source.ROLE_COVERAGE: Coalesce(
            _per_account(
                active_contacts,
                Count("buying_role", distinct=True, filter=Q(buying_role__in=COVERED_ROLES))
                + Max(Case(When(is_coach=True, then=1), default=0, output_field=IntegerField())),
            ),
            0,
        ),
        Source.SUPPORTIVE_SHARE: _per_account(
            active_contacts,
            ExpressionWrapper(
                Count("pk", filter=Q(attitude__in=SUPPORTIVE)) * 100.0 / Count("pk"),
                DecimalField(max_digits=6, decimal_places=2),
            ),
        ),
        Source.OPPONENTS: Coalesce(
            _per_account(active_contacts, Count("pk", filter=Q(attitude=Attitude.OPPONENT))), 0
        ),
        Source.NEED_FIT: F("assessment__need_fit"),
        Source.COMPETITIVE_POSITION: F("assessment__competitive_position"),
        Source.RELATIONSHIP: F("assessment__relationship"),
    }


# Sources computed in Python from a selected date (the calendar moves, the SQL need not).
NEXT_CLOSE = "_next_close"
LAST_CONTACT = "_last_contact"


def _annotated(sources: frozenset) -> tuple:
    """(accounts annotated with `sources`, their names), built once per process
    (`keyaccounts.statements.built_once`): the annotations are the same for every call
    with the same sources, and resolving them (18 correlated subqueries and cases) cost
    three times what the query that runs them does for one account (its page's next
    best actions)."""
    return built_once(("scoring.inputs", sources), lambda: _annotate(sources))


def _annotate(sources: frozenset) -> tuple:
    expressions = source_expressions()
    selected = {
        source: expression for source, expression in expressions.items() if source in sources
    }
    selected[NEXT_CLOSE] = Subquery(
        open_opportunities()
        .filter(account=OuterRef("pk"))
        .order_by("expected_close_date")
        .values("expected_close_date")[:1]
    )
    if Source.DAYS_SINCE_CONTACT in sources:
        selected[LAST_CONTACT] = Subquery(
            Visit.objects.filter(account=OuterRef("pk"), status=VisitStatus.DONE)
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
    names = {source: f"src_{index}" for index, source in enumerate(selected)}
    annotated = Account._base_manager.order_by().annotate(
        **{names[source]: expression for source, expression in selected.items()}
    )
    return annotated, names


def account_inputs(accounts, sources: set[str], today: datetime.date):
    """Yield (account_id, {source: raw value}, {source: date}) for `accounts` (a
    queryset, or one account's id: its statement compiled once per process,
    `keyaccounts.statements.prepared`, as its page reads it on every view).

    The dates are those the day counts are counted from (`engine.DAY_COUNTS`): the
    nearest expected close of an open deal under `Source.DAYS_TO_CLOSE`, always (the
    grade grid needs it whatever the factors are), and the last recorded visit's local
    date under `Source.DAYS_SINCE_CONTACT` when a factor reads it; None: there is none.
    """
    annotated, names = _annotated(frozenset(sources))
    if type(accounts) is int:
        rows = statements.prepared(
            "scoring.inputs.account_inputs",
            lambda pk: (annotated & Account.objects.filter(pk=pk).order_by()).values(
                "pk", *names.values()
            ),
            values={"pk": accounts},
            variant=(frozenset(sources),),
        )
    else:
        # The caller's accounts (their filter) on the query annotated once per process.
        rows = annotated & accounts.order_by()
        if accounts._db is not None:
            rows = rows.using(accounts._db)
        rows = rows.values("pk", *names.values())
    for row in rows:
        values = {source: row[name] for source, name in names.items()}
        next_close = values.pop(NEXT_CLOSE)
        dates = {Source.DAYS_TO_CLOSE: next_close}
        if Source.DAYS_TO_CLOSE in sources:
            values[Source.DAYS_TO_CLOSE] = day_count(Source.DAYS_TO_CLOSE, next_close, today)
        last_contact = values.pop(LAST_CONTACT, None)
        if Source.DAYS_SINCE_CONTACT in sources:
            last_day = None if last_contact is None else _local_date(last_contact)
            dates[Source.DAYS_SINCE_CONTACT] = last_day
            values[Source.DAYS_SINCE_CONTACT] = day_count(
                Source.DAYS_SINCE_CONTACT, last_day, today
            )
        yield row["pk"], values, dates


def _local_date(moment: datetime.datetime) -> datetime.date:
    from django.utils import timezone

    return timezone.localtime(moment).date()
