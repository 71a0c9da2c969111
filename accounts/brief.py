"""The account brief for a visit (拜访简报): what a rep reads before walking in, on one
printed page — the account's identity, its grade and why, the buying-center map, the
open deals and what each still lacks, the last recorded visits and the open follow-ups.

`accounts` reads its own part here: the account, its team and its buying center
(`assess_buying_center`). The rest is added by the apps above as sections of the page
"brief" (keyaccounts/sections.py), each read once for the whole account, so the brief
costs the same number of queries however many contacts, deals and visits it has: the
planned visit it was opened from and the last visits and open follow-ups
(visits/brief.py), the grade and why (`scoring.grade.card`), the open deals and what
each still lacks (`opportunities.sections`), open complaints. When each contact was last
met is set on the contacts by the row reader `visits.brief.last_met` (the list
"brief_contacts"), one query for all of them.

**A person's latest attitude** is their contact record's `attitude`: the rep's current
judgement of that person, the value the buying center's warnings and the score read, so
the brief never disagrees with the account page. A visit's `customer_attitude` is the
customer's mood at that meeting, one value for everyone met, so it never replaces a
person's attitude; but when the last recorded visit that person attended took place
after their record was last saved and noted a different (known) attitude, the brief
shows it beside theirs (`visit_attitude`), as a hint that the record may be out of date.
"""

import datetime

from keyaccounts import sections

from .buying_center import assess_buying_center
from .models import Account, Attitude, Contact


def brief_contacts(*, account: Account) -> list[Contact]:
    """The account's contacts by name, each with what the apps above set on it
    (`last_met_at`, `last_met_attitude`: the row readers of "brief_contacts")."""
    contacts = list(account.contacts.select_related("reports_to").order_by("name", "pk"))
    sections.read_rows("brief_contacts", contacts)
    return contacts


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


def account_brief(*, account: Account, today: datetime.date) -> dict:
    """What the brief shows of the account itself: its buying center and its team."""
    contacts = brief_contacts(account=account)
    for contact in contacts:
        contact.visit_attitude = visit_attitude(contact)
    return {
        "center": assess_buying_center(contacts),
        "contacts": contacts,
        "team": account.team_members.select_related("user").order_by("role", "user__username"),
        "today": today,
    }
