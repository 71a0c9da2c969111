"""What the next best action reads: the accounts' table inputs and their facts.

A constant number of queries whatever the accounts hold (contacts, visits, deals), and
whatever their number: `accounts_advice` reads many accounts at once (my week's best
actions across a rep's accounts), `account_advice` one (its page, the API)."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Account, Attitude, BuyingRole, Contact
from keyaccounts import statements
from keyaccounts.statements import built_once
from opportunities.models import Stage
from opportunities.selectors import next_stage
from opportunities.services import missing_criteria_for
from scoring import engine
from scoring.inputs import SUPPORTIVE, account_inputs, open_opportunities
from scoring.models import Source
from scoring.money.risk import default_terms, terms_in_use, with_money
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
# What the advice reads of each active contact (the first decider by name and id speaks
# for the role, as the facts query's decider does).
CONTACT_FACTS = ("pk", "account_id", "name", "buying_role", "is_coach", "attitude")
# What the facts query (`_facts_query`) answers of each account.
FACTS = (
    "pk",
    "decider_met",
    "overdue_count",
    "first_overdue",
    "complaint_count",
    "first_complaint",
    "money_overdue",
    "last_met",
    "last_visit",
    "last_logged",
    "rated_at",
)


def account_advice(
    account, *, today: datetime.date, shown: int = actions.SHOWN, contacts: list | None = None
):
    """`actions.Advice` for `account` (one the caller may see) as of `today`. `contacts`:
    all of the account's contacts (Contact records) by name and id, when the caller has
    read them already (the account page), so they are not read again."""
    contacts_of = None
    if contacts is not None:
        contacts_of = {account.pk: [_contact_row(c) for c in contacts if c.is_active]}
    advice = accounts_advice(account.pk, today=today, shown=shown, contacts_of=contacts_of)
    return advice[account.pk]


def _contact_row(contact) -> dict:
    """A contact as `accounts_facts` reads it."""
    return {name: getattr(contact, name) for name in CONTACT_FACTS}


def accounts_advice(
    accounts,
    *,
    today: datetime.date,
    shown: int = actions.SHOWN,
    contacts_of: dict[int, list[dict]] | None = None,
) -> dict[int, actions.Advice]:
    """`actions.Advice` of each of `accounts` (a queryset the caller may see, or the id
    of one account: `account_inputs`), by id."""
    spec = model_spec(active_model())
    inputs = {
        pk: values for pk, values, _dates in account_inputs(accounts, spec.sources | READ, today)
    }
    facts = accounts_facts(inputs, spec=spec, today=today, contacts_of=contacts_of)
    return {
        pk: actions.advise(spec, values, facts[pk], today, shown=shown)
        for pk, values in inputs.items()
    }


def _count(rows):
    """How many `rows` (a queryset on OuterRef("pk")) there are, as a subquery."""
    return Coalesce(
        Subquery(rows.order_by().values("account").annotate(n=Count("pk")).values("n")[:1]),
        0,
    )


def _facts_query(today: datetime.date, terms: tuple) -> QuerySet:
    """Accounts annotated with when their decider (the first by name) was last met, their
    overdue follow-ups, open complaints and money overdue: built once per day and
    payment terms (`keyaccounts.statements.built_once`), as resolving its subqueries and
    the money's cases cost more than running them for one account (its page)."""
    key = ("scoring.advice.facts", today, terms, default_terms())
    return built_once(key, lambda: _facts_annotated(today, terms))


def _facts_annotated(today: datetime.date, terms: tuple) -> QuerySet:
    done = Visit.objects.filter(account=OuterRef("pk"), status=VisitStatus.DONE)
    overdue = done.filter(followed_up_on__isnull=True, follow_up_due__lt=today)
    complaints = Complaint.objects.filter(account=OuterRef("pk"), status__in=OPEN_STATUSES)
    first_decider = (
        Contact.objects.filter(
            account=OuterRef(OuterRef("pk")), is_active=True, buying_role=BuyingRole.DECIDER
        )
        .order_by("name", "pk")
        .values("pk")[:1]
    )
    latest = done.order_by("-occurred_at", "-pk")
    return with_money(Account._base_manager.order_by(), today, terms=list(terms)).annotate(
        last_met=Subquery(latest.values("occurred_at")[:1]),
        last_visit=Subquery(latest.values("pk")[:1]),
        last_logged=Subquery(latest.values("created_at")[:1]),
        rated_at=F("assessment__updated_at"),
        decider_met=Subquery(
            done.filter(contacts__pk=Subquery(first_decider))
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        ),
        overdue_count=_count(overdue),
        first_overdue=Subquery(overdue.order_by("follow_up_due", "pk").values("pk")[:1]),
        complaint_count=_count(complaints),
        first_complaint=Subquery(complaints.order_by("pk").values("pk")[:1]),
    )


def accounts_facts(
    inputs: dict, *, spec, today: datetime.date, contacts_of: dict | None = None
) -> dict[int, actions.Facts]:
    """The facts of the accounts of `inputs` ({id: table inputs}), by id. Eight queries
    at most, whatever the accounts and what they hold; seven when `contacts_of` gives
    each account's active contacts ({id: [row as CONTACT_FACTS, by name and id]})."""
    ids = list(inputs)
    facts = {}
    for pk, values in inputs.items():
        score, _contributions = engine.score(spec, values)
        grade, _closing = engine.grade(spec, score, values.get(Source.DAYS_TO_CLOSE))
        facts[pk] = actions.Facts(rhythm_days=account_rhythm_days(grade))
    if not ids:
        return facts

    contacts = defaultdict(list)
    if contacts_of is not None and set(ids) <= contacts_of.keys():
        contacts.update(contacts_of)
    else:
        for contact in (
            Contact.objects.filter(account_id__in=ids, is_active=True)
            .order_by("name", "pk")
            .values(*CONTACT_FACTS)
        ):
            contacts[contact["account_id"]].append(contact)
    rank = {role: i for i, role in enumerate(ROLE_ORDER)}
    for pk, fact in facts.items():
        mine = contacts[pk]
        fact.active_contacts = len(mine)
        fact.supporters = sum(1 for c in mine if c["attitude"] in SUPPORTIVE)
        fact.has_coach = any(c["is_coach"] for c in mine)
        roles = {c["buying_role"] for c in mine}
        deciders = [c for c in mine if c["buying_role"] == BuyingRole.DECIDER]
        if deciders:
            fact.decider = actions.Person(
                deciders[0]["pk"], deciders[0]["name"], BuyingRole.DECIDER
            )
        fact.missing_roles = [
            (str(role), str(BuyingRole(role).label)) for role in ROLE_ORDER[1:] if role not in roles
        ]
        fact.opponents = [
            actions.Person(c["pk"], c["name"], c["buying_role"])
            for c in sorted(
                (c for c in mine if c["attitude"] == Attitude.OPPONENT),
                key=lambda c: (rank.get(c["buying_role"], len(rank)), c["name"], c["pk"]),
            )
        ]

    # The rest about each account in one query (and one for the money's terms): when its
    # decider (the first by name) was last met, the overdue follow-ups, the open
    # complaints, money overdue.
    mine = Account.objects.filter(pk__in=ids)
    terms = tuple(terms_in_use(mine))
    if len(ids) == 1:  # an account's page: compiled once per process and day
        rows = statements.prepared(
            "scoring.advice.facts",
            lambda pk: (_facts_query(today, terms) & Account.objects.filter(pk=pk)).values(*FACTS),
            values={"pk": ids[0]},
            variant=(today, terms, default_terms()),
        )
    else:
        rows = (_facts_query(today, terms) & mine).values(*FACTS)
    for row in rows:
        fact = facts[row["pk"]]
        # Logged after the rating (a visit of this morning logged after a rating of
        # noon is news to it).
        met, logged, rated = row["last_met"], row["last_logged"], row["rated_at"]
        if met is not None and (rated is None or logged > rated):
            fact.met_since_rated = timezone.localtime(met).date()
            fact.last_visit = row["last_visit"]
        if fact.decider and row["decider_met"]:
            fact.decider_met_on = timezone.localtime(row["decider_met"]).date()
        fact.overdue_follow_ups = row["overdue_count"] or 0
        fact.first_overdue_visit = row["first_overdue"]
        fact.open_complaints = row["complaint_count"] or 0
        fact.first_open_complaint = row["first_complaint"]
        fact.overdue_money = Decimal(row["money_overdue"] or 0)

    # The visits planned from today on (one of this morning not recorded yet is in hand
    # still), each with its contacts (none: one row, None).
    today_starts = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    planned = Visit.objects.filter(
        account_id__in=ids, status=VisitStatus.PLANNED, planned_at__gte=today_starts
    ).values_list("account_id", "contacts")
    for account_id, contact_id in planned:
        facts[account_id].visit_planned = True
        if contact_id is not None:
            facts[account_id].planned_with.add(contact_id)

    stages = list(Stage.objects.order_by("order"))
    by_pk = {stage.pk: stage for stage in stages}
    moves = []
    for deal in (
        open_opportunities()
        .filter(account_id__in=ids)
        .order_by("-amount", "pk")
        .only("pk", "account_id", "name", "stage_id", "amount")
    ):
        deal.stage = by_pk[deal.stage_id]
        after = next_stage(deal.stage, stages)
        if after is not None and not after.is_closed:
            moves.append((deal, after))
    missing = missing_criteria_for(moves) if moves else {}
    for deal, after in moves:
        fact = facts[deal.account_id]
        if missing.get(deal.pk) and len(fact.deals) < DEALS_CONSIDERED:
            fact.deals.append(
                actions.Deal(
                    deal.pk, deal.name, len(missing[deal.pk]), str(after), after.default_probability
                )
            )
    return facts
