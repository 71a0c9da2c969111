"""Demo group customers (集团客户), called from `seed_demo` once the demo accounts,
contacts, sales and the money demo are made.

Two groups of demo accounts: rep1's — a parent company with four subsidiaries, one of
them with no active decider and one owned by rep2 (so rep1 sees "1 more subsidiary you
cannot see") — and rep2's, a parent with two subsidiaries. Deterministic; run twice, it
changes nothing more (a demo account that already has a parent means it ran).
"""

from django.db.models import Exists, OuterRef

from .demo import ACCOUNT_PREFIX
from .models import Account, BuyingRole, Contact, User


def create_demo_groups(*, seed: int) -> dict:
    made = {"groups": 0, "subsidiaries": 0}
    demo = Account.objects.filter(external_id__startswith=ACCOUNT_PREFIX)
    if demo.filter(parent__isnull=False).exists():
        return made
    owners = {user.username: user for user in User.objects.filter(username__in=["rep1", "rep2"])}
    if len(owners) < 2:
        return made
    decider = Contact.objects.filter(
        account=OuterRef("pk"), buying_role=BuyingRole.DECIDER, is_active=True
    )
    rows = {
        name: list(demo.filter(owner=user).annotate(has_decider=Exists(decider)).order_by("pk")[:8])
        for name, user in owners.items()
    }
    mine, theirs = rows["rep1"], rows["rep2"]
    if len(mine) < 4 or len(theirs) < 4:
        return made
    # rep1's group: the parent has a decider; one subsidiary has none; one is rep2's.
    parent = next((a for a in mine if a.has_decider), mine[0])
    rest = [a for a in mine if a.pk != parent.pk]
    without = next((a for a in rest if not a.has_decider), None)
    others = [a for a in rest if a is not without]
    subsidiaries = [*others[:2], without] if without is not None else others[:3]
    hidden = theirs[0]
    _link(parent, [*subsidiaries, hidden])
    # rep2's group, of two more of rep2's accounts.
    _link(theirs[1], theirs[2:4])
    made["groups"] = 2
    made["subsidiaries"] = len(subsidiaries) + 1 + 2
    return made


def _link(parent: Account, subsidiaries: list) -> None:
    Account.objects.filter(pk__in=[a.pk for a in subsidiaries]).update(parent=parent)


def summary(made: dict) -> str:
    return (
        f"  made {made['groups']} group customers with {made['subsidiaries']} subsidiaries"
        " (rep1's parent company has one subsidiary without a decider and one of rep2's)"
    )
