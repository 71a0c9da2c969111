"""The deals card of the account page and the open deals of the account brief, added
to them from here (keyaccounts/sections.py): `accounts` shows them without importing
`opportunities`."""

from keyaccounts import sections, statements

from .models import Stage
from .selectors import account_opportunities, deals_of_account, next_stage
from .services import missing_criteria_for


def account_deals_section(request, *, account, **page_data) -> dict:
    """The account's deals, open ones by close date, then the closed ones (one query,
    compiled once per process)."""
    deals = statements.related_rows(
        "opportunities.account_deals_section", account, "opportunities", deals_of_account
    )
    return {"opportunities": deals}


def brief_deals_section(request, *, account, today, **page_data) -> dict:
    """The account brief's open deals (soonest close first), each with `next_stage` (None
    when none is left) and `missing`: the exit criteria still unticked before it. A
    constant number of queries: the deals, the stages, the criteria missing."""
    deals = [deal for deal in account_opportunities(account=account) if not deal.stage.is_closed]
    if deals:
        all_stages = list(Stage.objects.order_by("order"))
        for deal in deals:
            deal.next_stage = next_stage(deal.stage, all_stages)
        missing = missing_criteria_for(
            [(deal, deal.next_stage) for deal in deals if deal.next_stage is not None]
        )
        for deal in deals:
            deal.missing = missing.get(deal.pk, [])
    return {"deals": deals, "today": today}


def register() -> None:
    # Before the grade and the visits, after the next best actions (order 5).
    sections.register(
        "account",
        template="opportunities/includes/account_opportunities.html",
        context=account_deals_section,
        order=10,
    )
    # The brief's first card after the buying center.
    sections.register(
        "brief",
        template="opportunities/includes/brief_deals.html",
        context=brief_deals_section,
        order=21,
    )
