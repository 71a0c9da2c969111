"""The relationship heat-map (关系热力图): who in each account's buying center we know, how
they stand towards us, and how recently someone on our side met them; and, for A and B
accounts, the multi-level coverage of the seeds ("立体沟通"): the decider met by our
executive sponsor, the user by the rep, the evaluator by presales, each within the
account's contact rhythm.

Reads for a page of accounts at once: a constant number of queries whatever the rows."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import AccountTeamMember, AccountTeamRole, Attitude, BuyingRole, Contact
from keyaccounts.links import record_url

from .models import Visit, VisitStatus
from .selectors import account_rhythm_days

# The columns: the four buying roles, then the coach (a contact of any role).
COLUMNS = [BuyingRole.DECIDER, BuyingRole.EVALUATOR, BuyingRole.USER, BuyingRole.PURCHASER]
COACH = "coach"
# How fresh a meeting is, against the account's rhythm: within it, within three times
# it, older, or never.
FRESH, FADING, STALE, NEVER = "fresh", "fading", "stale", "never"
COVERED_GRADES = ("A", "B")
ATTITUDE_LABELS = dict(Attitude.choices)
# (check, the role met, who on our side must have been there)
LEVELS = [
    ("decider_by_sponsor", BuyingRole.DECIDER, AccountTeamRole.EXECUTIVE_SPONSOR),
    ("user_by_rep", BuyingRole.USER, "owner"),
    ("evaluator_by_presales", BuyingRole.EVALUATOR, AccountTeamRole.PRESALES),
]

# How recently a person was met, against the account's rhythm (the heat-map's legend
# says the same words; so does its export).
FRESHNESS_LABELS = {
    FRESH: gettext_lazy("within the rhythm"),
    FADING: gettext_lazy("up to three rhythms ago"),
    STALE: gettext_lazy("longer ago"),
    NEVER: gettext_lazy("never met"),
}
# The multi-level coverage checks of an A or B account (立体沟通), in words.
LEVEL_LABELS = {
    "decider_by_sponsor": gettext_lazy("Decider met by our executive sponsor"),
    "user_by_rep": gettext_lazy("User met by the rep"),
    "evaluator_by_presales": gettext_lazy("Evaluator met by presales"),
}


@dataclass
class Cell:
    # {"pk", "account_id", "name", "attitude", …}: the first in the role by name
    contact: dict | None = None
    more: int = 0  # others in the same role
    met_on: datetime.date | None = None
    days: int | None = None
    freshness: str = NEVER

    @property
    def attitude_label(self) -> str:
        """The attitude in the reader's language (read here once, not by a loop over
        every attitude in each cell of the template)."""
        value = self.contact["attitude"] if self.contact else ""
        return ATTITUDE_LABELS.get(value, value)

    @property
    def url(self) -> str:
        """The contact's page (its edit form), without a `reverse` per cell."""
        return record_url("accounts:contact_edit", self.contact["account_id"], self.contact["pk"])


@dataclass
class Check:
    key: str
    ok: bool
    contact_id: int | None  # the contact to meet (None: nobody in the role yet)
    role: str
    # Someone on our side holds the level's role (the owner always does): else no visit
    # can meet the check until the account team has one.
    colleague: bool = True
    # Who on our side should go along (the level's executive sponsor or presales: the
    # first by id), None when it is the account's owner or nobody holds the role.
    colleague_id: int | None = None


@dataclass
class Row:
    account: object
    grade: str | None
    rhythm_days: int
    cells: dict = field(default_factory=dict)  # column -> Cell
    checks: list[Check] = field(default_factory=list)  # A and B accounts only


def freshness(days: int | None, rhythm: int) -> str:
    if days is None:
        return NEVER
    if days <= rhythm:
        return FRESH
    if days <= 3 * rhythm:
        return FADING
    return STALE


def heat_map_rows(accounts: list, *, now: datetime.datetime | None = None) -> list[Row]:
    """A `Row` for each of `accounts` (with `score` selected), in their order. Four
    queries: the contacts with when each was last met, and for the A and B accounts the
    visits within their rhythm with whom they met and who was there, and their teams."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows = []
    for account in accounts:
        score = getattr(account, "score", None)
        grade = getattr(score, "grade", None) or None
        rows.append(Row(account=account, grade=grade, rhythm_days=account_rhythm_days(grade)))
    ids = [row.account.pk for row in rows]
    if not ids:
        return rows

    # Each contact with when it was last met (a subquery per contact on the visits'
    # (contact) index): one query.
    last_met = (
        Visit.contacts.through.objects.filter(
            contact_id=OuterRef("pk"),
            visit__status=VisitStatus.DONE,
            visit__deleted_at__isnull=True,
        )
        .order_by()
        .values("contact_id")
        .annotate(last=Max("visit__occurred_at"))
        .values("last")
    )
    contacts = list(
        Contact.objects.filter(account_id__in=ids, is_active=True)
        .annotate(last_met=Subquery(last_met))
        .order_by("name", "pk")
        .values("pk", "account_id", "name", "buying_role", "is_coach", "attitude", "last_met")
    )
    met = {c["pk"]: c["last_met"] for c in contacts if c["last_met"] is not None}
    by_account = defaultdict(list)
    for contact in contacts:
        by_account[contact["account_id"]].append(contact)
    for row in rows:
        mine = by_account[row.account.pk]
        for column in [*COLUMNS, COACH]:
            holders = [
                c
                for c in mine
                if (c["is_coach"] if column == COACH else c["buying_role"] == column)
            ]
            cell = Cell()
            if holders:
                # The one met most recently speaks for the role; never met: the first by name.
                first = max(
                    holders,
                    key=lambda c: (met.get(c["pk"]) is not None, met.get(c["pk"]) or now),
                )
                cell.contact = first
                cell.more = len(holders) - 1
                last = met.get(first["pk"])
                if last is not None:
                    cell.met_on = timezone.localtime(last).date()
                    cell.days = (today - cell.met_on).days
                cell.freshness = freshness(cell.days, row.rhythm_days)
            row.cells[column] = cell

    covered = [row for row in rows if row.grade in COVERED_GRADES]
    if covered:
        _coverage(covered, by_account, now=now)
    return rows


def _coverage(rows: list[Row], contacts: dict, *, now: datetime.datetime) -> None:
    """The multi-level checks of `rows` (A and B accounts): three queries. A visit counts
    when it met one of the account's contacts (a visit that met nobody meets no level),
    so the visits are read through the contacts they met."""
    ids = [row.account.pk for row in rows]
    since = now - datetime.timedelta(days=max(row.rhythm_days for row in rows))
    recent = {
        "visit__account_id__in": ids,
        "visit__status": VisitStatus.DONE,
        "visit__deleted_at__isnull": True,
        "visit__occurred_at__gte": since,
    }
    visits = {}  # visit id -> {"pk", "account_id", "occurred_at"}
    people = defaultdict(set)  # visit -> our people there (owner and attendees)
    met_roles = defaultdict(list)  # visit -> contact ids met
    for visit_id, account_id, owner_id, occurred_at, contact_id in (
        Visit.contacts.through.objects.filter(**recent)
        .order_by()
        .values_list(
            "visit_id", "visit__account_id", "visit__owner_id", "visit__occurred_at", "contact_id"
        )
    ):
        visits[visit_id] = {"pk": visit_id, "account_id": account_id, "occurred_at": occurred_at}
        people[visit_id].add(owner_id)
        met_roles[visit_id].append(contact_id)
    attendees = Visit.attendees.through.objects.filter(**recent).order_by()
    for visit_id, user_id in attendees.values_list("visit_id", "user_id"):
        people[visit_id].add(user_id)
    team = defaultdict(lambda: defaultdict(set))  # account -> role -> user ids
    active = defaultdict(lambda: defaultdict(set))  # the same, who can still attend
    for account_id, user_id, role, is_active in AccountTeamMember.objects.filter(
        account_id__in=ids
    ).values_list("account_id", "user_id", "role", "user__is_active"):
        team[account_id][role].add(user_id)
        if is_active:
            active[account_id][role].add(user_id)
    of_account = defaultdict(list)
    for visit in visits.values():
        of_account[visit["account_id"]].append(visit)
    for row in rows:
        account = row.account
        cutoff = now - datetime.timedelta(days=row.rhythm_days)
        mine = contacts[account.pk]
        for key, role, ours in LEVELS:
            holders = [c["pk"] for c in mine if c["buying_role"] == role]
            wanted = {account.owner_id} if ours == "owner" else team[account.pk][ours]
            # Who can go along now (a past visit of someone since gone still counts).
            present = wanted if ours == "owner" else active[account.pk][ours]
            ok = any(
                visit["occurred_at"] >= cutoff
                and people[visit["pk"]] & wanted
                and set(met_roles[visit["pk"]]) & set(holders)
                for visit in of_account[account.pk]
            )
            row.checks.append(
                Check(
                    key=key,
                    ok=ok,
                    contact_id=holders[0] if holders else None,
                    role=role,
                    colleague=bool(present),
                    colleague_id=min(present) if present else None,
                )
            )
