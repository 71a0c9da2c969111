"""The account brief for a visit (拜访简报): what a rep reads before walking in, on one
printed page — the account's identity, its grade and why, the buying-center map, the
open deals and what each still lacks, the last recorded visits and the open follow-ups.

It composes the readers the account page uses (`scoring.grade.card.grade_card`,
`assess_buying_center`, `opportunities.selectors`, `opportunities.services
.missing_criteria_for`, `visits.selectors.account_timeline`), each read once for the
whole account, so the brief costs the same number of queries however many contacts,
deals and visits the account has. The caller has found `account` through the
visibility rule (`account_get_visible`, with `scoring.grade.card.RELATED` selected).

**A person's latest attitude** is their contact record's `attitude`: the rep's current
judgement of that person, the value the buying center's warnings and the score read, so
the brief never disagrees with the account page. A visit's `customer_attitude` is the
customer's mood at that meeting, one value for everyone met, so it never replaces a
person's attitude; but when the last recorded visit that person attended took place
after their record was last saved and noted a different (known) attitude, the brief
shows it beside theirs (`visit_attitude`), as a hint that the record may be out of date.
"""

import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from opportunities.models import Stage
from opportunities.selectors import account_opportunities, next_stage
from opportunities.services import missing_criteria_for
from visits.models import Visit, VisitStatus
from visits.selectors import account_timeline

from .buying_center import assess_buying_center
from .models import Account, Attitude, Contact

BRIEF_VISITS = 5  # the last recorded visits the brief lists
BRIEF_REASONS = 3  # factors named as the grade's strengths, and as what holds it back


def brief_contacts(*, account: Account) -> QuerySet[Contact]:
    """The account's contacts, each annotated with `last_met_at` and `last_met_attitude`:
    the latest recorded visit they attended (None if never met), in one query."""
    met = Visit.objects.filter(contacts=OuterRef("pk"), status=VisitStatus.DONE).order_by(
        "-occurred_at", "-pk"
    )
    return (
        account.contacts.select_related("reports_to")
        .annotate(
            last_met_at=Subquery(met.values("occurred_at")[:1]),
            last_met_attitude=Subquery(met.values("customer_attitude")[:1]),
        )
        .order_by("name", "pk")
    )


def visit_attitude(contact: Contact) -> str:
    """The attitude their last recorded visit noted, if it is newer than the contact's
    record and says something else (see the module docstring); "" otherwise."""
    noted = getattr(contact, "last_met_attitude", None)
    met_at = getattr(contact, "last_met_at", None)
    if not noted or noted in (Attitude.UNKNOWN, contact.attitude) or met_at is None:
        return ""
    if contact.updated_at is not None and met_at <= contact.updated_at:
        return ""
    return Attitude(noted).label if noted in Attitude.values else ""


def grade_summary(reasons: list[dict]) -> dict:
    """The grade's "why" in short: the factors that add the most to the score, and those
    that cost it the most (weight × the points missing to 100), `BRIEF_REASONS` each."""
    strongest = [row for row in reasons if (row.get("points") or 0) > 0][:BRIEF_REASONS]
    named = {row["key"] for row in strongest}
    costly = sorted(
        (row for row in reasons if (row.get("points") or 0) < 100 and row["key"] not in named),
        key=lambda row: (-(row.get("weight") or 0) * (100 - (row.get("points") or 0)), row["name"]),
    )
    return {"strongest": strongest, "weakest": costly[:BRIEF_REASONS]}


def open_deals(*, account: Account) -> list:
    """The account's open deals (soonest close first), each with `next_stage` (None when
    none is left) and `missing`: the exit criteria still unticked before it."""
    deals = [deal for deal in account_opportunities(account=account) if not deal.stage.is_closed]
    if not deals:
        return []
    all_stages = list(Stage.objects.order_by("order"))
    for deal in deals:
        deal.next_stage = next_stage(deal.stage, all_stages)
    missing = missing_criteria_for(
        [(deal, deal.next_stage) for deal in deals if deal.next_stage is not None]
    )
    for deal in deals:
        deal.missing = missing.get(deal.pk, [])
    return deals


def account_brief(*, account: Account, today: datetime.date, visit_pk=None) -> dict:
    """Everything the brief shows but the grade (`scoring.grade.card.grade_card`).

    `visit_pk`: the planned visit the brief was opened from, shown at the top when it is a
    planned visit of this account (anything else is ignored)."""
    contacts = list(brief_contacts(account=account))
    for contact in contacts:
        contact.visit_attitude = visit_attitude(contact)
    recorded = account_timeline(account=account).filter(status=VisitStatus.DONE)
    planned = None
    if visit_pk is not None:
        planned = (
            account_timeline(account=account)
            .filter(pk=visit_pk, status=VisitStatus.PLANNED)
            .first()
        )
    return {
        "center": assess_buying_center(contacts),
        "contacts": contacts,
        "team": account.team_members.select_related("user").order_by("role", "user__username"),
        "deals": open_deals(account=account),
        "visits": list(recorded[:BRIEF_VISITS]),
        "follow_ups": list(
            recorded.filter(followed_up_on__isnull=True).order_by("follow_up_due", "pk")
        ),
        "planned": planned,
        "today": today,
    }
