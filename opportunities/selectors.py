"""Reads for opportunities, scoped by the one visibility rule."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber

from accounts.models import Account, Contact
from accounts.selectors import (
    get_visible,
    listed_account_ids,
    of_visible_accounts,
    with_ids,
)
from keyaccounts import statements
from keyaccounts.paging import Keyset, decode_cursor, encode_cursor, fingerprint
from keyaccounts.prefetch import LISTED

from .models import (
    CriterionCheck,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityTeamMember,
    Stage,
    StageChange,
)


def opportunities_visible_to(user, *, deleted: bool = False) -> QuerySet[Opportunity]:
    """The deals of the accounts `user` may see (`accounts_visible_to`). For a superuser,
    who sees every account, the account's own `deleted_at` through the join a card or row
    makes anyway, rather than a second read of the accounts: one join fewer to plan and
    run on each of the board's columns."""
    rows = Opportunity.all_objects if deleted else Opportunity.objects
    if getattr(user, "is_superuser", False) and user.is_active:
        return rows if deleted else rows.filter(account__deleted_at__isnull=True)
    return of_visible_accounts(rows, user, deleted=deleted)


# Up to this many visible accounts, a list of deals is read through the user's account
# ids (`deals_listed_for`).
LISTED_UP_TO = 5000


def deals_listed_for(user) -> QuerySet[Opportunity]:
    """The deals `user` may see, for a list in any order: through the ids of their
    accounts when they see at most `LISTED_UP_TO` (read from their access rows, one
    array parameter on PostgreSQL), else `opportunities_visible_to`.

    A page of a manager's deals by close date was otherwise read by walking the
    close-date index of the whole company and probing access for each deal: 17,000
    probes among 200,000 deals for a page of 51 (100–150 ms). From the ids it reads their
    own deals by account (4,400 for 2,200 accounts) and sorts them. The ids are of live
    accounts only (the access rows' `live` flag), so the deals need no join to their
    accounts to leave out those in the recycle bin (2,200 probes of the accounts table
    fewer, for the page and again for its count)."""
    ids = listed_account_ids(user, up_to=LISTED_UP_TO)
    if ids is None:
        return opportunities_visible_to(user)
    return with_ids(Opportunity.objects.all(), ids, field="account_id")


def opportunity_get_visible(*, user, pk) -> Opportunity:
    """The deal if `user` may see its account; Opportunity.DoesNotExist otherwise (404).
    Its statement is compiled once per process (`accounts.selectors.get_visible`)."""
    return get_visible(
        "opportunities.opportunity_get_visible",
        lambda reader: opportunities_visible_to(reader).select_related("account", "owner", "stage"),
        user=user,
        pk=pk,
    )


def deal_history(opportunity: Opportunity) -> list[StageChange]:
    """The deal's stage changes (in their model's order), each with its stages and who
    moved it: its page's history (compiled once per process)."""
    return statements.related_rows(
        "opportunities.deal_history",
        opportunity,
        "stage_changes",
        lambda rows: rows.select_related("from_stage", "to_stage", "changed_by"),
    )


def deal_team(opportunity: Opportunity) -> list[OpportunityTeamMember]:
    """The deal's team by role then user name, each with their user (compiled once)."""
    return statements.related_rows(
        "opportunities.deal_team",
        opportunity,
        "team_members",
        lambda rows: rows.select_related("user").order_by("role", "user__username"),
    )


def stages() -> QuerySet[Stage]:
    return Stage.objects.prefetch_related("criteria").order_by("order")


def next_stage(stage: Stage, all_stages: list[Stage]) -> Stage | None:
    """Where "move forward" goes: the next open stage, or the won stage after the last."""
    if stage.is_closed:
        return None
    later = [s for s in all_stages if s.order > stage.order]
    return next((s for s in later if not s.is_closed), None) or next(
        (s for s in later if s.is_won), None
    )


def account_opportunities(*, account: Account) -> QuerySet[Opportunity]:
    """The account's deals for its page: open ones by close date, then the closed ones."""
    return deals_of_account(account.opportunities.all())


def deals_of_account(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """`deals` (an account's) in its page's order, each with its stage and owner."""
    return deals.select_related("stage", "owner").order_by(
        F("closed_on").desc(nulls_first=True), "expected_close_date", "pk"
    )


def deal_contact_roles(*, opportunity: Opportunity) -> list[OpportunityContact]:
    """The deal's contacts with their roles. A contact in the recycle bin is left out;
    its role comes back with it when it is restored (compiled once per process)."""
    return statements.related_rows(
        "opportunities.deal_contact_roles",
        opportunity,
        "contact_roles",
        lambda rows: rows.filter(contact__deleted_at__isnull=True).select_related("contact"),
    )


def _deal_parts() -> dict[str, QuerySet]:
    """Each part of a deal as the API lists it (in a stable order), by relation name."""
    return {
        # Contacts in the recycle bin are left out by `deal_part`, from the contact rows
        # read by primary key (`_CONTACT_STATE`): filtering them in the part's own query
        # joins the contacts table, which PostgreSQL answers by scanning all of it.
        "contact_roles": OpportunityContact.objects.order_by("contact_id"),
        "team_members": OpportunityTeamMember.objects.order_by("user_id"),
        "competitors": OpportunityCompetitor.objects.order_by("name"),
        "criterion_checks": CriterionCheck.objects.order_by("criterion_id"),
    }


def with_deal_parts(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """`deals` with their parts prefetched: one query per part (and one for the state
    of the deal's contacts, by primary key), however many deals. For what writes them
    (the rows are model instances); what only reads a list of deals calls
    `attach_deal_parts` instead."""
    return deals.prefetch_related(
        *(Prefetch(name, queryset=rows) for name, rows in _deal_parts().items()),
        Prefetch("contact_roles__contact", queryset=Contact.all_objects.only("deleted_at")),
    )


# What a reader of a deal's parts reads of each (the API's fields), after the deal's id.
PART_COLUMNS = {
    "contact_roles": ("contact_id", "role", "stance"),
    "team_members": ("user_id", "role"),
    "competitors": ("id", "name", "threat", "strengths", "weaknesses"),
    "criterion_checks": ("criterion_id",),
}


def attach_deal_parts(deals: list[Opportunity]) -> None:
    """Read the parts of `deals` as rows of the values a reader shows (named tuples of
    `PART_COLUMNS`: `row.contact_id`, `row.role`, …), one query per part and one for the
    contacts in the recycle bin, and keep them on each deal at `<part>_listed`, where
    `deal_part` finds them; deals that have them already are left as they are. For what
    only reads: a changes page of 500 deals holds about 6,000 parts, and making a model
    instance of each (as a prefetch does) took longer than all of its queries."""
    deals = [deal for deal in deals if not hasattr(deal, "contact_roles" + LISTED)]
    if not deals:
        return
    ids = [deal.pk for deal in deals]
    parts = {}
    for name, rows in _deal_parts().items():
        grouped = {pk: [] for pk in ids}
        read = with_ids(rows, ids, field="opportunity_id").values_list(
            "opportunity_id", *PART_COLUMNS[name], named=True
        )
        for row in read:
            grouped[row.opportunity_id].append(row)
        parts[name] = grouped
    contacts = list({row.contact_id for rows in parts["contact_roles"].values() for row in rows})
    # Read by primary key: filtering the part's own query joins the contacts table.
    binned = (
        set(
            with_ids(Contact.all_objects.filter(deleted_at__isnull=False), contacts)
            .order_by()
            .values_list("pk", flat=True)
        )
        if contacts
        else set()
    )
    for deal in deals:
        for name, grouped in parts.items():
            rows = grouped[deal.pk]
            if name == "contact_roles" and binned:
                rows = [row for row in rows if row.contact_id not in binned]
            setattr(deal, name + LISTED, rows)


def _accounts_graded() -> QuerySet[Account]:
    """Accounts with their grade (`account.score.grade`, what the API and the discount
    check show of a deal's account) and nothing else of them or their score: not the
    account's forty columns, nor the score's factors as JSON, which a changes page of 500
    deals would otherwise read and decode for nothing."""
    return Account.all_objects.select_related("score").only("pk", "score__grade")


def with_account_grade(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """`deals` with their account's grade read along (`_accounts_graded`), after them
    (one query by primary key): joined into the deals' own query, PostgreSQL joined every
    candidate deal (2,400 of a manager's) before keeping the first 500. For one deal; a
    list's deals take theirs all at once (`attach_account_grades`)."""
    return deals.prefetch_related(Prefetch("account", queryset=_accounts_graded()))


def attach_account_grades(deals: list[Opportunity]) -> None:
    """Read the grade of the accounts of `deals` (`_accounts_graded`) in one query by their
    ids and keep each account on its deals; deals that hold their account already are
    left as they are. What `with_account_grade` does for a list already read: Django's
    prefetch of a foreign key writes each id as a one-column row, `(id) IN ((1), (2), …)`,
    which for a changes page of 500 deals took longer to build than its query to run."""
    field = Opportunity.account.field
    deals = [deal for deal in deals if not field.is_cached(deal)]
    if not deals:
        return
    ids = list({deal.account_id for deal in deals})
    accounts = with_ids(_accounts_graded().order_by(), ids)  # in no order: by id below
    by_id = {account.pk: account for account in accounts}
    for deal in deals:
        field.set_cached_value(deal, by_id.get(deal.account_id))


def deal_part(opportunity: Opportunity, name: str) -> list:
    """One part of the deal (`contact_roles`, `team_members`, `competitors`,
    `criterion_checks`): as `attach_deal_parts` read it (rows of `PART_COLUMNS`) or
    `with_deal_parts` prefetched it, else read now. Contacts in the recycle bin are not
    among the contact roles."""
    cache = getattr(opportunity, "_prefetched_objects_cache", {})
    as_list = getattr(opportunity, name + LISTED, None)
    if as_list is not None:  # `attach_deal_parts`: the binned contacts are left out
        return as_list
    if name in cache:
        rows = list(cache[name])
    elif name == "contact_roles":
        rows = list(
            _deal_parts()[name]
            .filter(opportunity=opportunity)
            .prefetch_related(Prefetch("contact", queryset=Contact.all_objects.only("deleted_at")))
        )
    else:
        return list(_deal_parts()[name].filter(opportunity=opportunity))
    if name == "contact_roles":
        rows = [row for row in rows if row.contact.deleted_at is None]
    return rows


@dataclass
class Total:
    currency: str
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)  # amount × probability: what the forecast counts


@dataclass
class Column:
    stage: Stage
    next: Stage | None = None
    count: int = 0
    totals: list[Total] = field(default_factory=list)
    cards: list[Opportunity] = field(default_factory=list)
    # Where the column's next cards start (`board_cursor`); None when none are left.
    after: str | None = None
    more_url: str | None = None  # the page's link to them (the view knows the filters)

    @property
    def more(self) -> int:
        """Deals in the column beyond the cards shown."""
        return self.count - len(self.cards)


def _add(totals: dict[str, Total], currency: str, amount, weighted) -> None:
    total = totals.setdefault(currency, Total(currency))
    total.amount += Decimal(amount or 0)
    total.weighted += Decimal(weighted or 0)


def _ordered(totals: dict[str, Total]) -> list[Total]:
    # Mixed currencies are never summed together; the biggest (usually CNY) first.
    return sorted(totals.values(), key=lambda t: (-t.amount, t.currency))


# What a card shows, and no more: an account's score row carries its whole explanation.
CARD_FIELDS = (
    "name", "stage_id", "amount", "currency", "probability", "probability_is_custom",
    "expected_close_date", "account__name", "account__score__grade",
    "owner__username", "owner__first_name", "owner__last_name",
)  # fmt: skip


# A column's order: by expected close date, on the (stage, expected_close_date) index.
BOARD_ORDER = ("expected_close_date", "pk")
_BOARD_CURSORS = fingerprint("opportunities:board", *BOARD_ORDER)


def board_cursor(deal: Opportunity) -> str:
    """Where a column's next cards start: after this card, in the board's order (a
    signed `keyaccounts.paging` cursor)."""
    return encode_cursor(_BOARD_CURSORS, (deal.expected_close_date, deal.pk))


def parse_board_cursor(value: str) -> tuple[datetime.date, int] | None:
    """`board_cursor`'s (close date, id), or None for anything it did not make."""
    return decode_cursor(value, _BOARD_CURSORS, len(BOARD_ORDER))


def board_deals(
    queryset: QuerySet[Opportunity],
    *,
    closed_since: datetime.date | None = None,
    stage: Stage | None = None,
) -> QuerySet[Opportunity]:
    """The deals the board shows: `closed_since` leaves out won and lost deals closed
    before that day (the board is about the work in hand, not the archive). `stage`:
    the deals are all of that stage (a column), whose flags are known here: no join of
    the stages, nothing left out of an open one."""
    if closed_since is None:
        return queryset
    if stage is not None:
        if stage.is_won or stage.is_lost:
            return queryset.exclude(closed_on__lt=closed_since)
        return queryset
    return queryset.exclude(
        (Q(stage__is_won=True) | Q(stage__is_lost=True)) & Q(closed_on__lt=closed_since)
    )


def column_cards(
    queryset: QuerySet[Opportunity],
    *,
    stage: Stage,
    per_column: int,
    after: tuple[datetime.date, int] | None = None,
    walk: bool = True,
    closed_since: datetime.date | None = None,
) -> tuple[list[Opportunity], str | None]:
    """A column's cards by expected close date: the first `per_column`, or those after
    the cursor `after` (keyset: as fast deep in a column as at its top, no OFFSET), and
    the cursor of the cards after them (None when there are none). One query (from the
    user's own deals two: the ids, then the cards).

    `walk`: read from the stage's index (for someone who sees most of the company);
    without, from the user's own deals (see `pipeline_board`). `closed_since`: see
    `board_deals`."""
    rows = board_deals(queryset.filter(stage=stage), closed_since=closed_since, stage=stage)
    if walk:
        rows = rows.select_related("account__score", "owner").only(*CARD_FIELDS)
        cards = Keyset(rows, BOARD_ORDER).rows(after=after, limit=per_column + 1)
    else:
        if after is not None:
            day, pk = after
            rows = rows.filter(
                Q(expected_close_date__gt=day) | Q(expected_close_date=day, pk__gt=pk)
            )
        cards = _first_cards(rows, per_column=per_column).get(stage.pk, [])
    for deal in cards:
        deal.stage = stage  # no query per card for `{{ deal.stage }}`
    if len(cards) > per_column:
        return cards[:per_column], board_cursor(cards[per_column - 1])
    return cards, None


def pipeline_board(
    queryset: QuerySet[Opportunity],
    *,
    stages: list[Stage],
    per_column: int,
    closed_since: datetime.date | None = None,
    walk_columns: bool = False,
    totals: list[dict] | None = None,
) -> tuple[list[Column], list[Total]]:
    """The board: a column per stage with its totals and its first `per_column` cards,
    and the totals of the open pipeline. Two queries however many deals: one read of
    the user's deals for the totals and the first cards' ids (`board_reading`), then
    the cards by id; the page costs what it shows (`column_cards` pages on).

    The cards are read from the user's deals at once: for someone who
    sees a part of the company, walking each stage's index over every deal to find
    theirs reads thousands of deals to show a hundred. `walk_columns`: for someone who
    sees most of it (a superuser), each column is read from its stage's index instead
    (one query per stage), since the user's deals are then the whole table.

    `closed_since`: see `board_deals`. `totals` (with `walk_columns`): the rows of the
    totals as `board_totals.whole_company` keeps them for someone who sees every deal,
    instead of summing the deals now.
    """
    deals, queryset = queryset, board_deals(queryset, closed_since=closed_since)
    if walk_columns:
        rows = totals
        if rows is None:
            rows = (
                queryset.order_by()
                .values("stage_id", "currency")
                .annotate(deals=Count("pk"), total=Sum("amount"), weighted_total=Sum(WEIGHTED))
            )
        first = {}
    else:
        rows, ids = board_reading(queryset, per_column=per_column)
        first = {}
        for deal in cards_by_id(ids) if ids else ():
            first.setdefault(deal.stage_id, []).append(deal)
    columns = {stage.pk: Column(stage=stage, next=next_stage(stage, stages)) for stage in stages}
    per_stage: dict[int, dict[str, Total]] = {pk: {} for pk in columns}
    pipeline: dict[str, Total] = {}
    for row in rows:
        column = columns.get(row["stage_id"])
        if column is None:
            continue
        column.count += row["deals"]
        weighted_amount = Decimal(row["weighted_total"] or 0) / 100
        _add(per_stage[column.stage.pk], row["currency"], row["total"], weighted_amount)
        if not column.stage.is_closed:
            _add(pipeline, row["currency"], row["total"], weighted_amount)
    for pk, totals in per_stage.items():
        column = columns[pk]
        column.totals = _ordered(totals)
        if walk_columns:
            column.cards, column.after = column_cards(
                deals, stage=column.stage, per_column=per_column, closed_since=closed_since
            )
            continue
        cards = first.get(pk, [])
        for deal in cards:
            deal.stage = column.stage  # no query per card for `{{ deal.stage }}`
        column.cards = cards[:per_column]
        if len(cards) > per_column:
            column.after = board_cursor(cards[per_column - 1])
    return list(columns.values()), _ordered(pipeline)


# A deal's amount weighted by its probability (in per cent), as the totals sum it.
WEIGHTED = ExpressionWrapper(
    F("amount") * F("probability"), output_field=DecimalField(max_digits=20, decimal_places=2)
)


def board_read(queryset: QuerySet[Opportunity], *, per_column: int) -> QuerySet:
    """What `board_reading` runs: the deals that carry a stage-and-currency's totals or
    are among their stage's first cards, with their row numbers and totals."""
    within = [F("stage_id"), F("currency")]
    return (
        queryset.order_by()
        .annotate(
            board_rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=[*BOARD_ORDER]),
            carries=Window(RowNumber(), partition_by=within, order_by=[F("pk").asc()]),
            stage_deals=Window(Count("pk"), partition_by=within),
            stage_total=Window(Sum("amount"), partition_by=within),
            stage_weighted=Window(Sum(WEIGHTED), partition_by=within),
        )
        .filter(Q(board_rank__lte=per_column + 1) | Q(carries=1))
        .values_list(
            "pk",
            "stage_id",
            "currency",
            "board_rank",
            "carries",
            "stage_deals",
            "stage_total",
            "stage_weighted",
        )
    )


def board_reading(queryset: QuerySet[Opportunity], *, per_column: int) -> tuple[list, list]:
    """The board's totals and the ids of its first cards from one read of the user's
    deals: (rows of `stage_id`, `currency`, `deals`, `total`, `weighted_total`, one per
    stage and currency; the ids of each stage's first `per_column` + 1 cards in
    `BOARD_ORDER`). Window sums give every deal its stage-and-currency totals and row
    numbers pick the first cards and one deal of each stage and currency to carry them:
    a manager's 4,400 deals read once, where the totals' GROUP BY and the cards' row
    numbers read them twice (37 → 25 ms)."""
    read = board_read(queryset, per_column=per_column)
    totals, ids = [], []
    for pk, stage_id, currency, rank, carries, deals, total, weighted in read:
        if carries == 1:
            totals.append(
                {
                    "stage_id": stage_id,
                    "currency": currency,
                    "deals": deals,
                    "total": total,
                    "weighted_total": weighted,
                }
            )
        if rank <= per_column + 1:
            ids.append(pk)
    return totals, ids


def first_card_ids(queryset: QuerySet[Opportunity], *, per_column: int) -> QuerySet:
    """The ids of each stage's first `per_column` + 1 cards in `BOARD_ORDER`: one query
    over the user's deals (a row number per stage picks them), read from the user's
    accounts (the access table) rather than by walking each stage's index over the whole
    company's deals to find the user's. The row numbers are worked out on the deals' own
    columns (stage, close date, id): a manager's 4,400 deals were each joined to their
    account, grade and owner before 147 were kept (38 → 20 ms)."""
    rank = Window(RowNumber(), partition_by=[F("stage_id")], order_by=[*BOARD_ORDER])
    return (
        queryset.order_by()
        .annotate(board_rank=rank)
        .filter(board_rank__lte=per_column + 1)
        .values_list("pk", flat=True)
    )


def cards_by_id(ids: list[int]) -> QuerySet[Opportunity]:
    """The deals of `ids` as cards (with their account, grade and owner), by stage and
    in `BOARD_ORDER`: read by primary key, apart from the query that picked them (as a
    subquery PostgreSQL may hash the whole table against them)."""
    return (
        Opportunity.objects.filter(pk__in=ids)
        .select_related("account__score", "owner")
        .only(*CARD_FIELDS)
        .order_by("stage_id", *BOARD_ORDER)
    )


def _first_cards(queryset: QuerySet[Opportunity], *, per_column: int) -> dict[int, list]:
    found: dict[int, list] = {}
    ids = list(first_card_ids(queryset, per_column=per_column))
    for deal in cards_by_id(ids) if ids else ():
        found.setdefault(deal.stage_id, []).append(deal)
    return found
