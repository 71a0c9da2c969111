"""The next best actions of one account, computed by the scoring engine itself.

Each candidate action says which inputs of the risk table it would change and how
(`Action.changes`) — only inputs that doing it changes: a contact added, a visit
recorded, a deal moved on, a rating raised —; its effect is the engine's score of the
account's inputs with that change, minus the score as it stands — a re-score, not an
estimate — and the grade it would then get from the table's grid. An action the table
would score lower is not offered. Actions that move no factor of the active table
(an overdue follow-up, an open complaint, overdue money) are still listed, after those
that do, with an effect of 0: they are owed to the customer whatever the score says.

No database here: `selectors.account_advice` reads the account's inputs and facts.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scoring import engine
from scoring.models import Source

SHOWN = 5  # actions on the account page and in the API, largest effect first
OPPONENTS_CONSIDERED = 3  # the opponents offered as "win over", most senior role first

# Kinds, in the order that breaks ties of effect (what usually matters more first).
FIND_DECIDER = "find_decider"
MEET_DECIDER = "meet_decider"
FIND_COACH = "find_coach"
WIN_OVER = "win_over_opponent"
ADVANCE_DEAL = "advance_deal"
RAISE_RELATIONSHIP = "raise_relationship"
RATE_RELATIONSHIP = "rate_relationship"
FILL_ROLE = "fill_role"
FOLLOW_UP = "log_follow_up"
ANSWER_COMPLAINT = "answer_complaint"
COLLECT_MONEY = "collect_money"
KINDS = [
    FIND_DECIDER,
    MEET_DECIDER,
    FIND_COACH,
    WIN_OVER,
    ADVANCE_DEAL,
    RAISE_RELATIONSHIP,
    RATE_RELATIONSHIP,
    FILL_ROLE,
    FOLLOW_UP,
    ANSWER_COMPLAINT,
    COLLECT_MONEY,
]

TOP_RELATIONSHIP = 5


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str = ""  # buying role, "" if none


@dataclass(frozen=True)
class Deal:
    id: int
    name: str
    missing: int  # exit criteria unticked before the next stage
    next_stage: str
    next_probability: int


@dataclass
class Facts:
    """What the rule knows of the account besides the table's inputs."""

    decider: Person | None = None  # an active contact in the decider role
    decider_met_on: datetime.date | None = None  # their last recorded visit
    rhythm_days: int = 30  # the contact rhythm of the account's grade
    has_coach: bool = False
    # (key, label) of the roles no active contact holds: evaluator, user, purchaser
    missing_roles: list[tuple[str, str]] = field(default_factory=list)
    opponents: list[Person] = field(default_factory=list)
    # Contacts with a visit planned from today on: meeting them is in hand already.
    planned_with: set[int] = field(default_factory=set)
    # A visit planned at the account from today on, with anyone: a visit to raise the
    # relationship is in hand already.
    visit_planned: bool = False
    # The day of the latest recorded visit, when it was logged after the relationship was
    # last rated (or it was never rated): what is left is to rate it again.
    met_since_rated: datetime.date | None = None
    last_visit: int | None = None  # that visit's id
    active_contacts: int = 0
    supporters: int = 0
    deals: list[Deal] = field(default_factory=list)  # open deals with criteria to tick
    overdue_follow_ups: int = 0
    first_overdue_visit: int | None = None  # the visit whose follow-up is most overdue
    open_complaints: int = 0
    first_open_complaint: int | None = None
    overdue_money: Decimal = Decimal(0)


@dataclass
class Action:
    kind: str
    reason: str
    changes: dict  # {source: value after}: the inputs the action moves
    ids: dict = field(default_factory=dict)  # {"contact": id, "deal": id, …}
    effect: Decimal = Decimal(0)  # score points gained
    score_after: Decimal = Decimal(0)
    grade_after: str = ""


@dataclass
class Advice:
    score: Decimal
    grade: str
    actions: list[Action]


def _value(values: dict, source: str, default=0):
    value = values.get(source)
    return default if value is None else value


def candidates(values: dict, facts: Facts, today: datetime.date) -> list[Action]:
    """Every action open to the account, each with the inputs it would change."""
    found = []
    coverage = _value(values, Source.ROLE_COVERAGE)
    relationship = _value(values, Source.RELATIONSHIP, None)

    def raised() -> int:
        """The relationship rating one step up (a visit at the level that matches theirs,
        then the rep's new rating), at most the top."""
        return min(TOP_RELATIONSHIP, (relationship or 1) + 1)

    if facts.decider is None:
        found.append(
            Action(
                FIND_DECIDER,
                _("No one in the buying center is known as the decider: find them."),
                {Source.ROLE_COVERAGE: coverage + 1},
            )
        )
    else:
        met = facts.decider_met_on
        days = None if met is None else (today - met).days
        planned = facts.decider.id in facts.planned_with
        if (days is None or days > facts.rhythm_days) and not planned:
            found.append(
                Action(
                    MEET_DECIDER,
                    (
                        _("%(name)s, the decider, has not been met yet.")
                        if days is None
                        else _("%(name)s, the decider, was last met %(days)d days ago.")
                    )
                    % {"name": facts.decider.name, "days": days or 0},
                    {Source.DAYS_SINCE_CONTACT: 0},
                    {"contact": facts.decider.id},
                )
            )
    if not facts.has_coach:
        found.append(
            Action(
                FIND_COACH,
                _("No coach inside the customer: find one."),
                {Source.ROLE_COVERAGE: coverage + 1},
            )
        )
    opponents = [person for person in facts.opponents if person.id not in facts.planned_with]
    for opponent in opponents[:OPPONENTS_CONSIDERED]:
        found.append(
            Action(
                WIN_OVER,
                _("%(name)s opposes us: win them over.") % {"name": opponent.name},
                {
                    Source.OPPONENTS: max(0, _value(values, Source.OPPONENTS) - 1),
                    # Won over: a supporter among the same active contacts.
                    Source.SUPPORTIVE_SHARE: (
                        Decimal(100 * (facts.supporters + 1)) / facts.active_contacts
                        if facts.active_contacts
                        else None
                    ),
                },
                {"contact": opponent.id},
            )
        )
    best = _value(values, Source.WIN_PROBABILITY)
    for deal in facts.deals:
        found.append(
            Action(
                ADVANCE_DEAL,
                ngettext(
                    "%(deal)s has %(missing)d exit criterion left before %(stage)s: tick it "
                    "and move it on.",
                    "%(deal)s has %(missing)d exit criteria left before %(stage)s: tick them "
                    "and move it on.",
                    deal.missing,
                )
                % {"deal": deal.name, "missing": deal.missing, "stage": deal.next_stage},
                {Source.WIN_PROBABILITY: max(best, deal.next_probability)},
                {"deal": deal.id},
            )
        )
    if relationship is None or relationship < TOP_RELATIONSHIP:
        if facts.met_since_rated is not None:
            # The visit is done: the rating moves when the rep rates the account again.
            found.append(
                Action(
                    RATE_RELATIONSHIP,
                    (
                        _(
                            "Met on %(date)s and the relationship is not rated yet: rate "
                            "it (%(next)s if the visit went well)."
                        )
                        if relationship is None
                        else _(
                            "Met on %(date)s since the relationship was rated %(now)s: "
                            "rate it again (%(next)s if the visit went well)."
                        )
                    )
                    % {
                        "date": facts.met_since_rated.isoformat(),
                        "now": relationship,
                        "next": raised(),
                    },
                    {Source.RELATIONSHIP: raised()},
                    {"visit": facts.last_visit},
                )
            )
        elif not facts.visit_planned:
            if relationship is None:  # not rated yet: "from –" would read as a typo
                reason = _(
                    "The relationship is not rated yet: a visit at the level that matches "
                    "theirs brings it to %(next)s."
                ) % {"next": raised()}
            else:
                reason = _(
                    "Raise the relationship from %(now)s to %(next)s: a visit at the level "
                    "that matches theirs."
                ) % {"now": relationship, "next": raised()}
            found.append(Action(RAISE_RELATIONSHIP, reason, {Source.RELATIONSHIP: raised()}))
    for role, label in facts.missing_roles:
        found.append(
            Action(
                FILL_ROLE,
                _("No one is known in the %(role)s role.") % {"role": label},
                {Source.ROLE_COVERAGE: coverage + 1},
                {"role": role},
            )
        )
    if facts.overdue_follow_ups:
        found.append(
            Action(
                FOLLOW_UP,
                ngettext(
                    "%(count)d follow-up is overdue: hear the customer's opinion.",
                    "%(count)d follow-ups are overdue: hear the customer's opinion.",
                    facts.overdue_follow_ups,
                )
                % {"count": facts.overdue_follow_ups},
                {},
                {"visit": facts.first_overdue_visit},
            )
        )
    if facts.open_complaints:
        found.append(
            Action(
                ANSWER_COMPLAINT,
                ngettext(
                    "%(count)d complaint is open: answer it.",
                    "%(count)d complaints are open: answer them.",
                    facts.open_complaints,
                )
                % {"count": facts.open_complaints},
                {},
                {"complaint": facts.first_open_complaint},
            )
        )
    if facts.overdue_money > 0:
        from keyaccounts.amounts import money  # as the money card

        found.append(
            Action(
                COLLECT_MONEY,
                _("%(amount)s is overdue: collect it.") % {"amount": money(facts.overdue_money)},
                {},
            )
        )
    return found


def advise(
    spec: engine.ModelSpec, values: dict, facts: Facts, today: datetime.date, *, shown: int = SHOWN
) -> Advice:
    """The account's score and grade as its inputs stand, and its `shown` best actions:
    each re-scored with its changes, largest effect first (ties: `KINDS` order)."""
    now, _contributions = engine.score(spec, values)
    days_to_close = values.get(Source.DAYS_TO_CLOSE)
    grade, _closing = engine.grade(spec, now, days_to_close)
    actions = candidates(values, facts, today)
    for action in actions:
        changed = {**values, **action.changes}
        after, _contributions = engine.score(spec, changed)
        action.score_after = after
        action.effect = after - now
        action.grade_after, _closing = engine.grade(spec, after, days_to_close)
    # An action the table would score lower (a custom table can) is no advice.
    actions = [action for action in actions if action.effect >= 0]
    actions.sort(key=lambda a: (-a.effect, KINDS.index(a.kind)))
    return Advice(score=now, grade=grade, actions=actions[:shown])
