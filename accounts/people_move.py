"""People move (人事变动): a key person who leaves the customer.

A contact in the decider or evaluator role, or the coach, who is marked as having left
(`is_active` False) gets `left_on` — set by the contact services and the contact import
when `is_active` goes from True to False, cleared when it is set back (`mark_left`).
Until an active contact fills the role again the account has a gap: the buying center
says "Decider: none since … left on …" (`buying_center.assess_buying_center`), the
account page and list show a red flag with words (`with_key_person_gap`), and the
reminder scan (`visits/people_move.py`) tells the account's owner and the owner's
manager once per leaving. One rule for all: `left_key_people`.
"""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from keyaccounts.statements import built_once

from .models import Account, BuyingRole, Contact

# Sent when contacts of accounts were marked as having left (`account_ids`), inside the
# write's transaction: visits connects the reminder nudge to it, queued for the commit
# (an arrow from accounts up to visits would be the wrong way round).
contacts_left = Signal()


def mark_left(contact: Contact, *, was_active: bool | None, today: datetime.date | None = None):
    """Set or clear `contact.left_on` for a change of `is_active` from `was_active` (None:
    a new contact, which has not left anyone). True when it newly left."""
    if contact.is_active:
        contact.left_on = None
        return False
    if was_active and contact.left_on is None:
        contact.left_on = today or timezone.localdate()
        return True
    return False


def _role_filled(role_filter: Q):
    return Exists(
        Contact.objects.filter(account=OuterRef("account"), is_active=True).filter(role_filter)
    )


def left_key_people(contacts: QuerySet[Contact] | None = None) -> QuerySet[Contact]:
    """Live contacts who left (`left_on` set) a role nobody active holds now: the decider,
    an evaluator or the coach of a live account. Annotated `gap_decider`, `gap_evaluator`,
    `gap_coach` (which of their roles is unfilled)."""
    rows = Contact.objects.all() if contacts is None else contacts
    decider = Q(buying_role=BuyingRole.DECIDER)
    evaluator = Q(buying_role=BuyingRole.EVALUATOR)
    coach = Q(is_coach=True)
    return (
        rows.filter(is_active=False, left_on__isnull=False, account__deleted_at__isnull=True)
        .annotate(
            decider_filled=_role_filled(decider),
            evaluator_filled=_role_filled(evaluator),
            coach_filled=_role_filled(coach),
        )
        .filter(
            (decider & Q(decider_filled=False))
            | (evaluator & Q(evaluator_filled=False))
            | (coach & Q(coach_filled=False))
        )
    )


def left_key_people_kept(*, binned: bool = False) -> QuerySet[Contact]:
    """`left_key_people()` built once per process (`keyaccounts.statements.built_once`):
    every account list, heat-map and reminder list asks for it, and resolving its three
    subqueries each time cost about 2 ms of CPU a view. `binned`: of every contact, those
    in the recycle bin too (a reminder names whoever it was about). Add filters to it
    (each makes a copy); never read it whole."""
    if binned:
        return built_once(
            ("accounts.people_move.left_key_people", "binned"),
            lambda: left_key_people(Contact.all_objects.all()),
        )
    return built_once(("accounts.people_move.left_key_people",), left_key_people)


def key_person_gap() -> Exists:
    """Whether a key person of the account (`OuterRef("pk")`) left a role nobody holds."""
    return Exists(left_key_people_kept().filter(account=OuterRef("pk")))


def with_key_person_gap(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """Annotate `key_person_gap`: a key person left and the role is unfilled (a subquery:
    no query per row)."""
    return accounts.annotate(key_person_gap=key_person_gap())


def left_roles(contact: Contact, active_contacts) -> list[str]:
    """The roles `contact` (who left) held that none of `active_contacts` holds now, as
    labels: ["decider", "coach"]. In Python, for contacts already read."""
    roles = []
    if contact.buying_role in (BuyingRole.DECIDER, BuyingRole.EVALUATOR) and not any(
        c.buying_role == contact.buying_role for c in active_contacts
    ):
        roles.append(contact.buying_role)
    if contact.is_coach and not any(c.is_coach for c in active_contacts):
        roles.append("coach")
    return roles


def contacts_imported_left(items) -> None:
    """An import writes contacts set-based (`keyaccounts.imports.writing.write`): set
    their `left_on` as the services do, and nudge the reminders of the accounts whose
    contacts newly left, on commit. `items`: the import's writes (`record`, `stored`)."""
    today = timezone.localdate()
    accounts = set()
    for item in items:
        was_active = item.stored.is_active if item.stored is not None else None
        if mark_left(item.record, was_active=was_active, today=today):
            accounts.add(item.record.account_id)
    if accounts:
        contacts_left.send(sender=Contact, account_ids=accounts)
