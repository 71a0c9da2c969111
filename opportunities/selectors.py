"""Reads for opportunities, scoped by the one visibility rule."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from accounts.models import Account, User
from accounts.selectors import accounts_visible_to

from .models import Opportunity, OpportunityContact, Stage


def opportunities_visible_to(user, *, deleted: bool = False) -> QuerySet[Opportunity]:
    rows = Opportunity.all_objects if deleted else Opportunity.objects
    return rows.filter(account__in=accounts_visible_to(user, deleted=deleted))


def opportunity_get_visible(*, user, pk) -> Opportunity:
    """The deal if `user` may see its account; Opportunity.DoesNotExist otherwise (404)."""
    return opportunities_visible_to(user).select_related("account", "owner", "stage").get(pk=pk)


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
    return account.opportunities.select_related("stage", "owner").order_by(
        F("closed_on").desc(nulls_first=True), "expected_close_date", "pk"
    )


def deal_contact_roles(*, opportunity: Opportunity) -> QuerySet[OpportunityContact]:
    """The deal's contacts with their roles. A contact in the recycle bin is left out;
    its role comes back with it when it is restored."""
    return opportunity.contact_roles.filter(contact__deleted_at__isnull=True).select_related(
        "contact"
    )


def pipeline_filter_choices(
    queryset: QuerySet[Opportunity], *, user=None
) -> tuple[QuerySet[User], QuerySet[Account]]:
    """The owners and accounts worth offering as filters: those of the deals in view,
    and the user (so "only my deals" is a valid choice before they own one)."""
    mine = Q(pk=user.pk) if user is not None and user.pk else Q(pk__in=[])
    owners = User.objects.filter(Q(pk__in=queryset.values("owner_id")) | mine).order_by(
        "first_name", "last_name", "username"
    )
    accounts = Account.objects.filter(pk__in=queryset.values("account_id")).order_by("name")
    return owners, accounts


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


def pipeline_board(
    queryset: QuerySet[Opportunity],
    *,
    stages: list[Stage],
    per_column: int,
    closed_since: datetime.date | None = None,
) -> tuple[list[Column], list[Total]]:
    """The board: a column per stage with its totals and its first `per_column` cards,
    and the totals of the open pipeline. Two queries, however many deals.

    `closed_since` leaves out won and lost deals closed before that day (the board is
    about the work in hand, not the archive).
    """
    if closed_since is not None:
        queryset = queryset.exclude(
            (Q(stage__is_won=True) | Q(stage__is_lost=True)) & Q(closed_on__lt=closed_since)
        )
    weighted = ExpressionWrapper(
        F("amount") * F("probability"), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    rows = (
        queryset.order_by()
        .values("stage_id", "currency")
        .annotate(deals=Count("pk"), total=Sum("amount"), weighted_total=Sum(weighted))
    )
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
        columns[pk].totals = _ordered(totals)

    ranked = queryset.select_related("account__score", "owner").annotate(
        position=Window(
            RowNumber(),
            partition_by=[F("stage_id")],
            order_by=[F("expected_close_date").asc(), F("pk").asc()],
        )
    )
    for deal in ranked.filter(position__lte=per_column).order_by("expected_close_date", "pk"):
        column = columns.get(deal.stage_id)
        if column is not None:
            deal.stage = column.stage  # no query per card for `{{ deal.stage }}`
            column.cards.append(deal)
    return list(columns.values()), _ordered(pipeline)
