"""The visits card of the account page, added to it from here (keyaccounts/sections.py):
`accounts` shows it without importing `visits`."""

from keyaccounts import sections, statements

from .selectors import timeline_of

TIMELINE_SIZE = 10  # the latest visits on the account page; the rest a click away


def account_visits_section(request, *, account, **page_data) -> dict:
    """The account's latest visits, newest first, and whether there are more (a constant
    number of queries: the visits, their people)."""
    visits = statements.related_rows(
        "visits.account_visits_section",
        account,
        "visits",
        lambda rows: timeline_of(rows)[: TIMELINE_SIZE + 1],
    )
    return {"visits": visits[:TIMELINE_SIZE], "more": len(visits) > TIMELINE_SIZE}


def register() -> None:
    # After the deals (10) and the grade (12): the last card before the account's own.
    sections.register(
        "account",
        template="visits/includes/account_visits_section.html",
        context=account_visits_section,
        order=14,
    )
