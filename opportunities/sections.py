"""The deals card of the account page, added to it from here (keyaccounts/sections.py):
`accounts` shows it without importing `opportunities`."""

from keyaccounts import sections

from .selectors import account_opportunities


def account_deals_section(request, *, account, **page_data) -> dict:
    """The account's deals, open ones by close date, then the closed ones (one query)."""
    return {"opportunities": list(account_opportunities(account=account))}


def register() -> None:
    # Before the grade and the visits, after the next best actions (order 5).
    sections.register(
        "account",
        template="opportunities/includes/account_opportunities.html",
        context=account_deals_section,
        order=10,
    )
