"""What the next best action reads for one account: its table inputs and its facts.

A constant number of queries whatever the account holds (contacts, visits, deals)."""

import datetime
from decimal import Decimal

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Attitude, BuyingRole
from opportunities.models import Stage
from opportunities.selectors import next_stage
from opportunities.services import missing_criteria_for
from scoring.inputs import SUPPORTIVE, account_inputs, open_opportunities
from scoring.models import Source
from scoring.money import with_money
from scoring.services import active_model
from scoring.specs import model_spec
from visits.complaints.models import OPEN_STATUSES, Complaint
from visits.models import Visit, VisitStatus
from visits.selectors import account_rhythm_days

from . import actions

# Read whatever the table's factors are: the reasons name them, and the effects of the
# actions on sources the table does not use come out 0 (the engine ignores them).
READ = {
    Source.ROLE_COVERAGE,
    Source.OPPONENTS,
    Source.SUPPORTIVE_SHARE,
    Source.RELATIONSHIP,
    Source.WIN_PROBABILITY,
    Source.DAYS_TO_CLOSE,
    Source.DAYS_SINCE_CONTACT,
}
ROLE_ORDER = [BuyingRole.DECIDER, BuyingRole.EVALUATOR, BuyingRole.USER, BuyingRole.PURCHASER]
DEALS_CONSIDERED = 3  # the open deals with criteria left, largest first


def account_advice(account, *, today: datetime.date, shown: int = actions.SHOWN):
    """`actions.Advice` for `account` (one the caller may see) as of `today`."""
    spec = model_spec(active_model())
    _pk, values, _dates = next(
        account_inputs(type(account).objects.filter(pk=account.pk), spec.sources | READ, today)
    )
    facts = account_facts(account, values=values, spec=spec, today=today)
    return actions.advise(spec, values, facts, today, shown=shown)


def _count(rows):
    """How many `rows` (a queryset on OuterRef("pk")) there are, as a subquery."""
    return Coalesce(
        Subquery(rows.order_by().values("account").annotate(n=Count("pk")).values("n")[:1]),
        0,
    )


def account_facts(account, *, values: dict, spec, today: datetime.date) -> actions.Facts:
    from scoring import engine

    score, _contributions = engine.score(spec, values)
    grade, _closing = engine.grade(spec, score, values.get(Source.DAYS_TO_CLOSE))
    facts = actions.Facts(rhythm_days=account_rhythm_days(grade))

    contacts = list(
        account.contacts.filter(is_active=True)
        .order_by("name", "pk")
        .values("pk", "name", "buying_role", "is_coach", "attitude")
    )
    facts.active_contacts = len(contacts)
    facts.supporters = sum(1 for c in contacts if c["attitude"] in SUPPORTIVE)
    facts.has_coach = any(c["is_coach"] for c in contacts)
    roles = {c["buying_role"] for c in contacts}
    deciders = [c for c in contacts if c["buying_role"] == BuyingRole.DECIDER]
    if deciders:
        decider = deciders[0]
        facts.decider = actions.Person(decider["pk"], decider["name"], BuyingRole.DECIDER)

    # The rest about the account in one query (and one for the money's terms): when a
    # decider was last met, the overdue follow-ups, the open complaints, money overdue.
    done = Visit.objects.filter(account=OuterRef("pk"), status=VisitStatus.DONE)
    overdue = done.filter(followed_up_on__isnull=True, follow_up_due__lt=today)
    complaints = Complaint.objects.filter(account=OuterRef("pk"), status__in=OPEN_STATUSES)
    row = (
        with_money(type(account).objects.filter(pk=account.pk), today)
        .annotate(
            decider_met=Subquery(
                done.filter(contacts__pk=facts.decider.id if facts.decider else -1)
                .order_by("-occurred_at")
                .values("occurred_at")[:1]
            ),
            overdue_count=_count(overdue),
            first_overdue=Subquery(overdue.order_by("follow_up_due", "pk").values("pk")[:1]),
            complaint_count=_count(complaints),
            first_complaint=Subquery(complaints.order_by("pk").values("pk")[:1]),
        )
        .values(
            "decider_met",
            "overdue_count",
            "first_overdue",
            "complaint_count",
            "first_complaint",
            "money_overdue",
        )
        .get()
    )
    if facts.decider and row["decider_met"]:
        facts.decider_met_on = timezone.localtime(row["decider_met"]).date()
    facts.overdue_follow_ups = row["overdue_count"] or 0
    facts.first_overdue_visit = row["first_overdue"]
    facts.open_complaints = row["complaint_count"] or 0
    facts.first_open_complaint = row["first_complaint"]
    facts.overdue_money = Decimal(row["money_overdue"] or 0)
    facts.missing_roles = [
        (str(role), str(BuyingRole(role).label)) for role in ROLE_ORDER[1:] if role not in roles
    ]
    rank = {role: i for i, role in enumerate(ROLE_ORDER)}
    facts.opponents = [
        actions.Person(c["pk"], c["name"], c["buying_role"])
        for c in sorted(
            (c for c in contacts if c["attitude"] == Attitude.OPPONENT),
            key=lambda c: (rank.get(c["buying_role"], len(rank)), c["name"], c["pk"]),
        )
    ]

    stages = list(Stage.objects.order_by("order"))
    by_pk = {stage.pk: stage for stage in stages}
    deals = list(
        open_opportunities()
        .filter(account=account)
        .order_by("-amount", "pk")
        .only("pk", "name", "stage_id", "amount")
    )
    moves = []
    for deal in deals:
        deal.stage = by_pk[deal.stage_id]
        after = next_stage(deal.stage, stages)
        if after is not None and not after.is_closed:
            moves.append((deal, after))
    missing = missing_criteria_for(moves) if moves else {}
    facts.deals = [
        actions.Deal(
            deal.pk, deal.name, len(missing[deal.pk]), str(after), after.default_probability
        )
        for deal, after in moves
        if missing.get(deal.pk)
    ][:DEALS_CONSIDERED]

    return facts
