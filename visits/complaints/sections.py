"""The complaints' sections of the account page and the dashboard (keyaccounts.sections).

Each number links to the complaint list filtered to exactly the complaints behind it:
the dashboard's filters (team, owner, industry, region) go along under the same names,
and the list's `open` / `breached` / `resolved_recently` filters use the selectors'
definitions the numbers are counted by.
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from keyaccounts import sections, statements

from .selectors import COMPLAINT_ORDER, complaint_numbers, open_complaints

SHOWN = 5
MY_WEEK_SHOWN = 10


def _list_url(*params) -> str:
    query = urlencode([(name, value) for name, value in params if value not in (None, "")])
    return f"{reverse('complaints:list')}?{query}"


def account_section(request, *, account, **page_data) -> dict:
    """The account's open complaints: the first five, how many, and where to see them all.
    One query, two when there are five or more."""
    complaints = open_complaints(account.complaints.all())
    shown = statements.related_rows(
        "complaints.account_section",
        account,
        "complaints",
        lambda rows: (
            open_complaints(rows).select_related("assignee").order_by(*COMPLAINT_ORDER)[:SHOWN]
        ),
    )
    count = len(shown) if len(shown) < SHOWN else complaints.count()
    now = timezone.now()
    for complaint in shown:
        complaint.late = (complaint.status == "open" and complaint.respond_by < now) or (
            complaint.status in ("open", "answered") and complaint.resolve_by < now
        )
    return {
        "account": account,
        "complaints": shown,
        "count": count,
        "list_url": _list_url(("account", account.pk), ("open", 1)),
        "all_url": _list_url(("account", account.pk)),
    }


def dashboard_section(request, *, filters, **page_data) -> dict:
    """Open complaints, breaches open now and the average working days to resolve, over
    the accounts the dashboard is showing (its filters). One query for the numbers, plus
    the visibility rule's."""
    from accounts.scope import filter_accounts
    from accounts.selectors import accounts_visible_to

    from .selectors import complaints_visible_to

    now = timezone.now()
    accounts = filter_accounts(accounts_visible_to(request.user), **filters)
    complaints = complaints_visible_to(request.user).filter(account__in=accounts)
    numbers = complaint_numbers(complaints, now=now)
    scope = list(filters.items())
    return {
        "numbers": numbers,
        "urls": {
            "open": _list_url(*scope, ("open", 1)),
            "response": _list_url(*scope, ("breached", "response")),
            "resolution": _list_url(*scope, ("breached", "resolution")),
            "any": _list_url(*scope, ("breached", "any")),
            "resolved": _list_url(*scope, ("resolved_recently", 1)),
        },
    }


def my_week_section(request, *, now, **page_data) -> dict | None:
    """The complaints the user handles and has not seen closed: the first ten, soonest
    due first, each flagged in words when past a deadline; one query, and a count when
    there are more than that. None: none."""
    from .selectors import complaints_visible_to

    def mine(person):
        return open_complaints(complaints_visible_to(person).filter(assignee=person))

    # What the section shows of each: not every column of the complaint and its account.
    # Compiled once per process (keyaccounts/statements.py): only the person's id differs.
    shown = statements.prepared_for(
        "my_week_complaints",
        request.user,
        lambda person: (
            mine(person)
            .select_related("account")
            .only("subject", "status", "respond_by", "resolve_by", "account__name")
            .order_by("resolve_by", "pk")[:MY_WEEK_SHOWN]
        ),
    )
    if not shown:
        return None
    for complaint in shown:
        complaint.late = (complaint.status == "open" and complaint.respond_by < now) or (
            complaint.status in ("open", "answered") and complaint.resolve_by < now
        )
    return {
        "complaints": shown,
        # Fewer than a section's worth: they are all there is (no count to run).
        "count": len(shown) if len(shown) < MY_WEEK_SHOWN else mine(request.user).count(),
        "list_url": _list_url(("assignee", request.user.pk), ("open", 1)),
    }


def register() -> None:
    sections.register(
        "my_week",
        template="complaints/includes/my_week_section.html",
        context=my_week_section,
        order=40,
    )
    sections.register(
        "account",
        template="complaints/includes/account_section.html",
        context=account_section,
        order=40,
    )
    # The account brief for a visit (issue 10): what the customer is unhappy about.
    sections.register(
        "brief",
        template="complaints/includes/brief_section.html",
        context=account_section,
        order=40,
    )
    sections.register(
        "dashboard",
        template="complaints/includes/dashboard_section.html",
        context=dashboard_section,
        order=40,
    )
