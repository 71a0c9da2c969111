"""What visits adds to the account brief for a visit (accounts/brief.py, the page
"brief" of keyaccounts/sections.py): the planned visit the brief was opened from
(`?visit=<pk>`, first on the page), the last recorded visits with their next steps and the
open follow-ups (after the buying center), and when each contact was last met (the row
reader of "brief_contacts"). A constant number of queries whatever the account holds."""

from django.db.models import OuterRef, Subquery

from accounts.models import Contact
from keyaccounts import sections

from .models import Visit, VisitStatus
from .selectors import account_timeline

BRIEF_VISITS = 5  # the last recorded visits the brief lists
BRIEF_FOLLOW_UPS = 10  # the open follow-ups it lists, soonest due first (then how many more)


def last_met(contacts: list) -> None:
    """Set `last_met_at` and `last_met_attitude` on each of `contacts`: the latest
    recorded visit they attended (None if never met). One query."""
    if not contacts:
        return
    met = Visit.objects.filter(contacts=OuterRef("pk"), status=VisitStatus.DONE).order_by(
        "-occurred_at", "-pk"
    )
    found = {
        pk: (at, attitude)
        for pk, at, attitude in Contact.objects.filter(pk__in=[c.pk for c in contacts])
        .annotate(
            last_at=Subquery(met.values("occurred_at")[:1]),
            last_attitude=Subquery(met.values("customer_attitude")[:1]),
        )
        .values_list("pk", "last_at", "last_attitude")
    }
    for contact in contacts:
        contact.last_met_at, contact.last_met_attitude = found.get(contact.pk, (None, None))


def planned_visit_section(request, *, account, **page_data) -> dict | None:
    """The planned visit of this account the brief was opened from (`?visit=<pk>`);
    None for anything else (no such planned visit of this account, not a number)."""
    visit = request.GET.get("visit", "")
    if not (visit.isascii() and visit.isdigit() and len(visit) < 12):
        return None
    planned = (
        account_timeline(account=account).filter(pk=int(visit), status=VisitStatus.PLANNED).first()
    )
    return None if planned is None else {"planned": planned}


def visits_section(request, *, account, today, **page_data) -> dict:
    """The last `BRIEF_VISITS` recorded visits, newest first, and the first
    `BRIEF_FOLLOW_UPS` open follow-ups, soonest due first, with how many more are open."""
    recorded = account_timeline(account=account).filter(status=VisitStatus.DONE)
    open_ones = recorded.filter(followed_up_on__isnull=True).order_by("follow_up_due", "pk")
    follow_ups = list(open_ones[: BRIEF_FOLLOW_UPS + 1])
    more = 0
    if len(follow_ups) > BRIEF_FOLLOW_UPS:  # an account kept for years: the rest counted
        follow_ups = follow_ups[:BRIEF_FOLLOW_UPS]
        more = open_ones.count() - BRIEF_FOLLOW_UPS
    return {
        "visits": list(recorded[:BRIEF_VISITS]),
        "follow_ups": follow_ups,
        "follow_ups_more": more,
        "today": today,
    }


def register() -> None:
    sections.register_rows("brief_contacts", last_met)
    # First on the brief (below 10: before the account's card).
    sections.register(
        "brief",
        template="visits/includes/brief_planned.html",
        context=planned_visit_section,
        order=5,
    )
    # After the open deals (21).
    sections.register(
        "brief", template="visits/includes/brief_visits.html", context=visits_section, order=22
    )
