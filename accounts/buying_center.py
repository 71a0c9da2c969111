"""The buying-center map and its warnings, as a pure function of the contacts.

Plain values in, plain values out: pages, the scoring app and the API call this one
function so "what is missing or dangerous" means the same everywhere.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import VETO_ROLES, Attitude, BuyingRole, Level

MAP_ROLES = (BuyingRole.DECIDER, BuyingRole.EVALUATOR, BuyingRole.USER, BuyingRole.PURCHASER)
# The most people the map draws in a role (and under "Other contacts"): an account kept
# for years can have hundreds. The rest are a link away (the account's contacts page).
CHIPS_PER_ROLE = 6
# Opponents holding a veto named one by one (in map order); the rest in one flag.
OPPONENT_FLAGS = 3
_INFLUENCE_RANK = {Level.HIGH: 0, Level.MEDIUM: 1, Level.LOW: 2}


def _who_matters_most(contact) -> tuple:
    """A role's people from the one to meet first: the coach, then by influence."""
    return (not contact.is_coach, _INFLUENCE_RANK.get(contact.influence, 3))


def first_of(people: list, limit: int = CHIPS_PER_ROLE) -> tuple[list, int]:
    """At most `limit` of `people` to draw, and how many are left out. A role of up to
    `limit` people is drawn whole, in its order; of a larger one, those who matter most
    (a stable sort: in their order among equals)."""
    if len(people) <= limit:
        return people, 0
    return sorted(people, key=_who_matters_most)[:limit], len(people) - limit


@dataclass(frozen=True)
class Flag:
    code: str
    severity: str  # "danger" or "warning"
    message: str
    contact: object = None


@dataclass
class BuyingCenter:
    by_role: dict = field(default_factory=dict)  # role value -> [contact, ...]
    others: list = field(default_factory=list)
    coaches: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    # People move: role ("decider", "evaluator", "coach") -> the contact who left it last,
    # and those of them whose role nobody active holds now (the account's red flag).
    left: dict = field(default_factory=dict)
    key_person_gaps: list = field(default_factory=list)

    @property
    def roles(self):
        """[(BuyingRole, [contact, ...]), ...] in map order, for templates."""
        return [(role, self.by_role[role.value]) for role in MAP_ROLES]

    @property
    def roles_drawn(self):
        """[(BuyingRole, [contact, ...] drawn, how many more), ...] in map order: at most
        CHIPS_PER_ROLE a role (`first_of`)."""
        return [(role, *first_of(self.by_role[role.value])) for role in MAP_ROLES]

    @property
    def others_drawn(self):
        """(the other contacts drawn, how many more): at most CHIPS_PER_ROLE."""
        return first_of(self.others)

    @property
    def dangers(self):
        return [f for f in self.flags if f.severity == "danger"]


LEFT_ROLE_LABELS = {
    BuyingRole.DECIDER: _("Decider"),
    BuyingRole.EVALUATOR: _("Evaluator"),
    "coach": _("Coach"),
}


def _note_left(center: BuyingCenter, contact) -> None:
    """Keep the contact who left a key role last (needs `left_on`; None: not known)."""
    left_on = getattr(contact, "left_on", None)
    if left_on is None:
        return
    roles = [contact.buying_role] if contact.buying_role in LEFT_ROLE_LABELS else []
    if contact.is_coach:
        roles.append("coach")
    for role in roles:
        known = center.left.get(role)
        if known is None or known.left_on < left_on:
            center.left[role] = contact


def assess_buying_center(contacts: Iterable) -> BuyingCenter:
    """Group active contacts by buying role and flag the gaps and the dangers.

    Each contact needs `buying_role`, `is_coach`, `attitude` and `is_active`.
    Flags: a decider, evaluator or coach who left (`left_on`) and nobody active in the
    role since ("key_person_left", danger, first); no decider, no coach (danger);
    another of the four roles unfilled (warning); an opponent holding a veto role
    (danger; the first OPPONENT_FLAGS in the map's order, then one for how many more); the
    decider's attitude unknown (warning).
    """
    center = BuyingCenter(by_role={role.value: [] for role in MAP_ROLES})
    for contact in contacts:
        if not contact.is_active:
            _note_left(center, contact)
            continue
        if contact.buying_role in center.by_role:
            center.by_role[contact.buying_role].append(contact)
        else:
            center.others.append(contact)
        if contact.is_coach:
            center.coaches.append(contact)

    flags = center.flags
    # People move (人事变动): a key role emptied by someone leaving, first and in words.
    for role, filled in (
        (BuyingRole.DECIDER, center.by_role[BuyingRole.DECIDER]),
        (BuyingRole.EVALUATOR, center.by_role[BuyingRole.EVALUATOR]),
        ("coach", center.coaches),
    ):
        gone = center.left.get(role)
        if gone is not None and not filled:
            center.key_person_gaps.append(gone)
            flags.append(
                Flag(
                    "key_person_left",
                    "danger",
                    _("%(role)s: none since %(name)s left on %(date)s.")
                    % {
                        "role": LEFT_ROLE_LABELS[role],
                        "name": gone.name,
                        "date": date_format(gone.left_on, "DATE_FORMAT"),
                    },
                    gone,
                )
            )
    if not center.by_role[BuyingRole.DECIDER]:
        flags.append(Flag("no_decider", "danger", _("No contact in the decider role.")))
    if not center.coaches:
        flags.append(Flag("no_coach", "danger", _("No coach (internal champion) at this account.")))
    for role in MAP_ROLES[1:]:
        if not center.by_role[role]:
            flags.append(
                Flag(
                    f"no_{role.value}",
                    "warning",
                    _("No contact in the %(role)s role.") % {"role": role.label.lower()},
                )
            )
    vetoes = [
        (role, contact)
        for role in MAP_ROLES
        if role in VETO_ROLES
        for contact in center.by_role[role]
        if contact.attitude == Attitude.OPPONENT
    ]
    for role, contact in vetoes[:OPPONENT_FLAGS]:
        flags.append(
            Flag(
                "opponent_with_veto",
                "danger",
                _("%(name)s is an opponent and holds a veto as %(role)s.")
                % {"name": contact.name, "role": role.label.lower()},
                contact,
            )
        )
    if len(vetoes) > OPPONENT_FLAGS:  # one warning for the rest, not a wall of them
        more = len(vetoes) - OPPONENT_FLAGS
        flags.append(
            Flag(
                "opponents_with_veto_more",
                "danger",
                ngettext(
                    "%(count)s more opponent holds a veto.",
                    "%(count)s more opponents hold a veto.",
                    more,
                )
                % {"count": more},
            )
        )
    deciders = center.by_role[BuyingRole.DECIDER]
    if deciders and all(c.attitude == Attitude.UNKNOWN for c in deciders):
        flags.append(
            Flag(
                "decider_attitude_unknown", "warning", _("The decider's attitude to us is unknown.")
            )
        )
    return center
